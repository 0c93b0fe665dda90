"""The JSON API for the centre's systems: ``/api/v1/...`` with a bearer token (``tenderguard operator token``).

Every POST takes an ``Idempotency-Key`` header: the same key again returns the first answer and changes nothing
(a tablet retrying after a dropped reply never moves a screening twice); the same key with another request is
refused (422), and while the first request still runs a repeat gets 409. Errors are JSON with the library's error
name, a reason code where there is one, and a message; a step out of order is 409 naming the expected actions.
The OpenAPI document is at ``/api/openapi.json``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

import attrs
from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from tenderguard.batch import ARRIVAL_FIELDS, parse_arrival
from tenderguard.domain.badge_code import describe
from tenderguard.domain.model import a_day
from tenderguard.errors import (
    AuthenticationError,
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    TenderGuardError,
)
from tenderguard.i18n import _
from tenderguard.services import Desk, ScreeningView
from tenderguard.web.security import WebUser, gate_app, requires

__all__ = ["error_response", "router"]

router = APIRouter(prefix="/api/v1", tags=["gate"])

_DESKS = ("desk", "supervisor")
_ACTIONS = ("mask", "confirm", "measure", "answer", "declare", "health_code", "nucleic_test", "abandon")


def _view(view: ScreeningView) -> dict[str, Any]:
    data = attrs.asdict(view, recurse=False)
    data["expected"] = list(view.expected)
    data["services"] = list(view.services)
    data["rest_until"] = view.rest_until.isoformat() if view.rest_until else None
    data["detail"] = json.loads(json.dumps(dict(view.detail), default=str))
    return data


def error_response(exc: TenderGuardError) -> JSONResponse:
    """The library's error as JSON: its name, message, hint and field (a step out of order: the expected actions).

    401 for a refused login or token, 404 for something unknown, 409 for a step out of order, else 422.
    """
    body: dict[str, Any] = {"error": type(exc).__name__, "message": exc.message, "hint": exc.hint,
                            "field": getattr(exc, "field", None)}
    status = 422
    if isinstance(exc, InvalidTransitionError):
        body["expected"] = list(exc.expected)
        status = 409
    elif isinstance(exc, AuthenticationError):
        status = 401
    elif isinstance(exc, NotFoundError):
        status = 404
    return JSONResponse(body, status_code=status)


def _desk(request: Request, user: WebUser, desk: str | None) -> Desk:
    name = (desk or f"api-{user.name}").strip()[:40] or f"api-{user.name}"
    return gate_app(request).gate.desk(name, user.name)


def _idempotent(request: Request, user: WebUser, key: str | None, payload: Any,
                run: Callable[[], tuple[int, dict[str, Any]]]) -> JSONResponse:
    """Run ``run`` once per (account, Idempotency-Key); a repeat gets the stored answer."""
    if key is None:
        return _answer(run)
    if not (0 < len(key) <= 100 and key.isascii() and key.isprintable()):
        return JSONResponse({"error": "InvalidInputError", "field": "Idempotency-Key",
                             "message": "Idempotency-Key must be 1-100 printable ASCII characters"}, 422)
    gate = gate_app(request).gate
    digest = hashlib.sha256(json.dumps([request.method, request.url.path, payload], sort_keys=True,
                                       ensure_ascii=False, default=str).encode()).hexdigest()
    earlier = gate.idempotent(user.name, key, digest)
    if earlier is not None:
        if earlier.request_hash != digest:
            return JSONResponse({"error": "IdempotencyKeyReused", "message": "此 Idempotency-Key 已用于另一个请求",
                                 "hint": "use a new key for a new request"}, 422)
        if earlier.status is None:
            return JSONResponse({"error": "RequestInProgress", "message": "同一请求正在处理，请稍后重试"}, 409,
                                headers={"Retry-After": "1"})
        return JSONResponse(dict(earlier.body or {}), earlier.status, headers={"Idempotent-Replayed": "true"})
    try:
        response = _answer(run)
    except BaseException:
        gate.release_request(user.name, key)  # nothing was answered: a retry runs the request anew
        raise
    gate.remember_reply(user.name, key, response.status_code, json.loads(bytes(response.body)))
    return response


def _answer(run: Callable[[], tuple[int, dict[str, Any]]]) -> JSONResponse:
    try:
        status, body = run()
    except TenderGuardError as exc:
        return error_response(exc)
    return JSONResponse(body, status)


User = Annotated[WebUser, Depends(requires(*_DESKS))]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
DeskName = Annotated[str | None, Header(alias="X-Desk", description="The desk (lane) the request comes from.")]


@router.get("/sessions")
def sessions(request: Request, user: Annotated[WebUser, Depends(requires())],
             date: Annotated[dt.date | None, Query()] = None) -> list[dict[str, Any]]:
    """The sessions of a day (default today): code, project, opening time, hall, status — never who bids."""
    gate = gate_app(request).gate
    day = a_day(date, field="date") if date else gate.centre.day_of(gate.clock.now())
    return [{"code": s.code, "project_name": s.project_name, "opens_at": s.opens_at.isoformat(), "hall": s.hall,
             "status": str(s.status)} for s in gate.sessions(day)]


@router.post("/screenings", status_code=201)
def open_screening(request: Request, user: User, arrival: Annotated[dict[str, Any], Body()],
                   key: IdempotencyKey = None, desk: DeskName = None) -> JSONResponse:
    """An arrival (the fields of a batch line; ``at`` defaults to now) → the screening's view."""
    opened = gate_app(request)

    def run() -> tuple[int, dict[str, Any]]:
        unknown = sorted(set(arrival) - set(ARRIVAL_FIELDS))
        if unknown:
            raise InvalidInputError(unknown[0], _("unknown field"), hint=_("known fields: {items}",
                                                                        items=_(", ").join(ARRIVAL_FIELDS)))
        fields = dict(arrival)
        fields.setdefault("at", opened.gate.clock.now().isoformat())
        return 201, _view(_desk(request, user, desk).arrive(parse_arrival(fields)))

    return _idempotent(request, user, key, arrival, run)


@router.get("/screenings/{screening_id}")
def screening(request: Request, user: User, screening_id: str, desk: DeskName = None) -> JSONResponse:
    """A screening's view."""
    return _answer(lambda: (200, _view(_desk(request, user, desk).view(screening_id))))


def _act(d: Desk, screening_id: str, body: dict[str, Any]) -> ScreeningView:
    action = body.get("action")
    if action not in _ACTIONS:
        raise InvalidInputError("action", _("{action!r} is not an action", action=action), hint=_("one of {items}",
                                                                                 items=_(", ").join(_ACTIONS)))
    if action == "mask":
        return d.mask(screening_id, str(body.get("condition", "ok")))
    if action == "confirm":
        return d.confirm(screening_id)
    if action == "measure":
        return d.measure(screening_id, body.get("celsius"), device=body.get("device"))  # type: ignore[arg-type]
    if action == "answer":
        answers = body.get("answers")
        if not isinstance(answers, dict):
            raise InvalidInputError("answers", _("must be an object of question → true/false"))
        return d.answer(screening_id, answers)
    if action == "declare":
        return d.declare(screening_id, str(body.get("status", "")))
    if action == "health_code":
        return d.health_code(screening_id, str(body.get("colour", "")))
    if action == "nucleic_test":
        tested = body.get("tested_at")
        at = dt.datetime.fromisoformat(tested) if isinstance(tested, str) else None
        return d.nucleic_test(screening_id, at, negative=bool(body.get("negative", True)))
    return d.abandon(screening_id)


@router.post("/screenings/{screening_id}/actions")
def screening_action(request: Request, user: User, screening_id: str, body: Annotated[dict[str, Any], Body()],
                     key: IdempotencyKey = None, desk: DeskName = None) -> JSONResponse:
    """One desk action (``{"action": "measure", "celsius": 36.5}``…) → the new view; out of order: 409."""
    return _idempotent(request, user, key, body,
                       lambda: (200, _view(_act(_desk(request, user, desk), screening_id, body))))


@router.post("/exits")
def record_exit(request: Request, user: Annotated[WebUser, Depends(requires("desk", "door", "supervisor"))],
                body: Annotated[dict[str, Any], Body()], key: IdempotencyKey = None,
                desk: DeskName = None) -> JSONResponse:
    """A badge holder leaves the hall: ``{"badge": "MY-20261123-0007"}``."""
    def run() -> tuple[int, dict[str, Any]]:
        badge = body.get("badge")
        if not isinstance(badge, str):
            raise InvalidInputError("badge", _("is required"), hint=_("the serial printed on the badge"))
        _desk(request, user, desk).record_exit(badge)
        return 200, {"badge": badge, "exited": True}

    return _idempotent(request, user, key, body, run)


@router.post("/badges/verify")
def verify_badge(request: Request, user: Annotated[WebUser, Depends(requires("door", "desk", "supervisor"))],
                 body: Annotated[dict[str, Any], Body()], key: IdempotencyKey = None) -> JSONResponse:
    """A scanned badge code → the verdict, its reason code and a message (revocations and reprints checked)."""
    opened = gate_app(request)

    def run() -> tuple[int, dict[str, Any]]:
        from tenderguard.keys import PUBLIC_KEY_FILE, load_public_key  # noqa: PLC0415 - read when first needed

        code = body.get("code")
        if not isinstance(code, str):
            raise InvalidInputError("code", _("is required"), hint=_("the text of the badge's QR code"))
        verdict = opened.gate.verify_badge(code, load_public_key(opened.keys / PUBLIC_KEY_FILE))
        return 200, describe(verdict)

    return _idempotent(request, user, key, body, run)


@router.get("/signals")
def signals(request: Request, user: Annotated[WebUser, Depends(requires("supervisor"))],
            date: Annotated[dt.date | None, Query()] = None) -> list[dict[str, Any]]:
    """The day's signals for the supervisor (masked), each with its kind, status and decision."""
    gate = gate_app(request).gate
    day = a_day(date, field="date") if date else None
    return [json.loads(json.dumps(attrs.asdict(s), default=str)) for s in gate.signal_details(day, operator=user.name)]
