"""How the operator leaves the terminal desk's usual flow: quit, the person left, rests aside, a value refused."""

from __future__ import annotations

__all__ = ["DeskQuit", "Invalid", "Parked", "PersonLeft"]


class DeskQuit(Exception):
    """Raised when the operator types ``q``: the desk closes, an open screening stays open to resume."""


class PersonLeft(Exception):
    """The operator typed ``a``: the person left."""


class Parked(Exception):
    """The operator typed ``p`` during a rest: the person waits aside and the desk takes the next arrival."""


class Invalid(Exception):
    """A typed value was not accepted; the message says why (already translated)."""
