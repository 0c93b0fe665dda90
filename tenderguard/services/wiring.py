"""One place that wires a running gate: the store, the policy, the keys and the clock.

The web server opens one :class:`GateApp` for its lifetime; a command opens one for its run. Nothing is opened at
import time.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from tenderguard.domain.clock import Clock, SystemClock
from tenderguard.domain.model import Centre
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _
from tenderguard.policy import Policy
from tenderguard.services.gate import Gate

if TYPE_CHECKING:
    from tenderguard.store.sql import SqlStore

__all__ = ["GateApp", "GateConfig", "database_url", "gate_on", "open_gate", "open_store", "settled"]


def database_url(db: str) -> str:
    """A database URL, or a file path taken as SQLite (``day.db`` → ``sqlite:///day.db``)."""
    if not isinstance(db, str) or not db.strip():
        raise InvalidInputError("db", _("is empty"), hint=_("give a file path (SQLite) or a postgresql:// URL"))
    return db if "://" in db else f"sqlite:///{Path(db).expanduser()}"


@contextlib.contextmanager
def open_store(db: str, centre: Centre, *, create: bool = False) -> Iterator[SqlStore]:
    """The store of ``db`` (a URL or a SQLite file; made new only with ``create``), sealed and closed at the end.

    A full disk or an unwritable file is raised as a :class:`~tenderguard.errors.StorageError` naming the
    database; what the block did not commit was rolled back.
    """
    from tenderguard.store.sql import SqlStore  # noqa: PLC0415 - loaded with the store, not with the package
    from tenderguard.store.sql.engine import storage_problem  # noqa: PLC0415

    url = database_url(db)
    try:
        store = SqlStore(url, centre, create=create)
    except Exception as exc:
        raise storage_problem(exc, url) or exc from None
    try:
        yield store
        store.seal_audit()  # leave nothing of this run waiting to be chained
    except Exception as exc:
        found = storage_problem(exc, url)
        if found is None:
            raise
        raise found from None
    finally:
        store.dispose()


def gate_on(store: SqlStore, policy: str | Policy, *, secret: bytes | None = None,
            clock: Clock | None = None) -> Gate:
    """A gate on an opened store with a policy (a preset, a TOML file or a Policy), an ID-hash key and a clock."""
    from tenderguard.policy import load_policy  # noqa: PLC0415

    chosen = policy if isinstance(policy, Policy) else load_policy(policy)
    return Gate(policy=chosen, centre=store.centre, uow_factory=store.unit_of_work, clock=clock or SystemClock(),
                secret=secret)


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

    policy = load_policy(config.policy)
    secret, _created = load_id_secret(config.keys)
    with open_store(config.db, config.centre, create=create) as store:
        yield GateApp(config=config, gate=gate_on(store, policy, secret=secret, clock=clock), keys=config.keys)


@contextlib.contextmanager
def settled() -> Iterator[None]:
    """Leave what start-up built out of the garbage collector's full passes while a desk or web gate runs.

    A desk or web-gate process keeps what its start-up made — modules, SQLAlchemy's compiled statements, the
    state machine, the catalogues: some 100,000 objects — for its whole life, and each of Python's full
    collections walks all of them: 50–200 ms with eight desk processes sharing two cores, long enough for a clerk
    to see the desk stop (benchmarks/README.md). Entering collects once and freezes what is left
    (:func:`gc.freeze`, the standard library's mechanism for this); what the process makes later is collected as
    before. Leaving unfreezes it.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
