"""The pre-bid reminder notice to one agency (email, plain text, SMS, phone script, PDF) and the blank declaration form.

Under the pre-bid phone reminder system (开标前电话提醒制度) the centre cannot reach the bidders before the opening
(Bidding Law art. 22), so it tells the agency of each session, which relays to its bidders. :func:`build_notice`
writes everything the centre sends or reads to **one** agency about **one** day (an :class:`AgencyDay`): its
sessions with opening times, halls and arrival windows, and the entry rules generated from the policy's steps, so
that what the agency relays always matches what the desk does.

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
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from tenderguard.domain.arrival_slots import ArrivalWindow
from tenderguard.domain.model import BidSession, Centre
from tenderguard.domain.reminders import AgencyDay, CallOutcome
from tenderguard.errors import InvalidInputError, RenderError
from tenderguard.notices.sms import SmsPlan, plan_sms
from tenderguard.policy import (
    DeclarationStep,
    HealthCodeStep,
    MaskStep,
    NucleicTestStep,
    Policy,
    QuestionsStep,
    Role,
    Step,
    TemperatureStep,
)

# WeasyPrint's shared FontConfiguration and the print-font cache are not thread-safe: one document at a time, for
# badges and notices alike, so the badges' lock is shared rather than a second one made here.
from tenderguard.render.badges import WEEKDAYS
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
_NUMERALS = "一二三四五六七八九十"
_CONTACT_PHONE = re.compile(r"^\+?[0-9][0-9 ()（）\-转]{4,29}\Z")
_COLOURS = {"green": "绿码", "yellow": "黄码", "red": "红码"}
_SERVICES = {
    "separate_room": ("重点地区人员服务专厅(分隔等候,不与他人接触)", "a separate waiting room"),
    "proxy": ("全程代办服务", "proxy service"),
    "remote": ("不见面开标(远程参加开标)", "remote bid opening"),
}
_OUTCOMES = {
    CallOutcome.REACHED: "已告知",
    CallOutcome.WILL_RELAY: "将转告投标人",
    CallOutcome.NO_ANSWER: "无人接听",
    CallOutcome.WRONG_NUMBER: "号码错误",
    CallOutcome.CALLBACK: "约定回电",
}


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


# ------------------------------------------------------------------------------------------------ the view


@attrs.frozen
class _SessionLine:
    """One of the agency's sessions as a notice prints it."""

    code: str
    project_name: str
    opens: str  # 09:30, in the centre's time
    hall: str
    window: str | None  # 请于 08:40–09:05 之间到达
    window_span: str | None  # 08:40–09:05


@attrs.frozen
class _EntryStep:
    """One step of the entry procedure: the policy's label and what it asks of the person."""

    label: str
    detail: str


@attrs.frozen
class _Rules:
    """The entry rules generated from the policy: the same in the email, the SMS, the script and the PDF."""

    steps: tuple[_EntryStep, ...]
    flow: str  # 佩戴口罩 → 脚踩84消毒垫 → …
    admission: tuple[str, ...]  # 一公司一人, 一标识一天, quotas, re-entry
    bring: tuple[str, ...]
    bring_en: tuple[str, ...]
    bring_short: str  # 身份证、口罩、填好的健康调查表
    form: str | None  # the declaration form to fill in beforehand, when the policy takes one
    key_area: str | None
    key_area_en: str | None
    health: bool


def _date(day: dt.date) -> str:
    """``2026年11月23日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def _threshold(value: float) -> str:
    """``37.3``: a temperature without trailing zeros."""
    return f"{value:g}"


def _step_detail(step: Step, policy: Policy) -> str:
    """What a step asks of the person arriving, from its kind and settings."""
    if isinstance(step, MaskStep):
        return "进入大厅及在场期间全程佩戴口罩" + (",口罩不符合要求的现场更换" if step.replace_allowed else "")
    if isinstance(step, TemperatureStep):
        if step.remeasures:
            detail = (f"体温达到{_threshold(step.threshold)}℃即为发热,休息{step.rest_minutes}分钟后复测"
                      f"(最多{step.remeasures}次),仍发热者不得进场")
        else:
            detail = f"体温达到{_threshold(step.threshold)}℃即为发热,不得进场"
        if step.ask_questions and policy.questions:
            detail += ";同时现场询问健康状况,请如实回答"
        return detail
    if isinstance(step, QuestionsStep):
        return "现场询问健康状况,请如实回答"
    if isinstance(step, DeclarationStep):
        if step.required:
            return "递交提前填好并签字的健康调查表(承诺书),工作人员现场核实"
        return "如带有健康调查表(承诺书)请递交,工作人员现场核实"
    if isinstance(step, HealthCodeStep):
        colours = "或".join(_COLOURS.get(c, c) for c in step.accepted)
        return f"出示本人健康码,{colours}方可进场"
    if isinstance(step, NucleicTestStep):
        return f"出示{step.max_age_hours}小时内的核酸检测阴性证明"
    return ""  # a confirmed step (消毒, 登记…): its label says it all


def _admission(policy: Policy) -> tuple[str, ...]:
    """一公司一人, 一标识一天, the other roles' quotas and re-entry, from the policy."""
    admission = [f"一公司一人:每家投标单位每天只限{policy.quota(Role.BIDDER) or 1}人进入开标区域,"
                 "请各投标人提前确定参加开标的人员",
                 f"一标识一天:检查合格后领取当日的{policy.badge.title},凭标识进入开标区域,"
                 "标识仅限本人当日使用,次日作废"]
    roles = ((Role.AGENCY, "招标代理"), (Role.TENDERER, "招标人(采购人)"))
    others = [f"{label}每天限{limit}人" for role, label in roles if (limit := policy.quota(role)) is not None]
    if others:
        admission.append("其他人员:" + ",".join(others))
    if policy.reentry.allowed:
        again = policy.reentry_steps()
        admission.append("当日离场后再次进入须出示标识"
                         + (",并重新进行" + "、".join(s.label for s in again) if again else ""))
    else:
        admission.append("当日离场后不得再次进入")
    return tuple(admission)


@attrs.frozen
class _Bring:
    """What to bring (in Chinese, in English, in a few words for the SMS) and the note on the declaration form."""

    items: tuple[str, ...]
    items_en: tuple[str, ...]
    short: str
    form: str | None


def _bring(policy: Policy) -> _Bring:
    """What each person brings, from the policy's steps: ID card always; mask, phone, test, form as they ask."""
    items, items_en, short = ["本人身份证"], ["your ID card"], ["身份证"]
    if any(isinstance(s, MaskStep) for s in policy.steps):
        items.append("口罩(建议一次性医用口罩)")
        items_en.append("a mask")
        short.append("口罩")
    if any(isinstance(s, HealthCodeStep) for s in policy.steps):
        items.append("手机(现场出示健康码)")
        items_en.append("your phone with the health code")
    nucleic = next((s for s in policy.steps if isinstance(s, NucleicTestStep)), None)
    if nucleic is not None:
        items.append(f"{nucleic.max_age_hours}小时内的核酸检测阴性证明")
        items_en.append(f"a negative nucleic-acid test from the last {nucleic.max_age_hours} hours")
        short.append("核酸阴性证明")
    declaration = next((s for s in policy.steps if isinstance(s, DeclarationStep)), None)
    form: str | None = None
    if declaration is not None:
        if declaration.required:
            items.append("提前填写并本人签字的健康调查表(承诺书)")
            items_en.append("the health declaration form, filled in and signed beforehand")
            short.append("填好的健康调查表")
        else:
            items.append("健康调查表(承诺书),如已填写")
            items_en.append("the health declaration form if you have one")
        form = "健康调查表(承诺书)须在到场前下载打印,如实填写并由本人签字,入场时递交核实;" + (
            "现场虽可补填,但会延长排队等候,可能影响按时进入开标室" if declaration.fill_in_at_desk
            else "现场不提供填写,未携带填好的调查表者不得进场")
    return _Bring(items=tuple(items), items_en=tuple(items_en), short="、".join(short), form=form)


def _key_area(policy: Policy, contact_phone: str | None) -> tuple[str | None, str | None]:
    """What arrivals from a key area (重点地区) must do, in Chinese and English; None when the policy has no regime."""
    rule = policy.key_area
    services = [s for s in rule.services if s in _SERVICES]
    if rule.action not in ("refer", "refuse") and not services:
        return None, None
    who = "近14天内到过国家公布的疫情重点地区的人员"
    report = f"(报备电话:{contact_phone})" if contact_phone else ""
    if rule.action == "refuse":
        text = f"{who}不得进入开标大厅,须提前向中心报备{report}"
    elif rule.action == "refer":
        text = f"{who}须提前向中心报备{report},到场后由专人引导,不得直接进入大厅"
    else:
        text = f"{who}请提前向中心报备{report}"
    if services:
        text += ";可选择:" + "、".join(_SERVICES[s][0] for s in services)
    available = f" ({', '.join(_SERVICES[s][1] for s in services)} available)" if services else ""
    return text, f"Anyone who was in a listed key area within 14 days must report to the centre in advance{available}."


def _rules(policy: Policy, contact_phone: str | None) -> _Rules:
    """The entry rules of ``policy`` in the words of a notice."""
    steps = tuple(_EntryStep(label=s.label, detail=_step_detail(s, policy)) for s in policy.steps)
    bring = _bring(policy)
    key_area, key_area_en = _key_area(policy, contact_phone)
    return _Rules(
        steps=steps,
        flow=" → ".join(s.label for s in steps),
        admission=_admission(policy),
        bring=bring.items,
        bring_en=bring.items_en,
        bring_short=bring.short,
        form=bring.form,
        key_area=key_area,
        key_area_en=key_area_en,
        health=policy.health_checks,
    )


def _checked_contact(contact_phone: str | None) -> str | None:
    """The centre's contact phone as given, if it looks like one (``010-69041234``, ``138 1234 5678``)."""
    if contact_phone is None:
        return None
    if (not isinstance(contact_phone, str) or not _CONTACT_PHONE.match(contact_phone.strip())
            or sum(c.isdigit() for c in contact_phone) < 5):
        raise InvalidInputError("contact_phone", f"{contact_phone!r} is not a phone number",
                                hint="give the centre's number as it should be printed, e.g. 010-69041234")
    return contact_phone.strip()


def _session_lines(group: AgencyDay, centre: Centre,
                   windows: Mapping[str, ArrivalWindow] | None) -> tuple[_SessionLine, ...]:
    """The group's sessions in opening order, each checked to be this agency's, of this day, with its window."""
    if not group.sessions:
        raise InvalidInputError("group.sessions", f"agency {group.agency.code} has no session on {group.day}",
                                hint="build notices from agency_days(), one per agency and day")
    tz = centre.tz
    lines = []
    for index, session in enumerate(sorted(group.sessions, key=lambda s: (s.opens_at, s.code))):
        field = f"sessions[{index}]"
        if session.agency != group.agency.code:
            # A notice names only its own agency's sessions: a session of another agency is never printed.
            raise InvalidInputError(f"group.{field}", f"session {session.code} is not a session of agency "
                                    f"{group.agency.code}", hint="group the sessions with agency_days()")
        if session.day(centre) != group.day:
            raise InvalidInputError(f"group.{field}", f"session {session.code} does not open on {group.day}",
                                    hint="one notice covers one day; group the sessions with agency_days()")
        check_text(f"{field}.project_name", session.project_name, max_length=200)
        check_text(f"{field}.hall", session.hall, max_length=50)
        window = windows.get(session.code) if windows is not None else None
        text = span = None
        if window is not None:
            if window.session != session.code or window.opens_at != session.opens_at:
                raise InvalidInputError(f"windows[{session.code!r}]", "the arrival window was planned for "
                                        "another session or opening time", hint="plan the day's arrivals again")
            span = f"{window.start.astimezone(tz):%H:%M}–{window.end.astimezone(tz):%H:%M}"
            text = f"请于 {span} 之间到达"
        lines.append(_SessionLine(code=session.code, project_name=session.project_name,
                                  opens=f"{session.opens_at.astimezone(tz):%H:%M}", hall=session.hall,
                                  window=text, window_span=span))
    return tuple(lines)


def _view(group: AgencyDay, *, centre: Centre, sessions: tuple[_SessionLine, ...],
          rules: _Rules, contact_phone: str | None, subject: str) -> dict[str, Any]:
    """Everything the notice templates may print: this agency, its sessions, the policy's rules. Nothing else."""
    return {
        "subject": subject,
        "centre_name": centre.name,
        "agency_name": group.agency.name,
        "date": _date(group.day),
        "short_date": f"{group.day.month}月{group.day.day}日",
        "date_iso": group.day.isoformat(),
        "weekday": WEEKDAYS[group.day.weekday()],
        "sessions": sessions,
        "rules": rules,
        "contact_phone": contact_phone,
        "numerals": _NUMERALS,
        "outcomes": tuple(_OUTCOMES.values()),
    }


# ------------------------------------------------------------------------------------------------ the SMS


def _sms_texts(view: Mapping[str, Any]) -> Iterator[str]:
    """The SMS text from the fullest to the shortest; the first that fits the policy's parts is sent."""
    rules: _Rules = view["rules"]
    sessions: tuple[_SessionLine, ...] = view["sessions"]
    day = view["short_date"]
    count = len(sessions)
    listing = ";".join(
        f"{s.code} {s.opens}开标,{s.hall}" + (f",{s.window_span}到达" if s.window_span else "") for s in sessions
    )
    phone = f"咨询{view['contact_phone']}" if view["contact_phone"] else ""
    admission = "一公司一人,一标识一天"
    bring = f"携带{rules.bring_short}"
    steps = f"进场须经{len(rules.steps)}步检查:" + "、".join(s.label for s in rules.steps) if rules.health else ""
    key = "重点地区人员请提前报备。" if rules.key_area else ""

    def join(*parts: str) -> str:
        return "".join(p for p in parts if p)

    yield join(f"贵单位{day}开标{count}场:{listing}。请转告投标人:{admission};",
               f"{steps};" if steps else "", f"{bring}。", key, phone)
    yield join(f"贵单位{day}开标{count}场:{listing}。请转告投标人:{admission},{bring}。",
               "入场流程详见邮件通知。", phone)
    yield join(f"贵单位{day}开标{count}场,请转告投标人:{admission},{bring}。时间、地点及入场流程详见邮件通知。",
               phone)
    yield join(f"贵单位{day}开标{count}场,入场须知已发邮件,请转告投标人。", phone)


def _plan_sms(view: Mapping[str, Any], *, signature: str, max_parts: int) -> SmsPlan:
    """The fullest SMS that fits in ``max_parts`` parts (the shortest one, with its warning, if none fits)."""
    # 【】 in the text would make a carrier take it for a second signature.
    plans = [plan_sms(text.replace("【", "[").replace("】", "]"), signature=signature, max_parts=max_parts)
             for text in _sms_texts(view)]
    return next((plan for plan in plans if plan.within_limit), plans[-1])


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
        raise InvalidInputError("group", f"{type(group).__name__} is not an AgencyDay",
                                hint="build notices from agency_days(), one per agency and day")
    check_text("agency.name", group.agency.name, max_length=100)
    check_text("centre.name", centre.name, max_length=50)
    contact = _checked_contact(contact_phone)
    sessions = _session_lines(group, centre, windows)
    rules = _rules(policy, contact)
    subject = f"{centre.name}:{_date(group.day)}开标入场须知({len(sessions)}场)"
    view = _view(group, centre=centre, sessions=sessions, rules=rules, contact_phone=contact,
                 subject=subject)
    return AgencyNotice(
        agency=group.agency.code,
        day=group.day,
        sessions=tuple(s.code for s in sessions),
        subject=subject,
        html=render_template(f"{_FOLDER}/notice.html", **view),
        text=render_template(f"{_FOLDER}/notice.txt", **view),
        sms=_plan_sms(view, signature=signature if signature is not None else f"【{centre.name}】",
                      max_parts=max_sms_parts),
        phone_script=render_template(f"{_FOLDER}/phone-script.txt", **view),
    )


# ------------------------------------------------------------------------------------------------ PDFs


def _write_pdf(html: str, out: Path, *, stylesheet: str, fields: Iterable[tuple[str, str]],
               fetcher: TemplateFetcher) -> Path:
    """Write a notice or form (resources from ``templates/notices``) as a PDF, fonts checked first."""
    return write_pdf(html, out, folder=_FOLDER, stylesheet=stylesheet, fields=fields, fetcher=fetcher)


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
            raise InvalidInputError("policy", "a notice built from an AgencyDay needs the policy and the centre",
                                    hint="pass policy=… and centre=…, or a notice from build_notice()")
        notice = build_notice(notice, policy=policy, centre=centre, windows=windows, contact_phone=contact_phone)
    elif not isinstance(notice, AgencyNotice):
        raise InvalidInputError("notice", f"{type(notice).__name__} is neither an AgencyNotice nor an AgencyDay")
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
        raise RenderError(f"policy {policy.name} takes no health declaration form",
                          hint="use a policy with a declaration step, e.g. miyun-2020", field="policy")
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
        opens=f"{_date(day)}({WEEKDAYS[day.weekday()]}) {opens:%H:%M}",
        hall=session.hall,
        questions=questions,
        flow=" → ".join(step.label for step in policy.steps),
        retention_days=policy.retention.health_data_days,
        reference=reference,
        qr_url=fetcher.register(qr_png(reference, scale=4), "image/png"),
        numerals=_NUMERALS,
    )
    fields = [("centre.name", centre.name), ("session.project_name", session.project_name),
              ("session.hall", session.hall), *((f"questions[{i}]", q) for i, q in enumerate(questions))]
    return _write_pdf(html, out, stylesheet="declaration-form.css", fields=fields, fetcher=fetcher)
