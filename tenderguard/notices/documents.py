"""The pre-bid reminder notice to one agency (email, plain text, SMS, phone script, PDF) and the blank declaration form.

Under the pre-bid phone reminder system (开标前电话提醒制度) the centre cannot reach the bidders before the opening
(Bidding Law art. 22), so it tells the agency of each session, which relays to its bidders. :func:`build_notice`
writes everything the centre sends or reads to **one** agency about **one** day (an :class:`AgencyDay`): its
sessions with opening times, halls and arrival windows, and the entry rules generated from the policy's steps, so
that what the agency relays always matches what the desk does. The wording (entry rules, session lines, the
templates' view and the SMS text) is written by :mod:`tenderguard.notices.notice_content`.

Nothing another agency should not see can get into a notice: the templates receive only a view built from the
group's own agency and sessions (never its call log, never another session's arrival window, never a head count),
and a group holding a session of another agency is refused. Every printed value is checked for invisible and
bidirectional characters; the HTML templates autoescape, so a project named ``<img src=file:///etc/passwd>`` is
printed as those characters.

:func:`render_declaration_form` prints the blank health declaration form (健康调查表 / 承诺书) of a session from
the policy's questions, with a QR code tying it to its session (:func:`form_reference`). PDFs go through the
project's one Jinja environment, its URL fetcher (templates folder and generated data only) and its font checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import attrs

from tenderguard.domain.arrival_slots import ArrivalWindow
from tenderguard.domain.model import BidSession, Centre
from tenderguard.domain.reminders import AgencyDay
from tenderguard.errors import InvalidInputError, RenderError
from tenderguard.i18n import _
from tenderguard.notices.notice_content import (
    NUMERALS,
    checked_contact,
    entry_rules,
    long_date,
    notice_view,
    plan_notice_sms,
    session_lines,
)
from tenderguard.notices.sms import SmsPlan
from tenderguard.policy import DeclarationStep, Policy
from tenderguard.records.files import checked_target

# WeasyPrint's shared FontConfiguration and the print-font cache are not thread-safe: one document at a time, for
# badges and notices alike, so the badges' lock is shared rather than a second one made here.
from tenderguard.render.badge_card import WEEKDAYS
from tenderguard.render.environment import render_template
from tenderguard.render.fetcher import TemplateFetcher
from tenderguard.render.pdf import write_pdf
from tenderguard.render.qr import qr_png
from tenderguard.render.text import check_text

__all__ = [
    "FORM_PREFIX",
    "AgencyNotice",
    "build_notice",
    "form_reference",
    "render_declaration_form",
    "render_notice_pdf",
]

#: First field of a declaration form's QR payload: ``TGFORM|<centre code>|<session code>|<yyyymmdd>``.
FORM_PREFIX = "TGFORM"
_FOLDER = "notices"


@attrs.frozen
class AgencyNotice:
    """What the centre sends or reads to one agency about its sessions of one day; holds only that agency's data.

    ``html`` is a complete HTML email body (Chinese, then a short English summary) and ``text`` its plain-text
    alternative; ``sms`` the planned short message with the centre's 【signature】; ``phone_script`` what the
    centre's caller reads on the phone, with a line to note the outcome; ``subject`` the email subject.
    """

    agency: str
    day: dt.date
    sessions: tuple[str, ...]
    subject: str
    html: str
    text: str
    sms: SmsPlan
    phone_script: str


# ------------------------------------------------------------------------------------------------ building


def build_notice(
    group: AgencyDay,
    *,
    policy: Policy,
    centre: Centre,
    windows: Mapping[str, ArrivalWindow] | None = None,
    signature: str | None = None,
    max_sms_parts: int = 3,
    contact_phone: str | None = None,
) -> AgencyNotice:
    """The notice to ``group``'s agency about its sessions that day: email (HTML and text), SMS and phone script.

    ``windows`` maps session codes to arrival windows (the day's plan may hold every agency's; only this agency's
    sessions are looked up). ``signature`` defaults to ``【<centre name>】``; the SMS is the fullest text that
    fits ``max_sms_parts``. A session of another agency or another day in the group raises InvalidInputError; a
    value with invisible or bidirectional characters raises RenderError.
    """
    if not isinstance(group, AgencyDay):
        raise InvalidInputError("group", _("{kind} is not an AgencyDay", kind=type(group).__name__),
                                hint=_("build notices from agency_days(), one per agency and day"))
    check_text("agency.name", group.agency.name, max_length=100)
    check_text("centre.name", centre.name, max_length=50)
    contact = checked_contact(contact_phone)
    sessions = session_lines(group, centre, windows)
    rules = entry_rules(policy, contact)
    subject = f"{centre.name}：{long_date(group.day)}开标入场须知（{len(sessions)}场）"
    view = notice_view(group, centre=centre, sessions=sessions, rules=rules, contact_phone=contact,
                       subject=subject)
    return AgencyNotice(
        agency=group.agency.code,
        day=group.day,
        sessions=tuple(s.code for s in sessions),
        subject=subject,
        html=render_template(f"{_FOLDER}/notice.html", **view),
        text=render_template(f"{_FOLDER}/notice.txt", **view),
        sms=plan_notice_sms(view, signature=signature if signature is not None else f"【{centre.name}】",
                            max_parts=max_sms_parts),
        phone_script=render_template(f"{_FOLDER}/phone-script.txt", **view),
    )


# ------------------------------------------------------------------------------------------------ PDFs


def _write_pdf(html: str, out: Path, *, stylesheet: str, fields: Iterable[tuple[str, str]],
               fetcher: TemplateFetcher) -> Path:
    """Write a notice or form (resources from ``templates/notices``) as a PDF, fonts checked first."""
    return write_pdf(html, checked_target(Path(out)), folder=_FOLDER, stylesheet=stylesheet, fields=fields,
                     fetcher=fetcher)


def render_notice_pdf(
    notice: AgencyNotice | AgencyDay,
    out: Path,
    *,
    policy: Policy | None = None,
    centre: Centre | None = None,
    windows: Mapping[str, ArrivalWindow] | None = None,
    contact_phone: str | None = None,
) -> Path:
    """Write the notice (or the notice built from an AgencyDay with ``policy`` and ``centre``) as an A4 PDF; ``out``.

    The PDF prints the email's HTML with the print stylesheet ``templates/notices/notice-print.css``, after
    checking that the font can draw every character.
    """
    if isinstance(notice, AgencyDay):
        if policy is None or centre is None:
            raise InvalidInputError("policy", _("a notice built from an AgencyDay needs the policy and the centre"),
                                    hint=_("pass policy=… and centre=…, or a notice from build_notice()"))
        notice = build_notice(notice, policy=policy, centre=centre, windows=windows, contact_phone=contact_phone)
    elif not isinstance(notice, AgencyNotice):
        raise InvalidInputError("notice", _("{kind} is neither an AgencyNotice nor an AgencyDay; give one of them",
                                          kind=type(notice).__name__))
    return _write_pdf(notice.html, out, stylesheet="notice-print.css", fields=[("notice", notice.subject)],
                      fetcher=TemplateFetcher())


def form_reference(centre: Centre, session: BidSession) -> str:
    """What a declaration form's QR code encodes: ``TGFORM|<centre code>|<session code>|<yyyymmdd>``."""
    return f"{FORM_PREFIX}|{centre.code}|{session.code}|{session.day(centre):%Y%m%d}"


def _form_questions(policy: Policy) -> Sequence[str]:
    """The questions the form asks: the policy's, in its order."""
    return [q.text for q in policy.questions]


def render_declaration_form(policy: Policy, session: BidSession, out: Path, *, centre: Centre) -> Path:
    """Write the blank health declaration form (健康调查表 / 承诺书) of ``session`` as an A4 PDF; ``out``.

    Fields for name, ID number, company, phone, role, the 14-day travel history, each of the policy's questions
    with 是/否 boxes, the contact history, the pledge with a signature line and date, and a QR code of
    :func:`form_reference`. A policy that takes no declaration (``badge-only``) raises RenderError.
    """
    if not any(isinstance(step, DeclarationStep) for step in policy.steps):
        raise RenderError(_("policy {name} takes no health declaration form", name=policy.name),
                          hint=_("use a policy with a declaration step, e.g. miyun-2020"), field="policy")
    check_text("centre.name", centre.name, max_length=50)
    check_text("session.project_name", session.project_name, max_length=200)
    check_text("session.hall", session.hall, max_length=50)
    questions = _form_questions(policy)
    for index, question in enumerate(questions):
        check_text(f"questions[{index}]", question, max_length=200)
    fetcher = TemplateFetcher()
    reference = form_reference(centre, session)
    opens = session.opens_at.astimezone(centre.tz)
    day = opens.date()
    html = render_template(
        f"{_FOLDER}/declaration-form.html",
        document_title=f"健康调查表 {session.code}",
        centre_name=centre.name,
        code=session.code,
        project_name=session.project_name,
        opens=f"{long_date(day)}（{WEEKDAYS[day.weekday()]}）{opens:%H:%M}",
        hall=session.hall,
        questions=questions,
        flow=" → ".join(step.label for step in policy.steps),
        retention_days=policy.retention.health_data_days,
        reference=reference,
        qr_url=fetcher.register(qr_png(reference, scale=4), "image/png"),
        numerals=NUMERALS,
    )
    fields = [("centre.name", centre.name), ("session.project_name", session.project_name),
              ("session.hall", session.hall), *((f"questions[{i}]", q) for i, q in enumerate(questions))]
    return _write_pdf(html, out, stylesheet="declaration-form.css", fields=fields, fetcher=fetcher)
