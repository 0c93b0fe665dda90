"""One place that wires a running gate: the store, the policy, the keys and the clock.

The web server opens one :class:`GateApp` for its lifetime; a command opens one for its run. Nothing is opened at
import time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import attrs

from tenderguard.domain.clock import Clock, SystemClock
from tenderguard.domain.model import Centre
from tenderguard.errors import InvalidInputError
from tenderguard.services.gate import Gate

__all__ = ["GateApp", "GateConfig", "database_url", "open_gate"]


def database_url(db: str) -> str:
    """A database URL, or a file path taken as SQLite (``day.db`` → ``sqlite:///day.db``)."""
    if not isinstance(db, str) or not db.strip():
        raise InvalidInputError("db", "is empty", hint="give a file path (SQLite) or a postgresql:// URL")
    return db if "://" in db else f"sqlite:///{db}"


@attrs.frozen
class GateConfig:
    """What a running gate is made of: its database, centre, policy (preset or file) and keys folder."""

    db: str
    centre: Centre
    policy: str = "miyun-2020"
    keys: Path = attrs.field(default=Path("tenderguard-keys"), converter=Path)


@attrs.frozen
class GateApp:
    """A gate opened on its store, with the keys it signs and hashes with."""

    config: GateConfig
    gate: Gate
    keys: Path

    @property
    def centre(self) -> Centre:
        """The centre the gate screens for."""
        return self.config.centre


@contextlib.contextmanager
def open_gate(config: GateConfig, *, create: bool = False, clock: Clock | None = None) -> Iterator[GateApp]:
    """Open the store of ``config.db`` (creating it only with ``create``), load the policy and the ID-hash key.

    The store is closed (its audit trail sealed first) when the block ends.
    """
    from tenderguard.keys import load_id_secret  # noqa: PLC0415 - loaded with the gate, not with the package
    from tenderguard.policy import load_policy  # noqa: PLC0415
    from tenderguard.store.sql import SqlStore  # noqa: PLC0415

    policy = load_policy(config.policy)
    secret, _created = load_id_secret(config.keys)
    store = SqlStore(database_url(config.db), config.centre, create=create)
    try:
        gate = Gate(policy=policy, centre=config.centre, uow_factory=store.unit_of_work,
                    clock=clock or SystemClock(), secret=secret)
        yield GateApp(config=config, gate=gate, keys=config.keys)
        store.seal_audit()
    finally:
        store.dispose()
