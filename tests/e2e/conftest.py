"""Every CLI test works in its own folder: its own default SQLite database and key folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in a fresh working directory with no database or keys configured from outside."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TENDERGUARD_DB", raising=False)
    monkeypatch.delenv("TENDERGUARD_KEYS", raising=False)
    return tmp_path
