"""A running desk or web gate leaves its start-up objects out of the garbage collector's full passes."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest
from accountkit import use_cheap_hashes
from fastapi.testclient import TestClient
from webkit import make_day

from tenderguard.services.wiring import settled
from tenderguard.web import create_app


class _StartUpThing:
    """Something a process builds at start-up and keeps."""


def test_settled_freezes_what_is_alive_and_collects_what_is_made_later() -> None:
    """Kept objects are frozen while settled; garbage made meanwhile is still collected; leaving unfreezes."""
    assert gc.get_freeze_count() == 0
    kept = _StartUpThing()
    with settled():
        assert gc.get_freeze_count() > 0
        assert not any(o is kept for o in gc.get_objects())  # frozen: no collection walks it
        later: list[object] = []
        later.append(later)  # a cycle: only the collector frees it
        in_cycle = _StartUpThing()
        later.append(in_cycle)
        gone = weakref.ref(in_cycle)
        del later, in_cycle
        gc.collect()
        assert gone() is None
    assert gc.get_freeze_count() == 0
    assert any(o is kept for o in gc.get_objects())


def test_settled_unfreezes_when_the_run_fails() -> None:
    """A desk that stops on an error leaves nothing frozen behind in the process."""
    with pytest.raises(RuntimeError, match="stop"), settled():
        raise RuntimeError("stop")
    assert gc.get_freeze_count() == 0


def test_the_server_settles_once_started_and_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`tenderguard serve` builds its app with ``settle``; an app built without it (tests, embedding) does not."""
    use_cheap_hashes(monkeypatch)
    day = make_day(tmp_path)
    with TestClient(create_app(day.config)) as client:
        assert client.get("/login").status_code == 200
        assert gc.get_freeze_count() == 0
    with TestClient(create_app(day.config, settle=True)) as client:
        assert client.get("/login").status_code == 200
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
