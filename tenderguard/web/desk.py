"""The desk page: a tablet at an entrance lane, one screen per person, never frozen by a fever rest.

The clerk registers the person in one form (any of today's sessions; every field editable until submitted; an ID
card reader or barcode scanner typing into a field and pressing Enter moves to the next field). The place check
runs as soon as session, role and company are known. The steps come as big buttons in the policy's order; a fever
parks the person in the resting list and the form is free for the next one; a parked person is resumed with one
tap. The outcome shows the badge (its card PDF ready to print) or the reason to tell the person. Exits and
substitutions (换人) are recorded from the same page.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape

from tenderguard.domain.catalogue import answer_label, reason_label, reason_tell, role_label
from tenderguard.domain.machine import Phase
from tenderguard.domain.model import Arrival
from tenderguard.errors import AuthenticationError, TenderGuardError
from tenderguard.i18n import _
from tenderguard.identity import REGISTRATION_KINDS, parse_document
from tenderguard.policy import (
    DeclarationStep,
    HealthCodeStep,
    MaskStep,
    NucleicTestStep,
    QuestionsStep,
    Role,
    TemperatureStep,
)
from tenderguard.services import Desk, ScreeningView
from tenderguard.web.pages import page
from tenderguard.web.security import WebUser, gate_app, requires

__all__ = ["router"]

router = APIRouter(prefix="/desk")
Clerk = Annotated[WebUser, Depends(requires("desk", "supervisor"))]

_COMPANY_ROLES = (Role.BIDDER, Role.TENDERER, Role.AGENCY)
_OPTIONS = {"mask": ("ok", "replaced", "refused"), "declaration": ("complete", "missing", "mismatch"),
            "colour": ("green", "yellow", "red")}


def _lane(request: Request, user: WebUser) -> str:
    lane = request.session.get("lane")
    return lane if isinstance(lane, str) and lane else user.name


def _desk(request: Request, user: WebUser) -> Desk:
    return gate_app(request).gate.desk(_lane(request, user), user.name)


def _fragment(request: Request, template: str, user: WebUser, *, trigger: str | None = None,
              **context: Any) -> HTMLResponse:
    response = page(request, template, user, **context)
    if trigger:
        response.headers["HX-Trigger"] = trigger
    return response


def _step(request: Request, view: ScreeningView) -> dict[str, Any] | None:
    """What the panel asks for the screening's current step: its kind, label and the choices to tap."""
    gate = gate_app(request).gate
    place = gate.machine.places.get(view.state)
    if place is None:
        return None
    step = place.step
    form: dict[str, Any] = {"label": step.label, "phase": str(place.phase), "options": [], "questions": []}
    if place.phase is Phase.QUESTIONS or isinstance(step, QuestionsStep):
        form |= {"kind": "questions", "questions": [(q.id, q.text) for q in gate.policy.questions]}
    elif isinstance(step, MaskStep):
        form |= {"kind": "mask", "options": [(o, answer_label(o)) for o in _OPTIONS["mask"]]}
    elif isinstance(step, TemperatureStep):
        form |= {"kind": "rest" if place.phase is Phase.REST else "temperature"}
    elif isinstance(step, DeclarationStep):
        options = ("complete", "missing") if place.phase is Phase.FILL_IN else _OPTIONS["declaration"]
        form |= {"kind": "declaration", "options": [(o, answer_label(o)) for o in options]}
    elif isinstance(step, HealthCodeStep):
        form |= {"kind": "health_code", "options": [(o, answer_label(o)) for o in _OPTIONS["colour"]]}
    elif isinstance(step, NucleicTestStep):
        form |= {"kind": "nucleic_test"}
    else:
        form |= {"kind": "confirm"}
    return form


def _panel(request: Request, user: WebUser, view: ScreeningView, *, problem: str | None = None,
           trigger: str | None = None) -> HTMLResponse:
    gate = gate_app(request).gate
    hall = next((s.hall for s in gate.sessions() if s.code == view.session), "")
    approval = gate.override_approval(view.id) if view.outcome == "refused" else None
    return _fragment(request, "web/desk/_panel.html", user, trigger=trigger, view=view, step=_step(request, view),
                     problem=problem, hall=hall, reason=reason_label(view.reason), tell=reason_tell(view.reason),
                     role=role_label(view.role), approval=approval)


def _form(request: Request, user: WebUser, *, notice: str | None = None, problem: str | None = None,
          values: dict[str, str] | None = None, trigger: str | None = None) -> HTMLResponse:
    gate = gate_app(request).gate
    sessions = [(s.code, f"{s.code} {s.project_name}（{s.opens_at:%H:%M}，{s.hall}）"
                 + ("" if s.status == "scheduled" else f" {s.status.label}")) for s in gate.sessions()]
    roles = [(str(r), role_label(r)) for r in Role]
    today = gate.centre.day_of(gate.clock.now())
    return _fragment(request, "web/desk/_form.html", user, trigger=trigger, sessions=sessions, roles=roles,
                     notice=notice, problem=problem, values=values or {}, centre_code=gate.centre.code,
                     today=f"{today:%Y%m%d}", registration_kinds=list(REGISTRATION_KINDS.items()))


@router.get("")
def desk_page(request: Request, user: Clerk) -> HTMLResponse:
    """The whole page: the lane, the registration form, the resting list."""
    return page(request, "web/desk/page.html", user, lane=_lane(request, user))


@router.post("/lane")
def set_lane(request: Request, user: Clerk, lane: Annotated[str, Form()]) -> Response:
    """Name the lane this tablet serves (入口 A…); recorded on every step."""
    request.session["lane"] = lane.strip()[:20] or user.name
    return Response(status_code=204, headers={"HX-Refresh": "true"})


@router.get("/form")
def registration_form(request: Request, user: Clerk) -> HTMLResponse:
    """An empty registration form (the next person)."""
    return _form(request, user)


@router.get("/companies")
def companies(request: Request, user: Clerk, company: str = "") -> HTMLResponse:
    """Companies seen on earlier days whose name starts with what the clerk typed (two characters at least)."""
    found = gate_app(request).gate.companies_like(company)
    return _fragment(request, "web/desk/_companies.html", user, companies=found)


@router.post("/check")
def place_check(request: Request, user: Clerk, session: Annotated[str, Form()] = "",
                role: Annotated[str, Form()] = "bidder", credit_code: Annotated[str, Form()] = "",
                registration_kind: Annotated[str, Form()] = "") -> HTMLResponse:
    """The company's place for the day: free, or taken (when and at which desk, never by whom)."""
    message, level = "", ""
    if session and credit_code.strip():
        try:
            code = _organisation(registration_kind, credit_code)
            decision = gate_app(request).gate.place_check(session, role, code)
        except TenderGuardError as exc:
            message, level = exc.message, "warn"
        else:
            if decision.verdict == "refuse":
                taken = dt.datetime.fromisoformat(str(decision.detail["admitted_at"]))
                message = _("The company's place for today was used at {time} at entrance {desk} ({reason}); to "
                            "swap people, hand back the first badge", time=f"{taken:%H:%M}",
                            desk=decision.detail["desk"], reason=reason_label(decision.reason))
                level = "bad"
            else:
                message, level = _("The place is free"), "ok"
    return HTMLResponse(f'<p class="{level}" role="status">{escape(message)}</p>' if message else "")


def _organisation(kind: str, number: str) -> str:
    """The company's identifier as the gate keeps it: a credit code, or ``HK:…`` for a registration number."""
    number = number.strip()
    return f"{kind}:{number}" if kind in REGISTRATION_KINDS and number else number


def _arrival(request: Request, fields: dict[str, str]) -> Arrival:
    gate = gate_app(request).gate
    company_role = fields["role"] in [str(r) for r in _COMPANY_ROLES]
    document = parse_document(fields.get("id_number", ""), fields.get("document_kind") or None)
    return Arrival(session=fields.get("session", ""), role=fields.get("role", "bidder"),
                   name=fields.get("name", ""), document=document, at=gate.clock.now(),
                   company=(fields.get("company") or None) if company_role else None,
                   credit_code=(_organisation(fields.get("registration_kind", ""), fields.get("credit_code", ""))
                                or None) if company_role else None,
                   phone=fields.get("phone") or None, key_area=fields.get("key_area") == "on")


@router.post("/arrive")
async def arrive(request: Request, user: Clerk) -> HTMLResponse:
    """Register the person (or, with a badge handed back, the substitute) and show the first step."""
    fields = {k: str(v) for k, v in (await request.form()).items()}
    try:
        arrival = _arrival(request, fields)
        desk = _desk(request, user)
        replaces = fields.get("replaces", "").strip()
        if replaces:
            view = desk.substitute(arrival, replaces=replaces, reason=fields.get("substitute_reason", ""))
        else:
            view = desk.arrive(arrival)
    except TenderGuardError as exc:
        return _form(request, user, problem=str(exc), values=fields)
    return _panel(request, user, view)


@router.get("/s/{screening_id}")
def resume(request: Request, user: Clerk, screening_id: str) -> HTMLResponse:
    """A screening's panel (a parked person resumed with one tap)."""
    try:
        view = _desk(request, user).view(screening_id)
    except TenderGuardError as exc:
        return _form(request, user, problem=str(exc))
    return _panel(request, user, view)


def _act(desk: Desk, screening_id: str, fields: dict[str, str], questions: list[str]) -> ScreeningView:
    action = fields.get("action", "")
    if action == "abandon":
        return desk.abandon(screening_id)
    if action == "mask":
        return desk.mask(screening_id, fields.get("value", ""))
    if action == "measure":
        return desk.measure(screening_id, float(fields.get("celsius") or "nan"))
    if action == "answer":
        return desk.answer(screening_id, {q: fields.get(f"q_{q}") == "yes" for q in questions})
    if action == "declare":
        return desk.declare(screening_id, fields.get("value", ""))
    if action == "health_code":
        return desk.health_code(screening_id, fields.get("value", ""))
    if action == "nucleic_test":
        tested = fields.get("tested_at") or ""
        at = dt.datetime.fromisoformat(tested).replace(tzinfo=desk.gate.centre.tz) if tested else None
        return desk.nucleic_test(screening_id, at, negative=fields.get("negative", "yes") == "yes")
    return desk.confirm(screening_id)


@router.post("/s/{screening_id}")
async def step(request: Request, user: Clerk, screening_id: str) -> HTMLResponse:
    """Take the step shown; a fever parks the person and frees the form for the next one."""
    fields = {k: str(v) for k, v in (await request.form()).items()}
    desk = _desk(request, user)
    questions = [q.id for q in gate_app(request).gate.policy.questions]
    try:
        view = _act(desk, screening_id, fields, questions)
    except (TenderGuardError, ValueError) as exc:
        current = desk.view(screening_id)
        return _panel(request, user, current, problem=exc.message if isinstance(exc, TenderGuardError) else
                      "请输入体温读数，例如 36.5")
    if not view.closed and view.rest_until is not None:
        notice = (f"{view.name_masked}体温偏高，已安排休息，可于{view.rest_until:%H:%M}复测；"
                  "请先为下一位登记")
        return _form(request, user, notice=notice, trigger="resting-changed")
    return _panel(request, user, view, trigger="resting-changed" if view.closed else None)


@router.post("/residence/{screening_id}")
def residence(request: Request, user: Clerk, screening_id: str, residence: Annotated[str, Form()] = "") -> HTMLResponse:
    """Where a refused person lives (居住街道/社区, optional), asked when the policy tells the community."""
    desk = _desk(request, user)
    try:
        view = gate_app(request).gate.record_residence(screening_id, residence, actor=desk.actor)
    except TenderGuardError as exc:
        return _panel(request, user, desk.view(screening_id), problem=exc.message)
    return _panel(request, user, view)


@router.post("/override/{screening_id}")
async def override(request: Request, user: Clerk, screening_id: str) -> HTMLResponse:
    """The supervisor's override at the desk, signed with the supervisor's own account and a reason.

    The person's document is read again (it must be the refused screening's); the person then goes through every
    step, audited under the desk's and the supervisor's names.
    """
    fields = {k: str(v) for k, v in (await request.form()).items()}
    opened = gate_app(request)
    by_name, _by_address = request.app.state.login_limits
    supervisor = fields.get("supervisor", "").strip()
    desk = _desk(request, user)
    refused = desk.view(screening_id)
    approval = opened.gate.override_approval(screening_id)
    try:
        if approval is not None and not supervisor:  # approved from the board already
            signer, reason = approval
        else:
            if by_name.wait(supervisor) > 0:
                raise AuthenticationError("登录失败次数过多，请稍后再试")
            try:
                account = opened.gate.authenticate(supervisor, fields.get("password", ""))
            except AuthenticationError:
                by_name.failed(supervisor)
                raise
            if str(account.role) not in ("supervisor", "admin"):
                raise AuthenticationError(f"{account.name}不是监督人员，不能特批")
            signer, reason = account.name, fields.get("reason", "")
        release = _release_of(refused.reason)
        arrival = opened.gate.arrival_again(screening_id, fields.get("id_number", ""))
        view = desk.supervisor_override(arrival, release=release, reason=reason, supervisor=signer,
                                        reverses=screening_id if release == "refusal" else None)
    except TenderGuardError as exc:
        return _panel(request, user, refused, problem=exc.message)
    return _panel(request, user, view)


def _release_of(reason: str | None) -> str:
    """What an override sets aside for a refusal's reason (see ``OVERRIDE_RELEASES``)."""
    return reason if reason in ("hall_full", "represents_other_bidder") else "refusal"


@router.get("/resting")
def resting(request: Request, user: Clerk) -> HTMLResponse:
    """The people parked at this lane after a fever, with the time each may be measured again.

    Only this lane's: a desk never lists the people (even masked) of another desk.
    """
    now = gate_app(request).gate.clock.now()
    parked = []
    for rest in gate_app(request).gate.resting(_lane(request, user)):
        left = max(0, int((rest.rest_until - now).total_seconds()))
        parked.append({"view": rest, "due": left == 0, "left": divmod(left, 60)})
    return _fragment(request, "web/desk/_resting.html", user, parked=parked)


@router.post("/exit")
def record_exit(request: Request, user: Clerk, badge: Annotated[str, Form()]) -> HTMLResponse:
    """Record that a badge holder left the hall."""
    try:
        _desk(request, user).record_exit(badge.strip())
    except TenderGuardError as exc:
        return HTMLResponse(f'<p class="error" role="alert">{escape(exc.message)}</p>')
    return HTMLResponse(f'<p class="ok" role="status">已登记离场：{escape(badge.strip())}</p>')


@router.get("/badge/{serial}.pdf")
def badge_card(request: Request, user: Clerk, serial: str) -> Response:
    """The badge's card (85 × 54 mm) as a PDF, to print at the desk."""
    from tenderguard.keys import load_signing_key  # noqa: PLC0415 - read when a card is printed

    opened = gate_app(request)
    badge = opened.gate.badge(serial)
    folder = Path(tempfile.mkdtemp(prefix="tenderguard-card-"))
    out = folder / f"{serial}.pdf"
    run = opened.gate.print_badges(badge.day, load_signing_key(opened.keys), out, layout="card", serials=[serial],
                                   operator=user.name)
    if run.result is None:
        return HTMLResponse(f"标识{escape(serial)}无法打印：{escape(run.unprintable[0].reason)}", status_code=422)
    data = out.read_bytes()
    out.unlink()
    folder.rmdir()
    headers = {"Cache-Control": "no-store", "Content-Disposition": f'inline; filename="{serial}.pdf"'}
    return Response(data, media_type="application/pdf", headers=headers)

