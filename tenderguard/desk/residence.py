"""The terminal desk's question after a refusal the policy tells the community about: where the person lives.

Asked once the outcome is shown, only when :attr:`ScreeningView.asks_residence` says so; the answer is optional
(Enter skips it) and checked like a name (length, no control characters, no markup). A refused answer is said and
asked again; nothing is stored until it is accepted.
"""

from __future__ import annotations

from typing import Protocol

from tenderguard.desk.terminal import Terminal
from tenderguard.errors import InvalidInputError, TenderGuardError
from tenderguard.i18n import _
from tenderguard.services import Desk, Gate, ScreeningView

__all__ = ["ask_residence"]


class _Asking(Protocol):
    """What the question needs of the desk's terminal session."""

    gate: Gate
    desk: Desk
    term: Terminal

    def _ask_raw(self, prompt: str) -> str: ...

    def _problem(self, exc: TenderGuardError) -> str: ...


def ask_residence(app: _Asking, view: ScreeningView) -> None:
    """Ask where the refused person lives (居住街道/社区) and keep it for the community's letter; Enter skips."""
    while True:
        answer = app._ask_raw(_("Residential street / community, for the community notice (Enter to skip)> "))
        if not answer:
            return
        try:
            app.gate.record_residence(view.id, answer, actor=app.desk.actor)
        except InvalidInputError as exc:
            app.term.say(app._problem(exc), "bad")
            continue
        app.term.say(_("Residence recorded"), "ok")
        return
