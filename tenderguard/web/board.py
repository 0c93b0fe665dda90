"""The supervisor's board: halls against capacity, the desks' pace, people resting, refusals, signals to decide.

The figures refresh every few seconds (htmx polling of ``/board/live``); a signal is decided from the board with a
reason, recorded under the supervisor's account.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from tenderguard.domain.catalogue import reason_label
from tenderguard.errors import TenderGuardError
from tenderguard.i18n import format_date
from tenderguard.web.pages import page
from tenderguard.web.security import WebUser, gate_app, requires

__all__ = ["router"]

router = APIRouter(prefix="/board")
Supervisor = Annotated[WebUser, Depends(requires("supervisor", "office"))]


@router.get("")
def board_page(request: Request, user: Supervisor) -> HTMLResponse:
    """The board's page; its figures load and refresh from ``/board/live``."""
    return page(request, "web/board/page.html", user)


@router.get("/live")
def live(request: Request, user: Supervisor, problem: str | None = None) -> HTMLResponse:
    """The figures as they stand now."""
    gate = gate_app(request).gate
    board = gate.board()
    peak = max((count for _, count in board.quarters), default=0)
    refusals = [(view, reason_label(view.reason), gate.override_approval(view.id))
                for view in gate.outcomes()["refused"]][-20:]
    return page(request, "web/board/_live.html", user, board=board, day=format_date(board.day), peak=peak,
                problem=problem,
                can_decide=user.role in ("supervisor", "admin"), refusals=refusals)


@router.post("/refusals/{screening_id}")
def approve(request: Request, user: Annotated[WebUser, Depends(requires("supervisor"))], screening_id: str,
            reason: Annotated[str, Form()] = "") -> HTMLResponse:
    """Approve setting a refusal aside, with a reason: the desk applies it when the document is read again."""
    try:
        gate_app(request).gate.approve_override(screening_id, reason=reason, supervisor=user.name)
    except TenderGuardError as exc:
        return live(request, user, problem=exc.message)
    return live(request, user)


@router.post("/signals/{signal_id}")
def decide(request: Request, user: Annotated[WebUser, Depends(requires("supervisor"))], signal_id: str,
           decision: Annotated[str, Form()], reason: Annotated[str, Form()] = "") -> HTMLResponse:
    """Decide a signal (``dismiss`` or ``refer``) with a reason."""
    try:
        gate_app(request).gate.decide_signal(signal_id, decision=decision, reason=reason, operator=user.name)
    except TenderGuardError as exc:
        return live(request, user, problem=exc.message)
    return live(request, user)
