"""What a reminder notice says: the entry rules written from the policy, the agency's sessions, and the SMS text.

:func:`entry_rules` turns the policy's steps, quotas, re-entry and key-area rule into the words every form of the
notice prints (email, plain text, SMS, phone script, PDF), so that what the agency relays always matches what the
desk does. :func:`session_lines` checks that each session of a group is the agency's own and of that day, and
:func:`notice_view` is everything the notice templates may print: that agency, its sessions, the rules, nothing
else. :func:`plan_notice_sms` picks the fullest SMS text that fits the allowed number of parts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from tenderguard.domain.arrival_slots import ArrivalWindow
from tenderguard.domain.model import Centre
from tenderguard.domain.reminders import AgencyDay, CallOutcome
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _, format_date
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
from tenderguard.render.badge_card import WEEKDAYS
from tenderguard.render.text import check_text

__all__ = [
    "NUMERALS",
    "EntryRules",
    "SessionLine",
    "checked_contact",
    "entry_rules",
    "long_date",
    "notice_view",
    "plan_notice_sms",
    "session_lines",
]

NUMERALS = "一二三四五六七八九十"
_CONTACT_PHONE = re.compile(r"^\+?[0-9][0-9 ()（）\-转]{4,29}\Z")
_COLOURS = {"green": "绿码", "yellow": "黄码", "red": "红码"}
_SERVICES = {
    "separate_room": ("重点地区人员服务专厅（分隔等候，不与他人接触）", "a separate waiting room"),
    "proxy": ("全程代办服务", "proxy service"),
    "remote": ("不见面开标（远程参加开标）", "remote bid opening"),
}
_OUTCOMES = {
    CallOutcome.REACHED: "已告知",
    CallOutcome.WILL_RELAY: "将转告投标人",
    CallOutcome.NO_ANSWER: "无人接听",
    CallOutcome.WRONG_NUMBER: "号码错误",
    CallOutcome.CALLBACK: "约定回电",
}


# ------------------------------------------------------------------------------------------------ the view


@attrs.frozen
class SessionLine:
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
class EntryRules:
    """The entry rules generated from the policy: the same in the email, the SMS, the script and the PDF."""

    steps: tuple[_EntryStep, ...]
    flow: str  # 佩戴口罩 → 脚踩84消毒垫 → …
    admission: tuple[str, ...]  # 一公司一人，一标识一天, quotas, re-entry
    bring: tuple[str, ...]
    bring_en: tuple[str, ...]
    bring_short: str  # 身份证、口罩、填好的健康调查表
    form: str | None  # the declaration form to fill in beforehand, when the policy takes one
    key_area: str | None
    key_area_en: str | None
    health: bool


def long_date(day: dt.date) -> str:
    """``2026年11月23日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def _threshold(value: float) -> str:
    """``37.3``: a temperature without trailing zeros."""
    return f"{value:g}"


def _step_detail(step: Step, policy: Policy) -> str:
    """What a step asks of the person arriving, from its kind and settings."""
    if isinstance(step, MaskStep):
        return "进入大厅及在场期间全程佩戴口罩" + ("，口罩不符合要求的现场更换" if step.replace_allowed else "")
    if isinstance(step, TemperatureStep):
        if step.remeasures:
            detail = (f"体温达到{_threshold(step.threshold)}℃即为发热，休息{step.rest_minutes}分钟后复测"
                      f"（最多{step.remeasures}次），仍发热者不得进场")
        else:
            detail = f"体温达到{_threshold(step.threshold)}℃即为发热，不得进场"
        if step.ask_questions and policy.questions:
            detail += "；同时现场询问健康状况，请如实回答"
        return detail
    if isinstance(step, QuestionsStep):
        return "现场询问健康状况，请如实回答"
    if isinstance(step, DeclarationStep):
        if step.required:
            return "递交提前填好并签字的健康调查表（承诺书），工作人员现场核实"
        return "如带有健康调查表（承诺书）请递交，工作人员现场核实"
    if isinstance(step, HealthCodeStep):
        colours = "或".join(_COLOURS.get(c, c) for c in step.accepted)
        return f"出示本人健康码，{colours}方可进场"
    if isinstance(step, NucleicTestStep):
        return f"出示{step.max_age_hours}小时内的核酸检测阴性证明"
    return ""  # a confirmed step (消毒, 登记…): its label says it all


def _admission(policy: Policy) -> tuple[str, ...]:
    """一公司一人，一标识一天, the other roles' quotas and re-entry, from the policy."""
    admission = [f"一公司一人：每家投标单位每天只限{policy.quota(Role.BIDDER) or 1}人进入开标区域，"
                 "请各投标人提前确定参加开标的人员",
                 f"一标识一天：检查合格后领取当日的{policy.badge.title}，凭标识进入开标区域，"
                 "标识仅限本人当日使用，次日作废"]
    roles = ((Role.AGENCY, "招标代理"), (Role.TENDERER, "招标人（采购人）"))
    others = [f"{label}每天限{limit}人" for role, label in roles if (limit := policy.quota(role)) is not None]
    if others:
        admission.append("其他人员：" + "，".join(others))
    if policy.reentry.allowed:
        again = policy.reentry_steps()
        admission.append("当日离场后再次进入须出示标识"
                         + ("，并重新进行" + "、".join(s.label for s in again) if again else ""))
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
        items.append("口罩（建议一次性医用口罩）")
        items_en.append("a mask")
        short.append("口罩")
    if any(isinstance(s, HealthCodeStep) for s in policy.steps):
        items.append("手机（现场出示健康码）")
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
            items.append("提前填写并本人签字的健康调查表（承诺书）")
            items_en.append("the health declaration form, filled in and signed beforehand")
            short.append("填好的健康调查表")
        else:
            items.append("健康调查表（承诺书），如已填写")
            items_en.append("the health declaration form if you have one")
        form = "健康调查表（承诺书）须在到场前下载打印，如实填写并由本人签字，入场时递交核实；" + (
            "现场虽可补填，但会延长排队等候，可能影响按时进入开标室" if declaration.fill_in_at_desk
            else "现场不提供填写，未携带填好的调查表者不得进场")
    return _Bring(items=tuple(items), items_en=tuple(items_en), short="、".join(short), form=form)


def _key_area(policy: Policy, contact_phone: str | None) -> tuple[str | None, str | None]:
    """What arrivals from a key area (重点地区) must do, in Chinese and English; None when the policy has no regime."""
    rule = policy.key_area
    services = [s for s in rule.services if s in _SERVICES]
    if rule.action not in ("refer", "refuse") and not services:
        return None, None
    who = "近14天内到过国家公布的疫情重点地区的人员"
    report = f"（报备电话：{contact_phone}）" if contact_phone else ""
    if rule.action == "refuse":
        text = f"{who}不得进入开标大厅，须提前向中心报备{report}"
    elif rule.action == "refer":
        text = f"{who}须提前向中心报备{report}，到场后由专人引导，不得直接进入大厅"
    else:
        text = f"{who}请提前向中心报备{report}"
    if services:
        text += "；可选择：" + "、".join(_SERVICES[s][0] for s in services)
    available = f" ({', '.join(_SERVICES[s][1] for s in services)} available)" if services else ""
    return text, f"Anyone who was in a listed key area within 14 days must report to the centre in advance{available}."


def entry_rules(policy: Policy, contact_phone: str | None) -> EntryRules:
    """The entry rules of ``policy`` in the words of a notice."""
    steps = tuple(_EntryStep(label=s.label, detail=_step_detail(s, policy)) for s in policy.steps)
    bring = _bring(policy)
    key_area, key_area_en = _key_area(policy, contact_phone)
    return EntryRules(
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


def checked_contact(contact_phone: str | None) -> str | None:
    """The centre's contact phone as given, if it looks like one (``010-69041234``, ``138 1234 5678``)."""
    if contact_phone is None:
        return None
    if (not isinstance(contact_phone, str) or not _CONTACT_PHONE.match(contact_phone.strip())
            or sum(c.isdigit() for c in contact_phone) < 5):
        raise InvalidInputError("contact_phone", _("{value!r} is not a phone number", value=contact_phone),
                                hint=_("give the centre's number as it should be printed, e.g. 010-69041234"))
    return contact_phone.strip()


def session_lines(group: AgencyDay, centre: Centre,
                  windows: Mapping[str, ArrivalWindow] | None) -> tuple[SessionLine, ...]:
    """The group's sessions in opening order, each checked to be this agency's, of this day, with its window."""
    if not group.sessions:
        raise InvalidInputError("group.sessions", _("agency {agency} has no session on {day}", agency=group.agency.code,
                                                  day=format_date(group.day)),
                                hint=_("build notices from agency_days(), one per agency and day"))
    tz = centre.tz
    lines = []
    for index, session in enumerate(sorted(group.sessions, key=lambda s: (s.opens_at, s.code))):
        field = f"sessions[{index}]"
        if session.agency != group.agency.code:
            # A notice names only its own agency's sessions: a session of another agency is never printed.
            raise InvalidInputError(f"group.{field}", _("session {session} is not a session of agency {agency}",
                                                        session=session.code, agency=group.agency.code),
                                    hint=_("group the sessions with agency_days()"))
        if session.day(centre) != group.day:
            raise InvalidInputError(f"group.{field}", _("session {session} does not open on {day}",
                                                        session=session.code, day=format_date(group.day)),
                                    hint=_("one notice covers one day; group the sessions with agency_days()"))
        check_text(f"{field}.project_name", session.project_name, max_length=200)
        check_text(f"{field}.hall", session.hall, max_length=50)
        window = windows.get(session.code) if windows is not None else None
        text = span = None
        if window is not None:
            if window.session != session.code or window.opens_at != session.opens_at:
                raise InvalidInputError(f"windows[{session.code!r}]",
                                        _("the arrival window was planned for another session or opening time"),
                                        hint=_("plan the day's arrivals again"))
            span = f"{window.start.astimezone(tz):%H:%M}–{window.end.astimezone(tz):%H:%M}"
            text = f"请于 {span} 之间到达"
        lines.append(SessionLine(code=session.code, project_name=session.project_name,
                                  opens=f"{session.opens_at.astimezone(tz):%H:%M}", hall=session.hall,
                                  window=text, window_span=span))
    return tuple(lines)


def notice_view(group: AgencyDay, *, centre: Centre, sessions: tuple[SessionLine, ...],
                rules: EntryRules, contact_phone: str | None, subject: str) -> dict[str, Any]:
    """Everything the notice templates may print: this agency, its sessions, the policy's rules. Nothing else."""
    return {
        "subject": subject,
        "centre_name": centre.name,
        "agency_name": group.agency.name,
        "date": long_date(group.day),
        "short_date": f"{group.day.month}月{group.day.day}日",
        "date_iso": group.day.isoformat(),
        "weekday": WEEKDAYS[group.day.weekday()],
        "sessions": sessions,
        "rules": rules,
        "contact_phone": contact_phone,
        "numerals": NUMERALS,
        "outcomes": tuple(_OUTCOMES.values()),
    }


# ------------------------------------------------------------------------------------------------ the SMS


def _sms_texts(view: Mapping[str, Any]) -> Iterator[str]:
    """The SMS text from the fullest to the shortest; the first that fits the policy's parts is sent."""
    rules: EntryRules = view["rules"]
    sessions: tuple[SessionLine, ...] = view["sessions"]
    day = view["short_date"]
    count = len(sessions)
    listing = "；".join(
        f"{s.code} {s.opens}开标，{s.hall}" + (f"，{s.window_span}到达" if s.window_span else "") for s in sessions
    )
    phone = f"咨询{view['contact_phone']}" if view["contact_phone"] else ""
    admission = "一公司一人，一标识一天"
    bring = f"携带{rules.bring_short}"
    steps = f"进场须经{len(rules.steps)}步检查：" + "、".join(s.label for s in rules.steps) if rules.health else ""
    key = "重点地区人员请提前报备。" if rules.key_area else ""

    def join(*parts: str) -> str:
        return "".join(p for p in parts if p)

    yield join(f"贵单位{day}开标{count}场：{listing}。请转告投标人：{admission}；",
               f"{steps}；" if steps else "", f"{bring}。", key, phone)
    yield join(f"贵单位{day}开标{count}场：{listing}。请转告投标人：{admission}，{bring}。",
               "入场流程详见邮件通知。", phone)
    yield join(f"贵单位{day}开标{count}场，请转告投标人：{admission}，{bring}。时间、地点及入场流程详见邮件通知。",
               phone)
    yield join(f"贵单位{day}开标{count}场，入场须知已发邮件，请转告投标人。", phone)


def plan_notice_sms(view: Mapping[str, Any], *, signature: str, max_parts: int) -> SmsPlan:
    """The fullest SMS that fits in ``max_parts`` parts (the shortest one, with its warning, if none fits)."""
    # 【】 in the text would make a carrier take it for a second signature.
    plans = [plan_sms(text.replace("【", "[").replace("】", "]"), signature=signature, max_parts=max_parts)
             for text in _sms_texts(view)]
    return next((plan for plan in plans if plan.within_limit), plans[-1])
