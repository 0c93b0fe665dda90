"""Reminder notices and the declaration form rendered for real: content from the policy, SMS limits, PDFs, QR, leaks."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import zxingcpp
from gatekit import COMPANIES, PEOPLE
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from tenderguard.domain.arrival_slots import ArrivalWindow, SessionLoad, plan_arrivals
from tenderguard.domain.model import SHANGHAI, Agency, Arrival, BidSession, Centre
from tenderguard.domain.reminders import AgencyDay, CallOutcome, ReminderCall, agency_days
from tenderguard.errors import FontCoverageError, InvalidInputError, RenderError
from tenderguard.notices.documents import (
    FORM_PREFIX,
    AgencyNotice,
    build_notice,
    form_reference,
    render_declaration_form,
    render_notice_pdf,
)
from tenderguard.notices.sms import PART_LIMIT, SINGLE_LIMIT, sms_length
from tenderguard.notices.typography import half_width_in_prose
from tenderguard.policy import Policy, load_preset

CENTRE = Centre(code="MY", name="密云区公共资源交易中心")
SIGNATURE = "【密云区公共资源交易中心】"
CONTACT = "010-69041234"
DAY = dt.date(2026, 11, 23)  # a Monday
NEXT_DAY = dt.date(2026, 11, 24)
HOSTILE = "<img src=file:///etc/passwd>"
MM = 72 / 25.4
PDFTOPPM = shutil.which("pdftoppm")
MIYUN_STEPS = ("佩戴口罩", "脚踩84消毒垫", "手喷酒精", "测温问体", "递表（健康调查表）核实", "废罩密封（丢弃）")

AGENCIES = {
    agency.code: agency
    for agency in (
        Agency("JIANXIN", "北京建信招标代理有限公司", contact="王建国", phone="13812345678"),
        Agency("HUAXIA", "华夏工程咨询(北京)有限公司", contact="李秀英", phone="13912345678"),
        Agency("ZHONGZHAO", "中招国际招标有限公司", contact="赵志强", phone="13712345678"),
    )
}


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A time on ``day`` in Beijing."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


#: Three agencies with several sessions each on DAY, one more session on the next day, and one without an agency.
SESSIONS = (
    BidSession("MY-2026-118", "京沈客专密云站市政配套道路顺潮街道路工程施工", at(DAY, 9, 30), "第一开标室", "JIANXIN"),
    BidSession("MY-2026-119", "密云水库环湖路绿化提升工程", at(DAY, 14, 0), "第二开标室", "JIANXIN"),
    BidSession("MY-2026-120", "檀营乡污水处理站改造工程监理", at(DAY, 9, 0), "第二开标室", "HUAXIA"),
    BidSession("MY-2026-121", "溪翁庄镇农村道路硬化工程", at(DAY, 10, 30), "第一开标室", "HUAXIA"),
    BidSession("MY-2026-122", "区医院门诊楼医疗设备采购", at(DAY, 15, 30), "第一开标室", "HUAXIA"),
    BidSession("MY-2026-123", "鼓楼街道老旧小区综合整治", at(DAY, 10, 0), "第三开标室", "ZHONGZHAO"),
    BidSession("MY-2026-124", "穆家峪镇中心小学校舍抗震加固", at(DAY, 13, 30), "第三开标室", "ZHONGZHAO"),
    BidSession("MY-2026-125", "不老屯镇供水管网更新工程", at(NEXT_DAY, 9, 30), "第一开标室", "JIANXIN"),
    BidSession("MY-2026-126", "区档案馆数字化加工服务", at(DAY, 11, 0), "第二开标室", None),
)
#: Planned people per session: odd three-digit figures that no time, date, code or phone of a notice contains.
EXPECTED = {"MY-2026-118": 137, "MY-2026-119": 149, "MY-2026-120": 158, "MY-2026-121": 163, "MY-2026-122": 179,
            "MY-2026-123": 191, "MY-2026-124": 197, "MY-2026-126": 173}


def day_windows() -> dict[str, ArrivalWindow]:
    """The whole day's arrival plan (every agency's sessions), as the planner makes it."""
    loads = [SessionLoad.of(s, (n - 20, n)) for s in SESSIONS if (n := EXPECTED.get(s.code)) and s.day(CENTRE) == DAY]
    plan = plan_arrivals(loads, desks=4, throughput=2.0, max_queue=60, gate_opens=dt.time(7, 0, tzinfo=SHANGHAI))
    assert plan.feasible, plan.problems
    return dict(plan.windows)


def bidder_arrivals() -> list[Arrival]:
    """The bidders registered at the desk for the day's sessions: people and companies no notice may name."""
    arrivals = []
    day_sessions = [s for s in SESSIONS if s.day(CENTRE) == DAY]
    for index, (person, company) in enumerate(zip(PEOPLE, COMPANIES * 2, strict=False)):
        session = day_sessions[index % len(day_sessions)]
        arrivals.append(Arrival(session=session.code, role="bidder", name=person.name, document=person.id_number,
                                at=session.opens_at - dt.timedelta(minutes=40), company=company.name,
                                credit_code=company.credit_code))
    return arrivals


def calls() -> list[ReminderCall]:
    """Earlier reminder calls, whose answerers and notes name people and bidders: never printed."""
    return [
        ReminderCall(agency="JIANXIN", sessions=("MY-2026-118",), at=at(DAY, 8) - dt.timedelta(days=2),
                     caller="刘晓燕", outcome=CallOutcome.CALLBACK, callback_at=at(DAY, 15) - dt.timedelta(days=2),
                     note=f"已报名:{COMPANIES[0].name}"),
        ReminderCall(agency="HUAXIA", sessions=("MY-2026-120", "MY-2026-121"), at=at(DAY, 9) - dt.timedelta(days=1),
                     caller="刘晓燕", outcome=CallOutcome.WILL_RELAY, answered_by="钱德明",
                     note=f"{COMPANIES[1].name}等5家报名"),
    ]


def groups() -> list[AgencyDay]:
    """Every agency's sessions per day, with the calls made about them."""
    return agency_days(SESSIONS, AGENCIES, calls(), CENTRE)


def group_of(code: str, day: dt.date = DAY) -> AgencyDay:
    """The agency-day of agency ``code``."""
    return next(g for g in groups() if g.agency.code == code and g.day == day)


def pdf_text(path: Path) -> str:
    """Every page's text, with the line breaks of wrapped text removed."""
    return "".join(page.extract_text().replace("\n", "") for page in PdfReader(path).pages)


def rasterise(pdf: Path, folder: Path) -> Image.Image:
    """The first page of ``pdf`` as a 200 dpi PNG, drawn by poppler's pdftoppm."""
    if PDFTOPPM is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    prefix = folder / f"{pdf.stem}-p1"
    subprocess.run([PDFTOPPM, "-r", "200", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(prefix)],
                   check=True, timeout=60)
    return Image.open(f"{prefix}.png")


def images(path: Path) -> int:
    """How many images the PDF's pages draw."""
    count = 0
    for page in PdfReader(path).pages:
        resources = page["/Resources"].get_object()
        assert isinstance(resources, DictionaryObject)
        xobjects = resources.get("/XObject")
        if xobjects is None:
            continue
        for xobject in xobjects.get_object().values():
            count += str(xobject.get_object()["/Subtype"]) == "/Image"
    return count


@dataclass(frozen=True)
class Outputs:
    """Everything produced for one agency-day: the notice and its PDF's text."""

    notice: AgencyNotice
    pdf: Path
    pdf_text: str

    def items(self) -> Iterator[tuple[str, str]]:
        """Each output by name: subject, HTML, text, SMS (whole and by part), phone script, PDF text."""
        yield "subject", self.notice.subject
        yield "html", self.notice.html
        yield "text", self.notice.text
        yield "sms", self.notice.sms.message
        for index, part in enumerate(self.notice.sms.parts):
            yield f"sms.parts[{index}]", part
        yield "phone_script", self.notice.phone_script
        yield "pdf", self.pdf_text


@pytest.fixture(scope="module")
def windows() -> dict[str, ArrivalWindow]:
    """The day's arrival windows for every session."""
    return day_windows()


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory, windows: dict[str, ArrivalWindow]) -> dict[str, Outputs]:
    """For each agency of DAY (miyun-2020, the whole day's windows, a contact phone): every output and its PDF."""
    policy = load_preset("miyun-2020")
    folder = tmp_path_factory.mktemp("notices")
    result = {}
    for group in groups():
        if group.day != DAY:
            continue
        notice = build_notice(group, policy=policy, centre=CENTRE, windows=windows, contact_phone=CONTACT)
        pdf = render_notice_pdf(notice, folder / f"{group.agency.code}.pdf")
        result[group.agency.code] = Outputs(notice, pdf, pdf_text(pdf))
    return result


# ------------------------------------------------------------------------------------------------ content


def test_every_output_lists_the_agencys_sessions_times_halls_and_windows(
    produced: dict[str, Outputs], windows: dict[str, ArrivalWindow]
) -> None:
    """HTML, text, phone script and PDF name each of the agency's sessions with its project, time, hall, window."""
    for code, outputs in produced.items():
        mine = [s for s in SESSIONS if s.agency == code and s.day(CENTRE) == DAY]
        assert outputs.notice.sessions == tuple(s.code for s in sorted(mine, key=lambda s: s.opens_at))
        assert outputs.notice.agency == code
        assert outputs.notice.day == DAY
        for name, text in outputs.items():
            if name.startswith("sms") or name == "subject":
                continue
            for session in mine:
                window = windows[session.code]
                for value in (session.code, session.project_name, f"{session.opens_at:%H:%M}", session.hall,
                              window.describe()):
                    assert value in text, (code, name, value)
            assert "2026年11月23日" in text, (code, name)


def test_every_output_carries_the_policys_six_steps_in_order(produced: dict[str, Outputs]) -> None:
    """The miyun-2020 six steps appear in HTML, text, phone script and PDF, in the desk's order."""
    for outputs in produced.values():
        for name, text in outputs.items():
            if name.startswith("sms") or name == "subject":
                continue
            positions = [text.find(label) for label in MIYUN_STEPS]
            assert all(p >= 0 for p in positions), (name, positions)
            assert positions == sorted(positions), name
            assert "佩戴口罩 → 脚踩84消毒垫 → 手喷酒精 → 测温问体" in text, name


def test_notice_states_the_entry_rules_what_to_bring_and_key_areas(produced: dict[str, Outputs]) -> None:
    """One person per company per day, one badge a day, ID card, mask, form filled in beforehand, key-area report."""
    for outputs in produced.values():
        for name in ("html", "text", "phone_script", "pdf"):
            text = dict(outputs.items())[name]
            for phrase in ("一公司一人", "一标识一天", "每家投标单位每天只限1人", "入场健康标识", "身份证", "口罩",
                           "健康调查表（承诺书）", "到场前", "签字", "37.3", "重点地区", "报备", "全程代办",
                           "不见面开标", CONTACT, "第二十二条", "转告"):
                assert phrase in text, (name, phrase)


def test_html_is_a_complete_chinese_email_body(produced: dict[str, Outputs]) -> None:
    """The HTML is a whole document in zh-CN, titled with the subject, Chinese before the English summary."""
    notice = produced["HUAXIA"].notice
    assert notice.html.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in notice.html
    assert '<meta charset="utf-8">' in notice.html
    assert f"<title>{notice.subject}</title>" in notice.html
    assert notice.html.rstrip().endswith("</html>")
    assert notice.subject == "密云区公共资源交易中心：2026年11月23日开标入场须知（3场）"
    assert notice.html.index("开标入场须知") < notice.html.index("Summary in English")
    assert notice.text.index("开标入场须知") < notice.text.index("Summary in English")
    assert "华夏工程咨询(北京)有限公司" in notice.html


def test_phone_script_asks_to_relay_and_has_the_call_log_outcomes(produced: dict[str, Outputs]) -> None:
    """The script greets the agency, asks it to relay to all bidders and lists the outcomes to note."""
    script = produced["ZHONGZHAO"].notice.phone_script
    assert "这里是密云区公共资源交易中心。请问是中招国际招标有限公司吗？" in script
    assert "能否转告全部投标人" in script
    for outcome in ("已告知", "将转告投标人", "无人接听", "号码错误", "约定回电"):
        assert f"□{outcome}" in script
    assert "2个项目" in script


@pytest.mark.parametrize("preset", ["miyun-2020", "health-code", "badge-only"])
def test_entry_steps_come_from_the_policy(preset: str) -> None:
    """Every preset's step labels are in its notice, in order, with the count of steps."""
    policy = load_preset(preset)
    notice = build_notice(group_of("JIANXIN"), policy=policy, centre=CENTRE)
    for text in (notice.html, notice.text, notice.phone_script):
        positions = [text.find(step.label) for step in policy.steps]
        assert all(p >= 0 for p in positions)
        assert positions == sorted(positions)
        assert f"共{len(policy.steps)}步" in text or f"完成{len(policy.steps)}步" in text


def test_badge_only_notice_has_no_health_steps(tmp_path: Path) -> None:
    """badge-only: registration, one person per company, one badge a day, ID card; no mask, temperature or form."""
    policy = load_preset("badge-only")
    notice = build_notice(group_of("HUAXIA"), policy=policy, centre=CENTRE, contact_phone=CONTACT)
    pdf = pdf_text(render_notice_pdf(notice, tmp_path / "badge-only.pdf"))
    for name, text in (("html", notice.html), ("text", notice.text), ("sms", notice.sms.message),
                       ("phone_script", notice.phone_script), ("pdf", pdf)):
        for absent in ("口罩", "测温", "体温", "消毒", "酒精", "健康调查表", "承诺书", "健康码", "核酸", "重点地区"):
            assert absent not in text, (name, absent)
        assert "一公司一人" in text, name
        assert "身份证" in text, name
    for text in (notice.html, notice.text, notice.phone_script, pdf):
        assert "登记核验身份" in text
        assert "共1步" in text or "完成1步" in text


def test_health_code_notice_asks_for_the_code_and_a_recent_test() -> None:
    """health-code: the green code, the 48-hour test and a phone to show the code are asked for."""
    notice = build_notice(group_of("JIANXIN"), policy=load_preset("health-code"), centre=CENTRE)
    for phrase in ("查验健康码", "绿码方可进场", "48小时内的核酸检测阴性证明", "手机（现场出示健康码）"):
        assert phrase in notice.text
        assert phrase in notice.html


def test_without_windows_or_phone_the_notice_says_to_come_early() -> None:
    """No plan: each session says to allow time for the checks; no contact phone is invented."""
    notice = build_notice(group_of("JIANXIN"), policy=load_preset("miyun-2020"), centre=CENTRE)
    assert notice.text.count("请预留进场检查时间，提前到达") == 2
    assert "请于" not in notice.text
    assert "致电" not in notice.text
    assert "咨询" not in notice.sms.message


@pytest.mark.parametrize("phone", ["", "call us", "12", "010-6904<b>", "010\n69041234"])
def test_contact_phone_that_is_not_a_number_is_refused(phone: str) -> None:
    """A contact phone that is not a phone number is refused, naming the field."""
    with pytest.raises(InvalidInputError) as caught:
        build_notice(group_of("JIANXIN"), policy=load_preset("miyun-2020"), centre=CENTRE, contact_phone=phone)
    assert caught.value.field == "contact_phone"


# ------------------------------------------------------------------------------------------------ SMS


@pytest.mark.parametrize("max_parts", [1, 2, 3, 5])
@pytest.mark.parametrize("agency", ["JIANXIN", "HUAXIA", "ZHONGZHAO"])
def test_sms_fits_the_parts_allowed_and_is_signed_once(
    max_parts: int, agency: str, windows: dict[str, ArrivalWindow]
) -> None:
    """Whatever the limit, the SMS fits it, each part within 70/67 units, the signature once at the start."""
    notice = build_notice(group_of(agency), policy=load_preset("miyun-2020"), centre=CENTRE, windows=windows,
                          max_sms_parts=max_parts, contact_phone=CONTACT)
    sms = notice.sms
    assert sms.within_limit
    assert sms.count == len(sms.parts) <= max_parts
    assert sms.warnings == ()
    assert sms.parts[0].startswith(SIGNATURE)
    assert sms.message.count("【") == sms.message.count("】") == 1
    limit = SINGLE_LIMIT if sms.count == 1 else PART_LIMIT
    assert all(sms_length(part) <= limit for part in sms.parts)
    assert "贵单位11月23日开标" in sms.message
    assert "转告" in sms.message


def test_sms_carries_sessions_windows_and_steps_when_there_is_room() -> None:
    """One session in three parts: its code, time, hall, window, the six steps and what to bring all fit."""
    session = SESSIONS[0]
    window = ArrivalWindow(session=session.code, hall=session.hall, opens_at=session.opens_at,
                           start=at(DAY, 8, 40), end=at(DAY, 9, 5), people=40)
    group = AgencyDay(agency=AGENCIES["JIANXIN"], day=DAY, sessions=(session,))
    notice = build_notice(group, policy=load_preset("miyun-2020"), centre=CENTRE,
                          windows={session.code: window}, contact_phone=CONTACT)
    message = notice.sms.message
    for value in (session.code, "09:30", session.hall, "08:40–09:05", *MIYUN_STEPS, "身份证", "口罩",
                  "填好的健康调查表", "一公司一人", "一标识一天", CONTACT):
        assert value in message, value
    assert notice.sms.count <= 3


def test_sms_keeps_sessions_and_windows_before_dropping_them(windows: dict[str, ArrivalWindow]) -> None:
    """Three sessions in three parts: the step list is left to the email, the codes, times and windows stay."""
    notice = build_notice(group_of("HUAXIA"), policy=load_preset("miyun-2020"), centre=CENTRE, windows=windows)
    message = notice.sms.message
    for session in SESSIONS[2:5]:
        window = windows[session.code]
        assert session.code in message
        assert f"{session.opens_at:%H:%M}开标" in message
        assert f"{window.start:%H:%M}–{window.end:%H:%M}到达" in message
    assert "详见邮件" in message


def test_sms_uses_the_signature_given() -> None:
    """A custom signature replaces the centre's name and is counted once."""
    notice = build_notice(group_of("JIANXIN"), policy=load_preset("badge-only"), centre=CENTRE,
                          signature="【密云交易中心】", max_sms_parts=1)
    assert notice.sms.parts[0].startswith("【密云交易中心】")
    assert notice.sms.count == 1
    assert SIGNATURE not in notice.sms.message


# ------------------------------------------------------------------------------------------------ leaks


def forbidden_for(code: str, day: dt.date = DAY) -> dict[str, str]:
    """What an agency's outputs must never contain: others' names and sessions, people, bidders, head counts."""
    words: dict[str, str] = {}
    for other in AGENCIES.values():
        if other.code != code:
            words[f"agency {other.code} name"] = other.name
            words[f"agency {other.code} code"] = other.code
            words[f"agency {other.code} phone"] = other.phone or ""
        words[f"agency {other.code} contact"] = other.contact or ""  # no person is named, not even one's own
    for session in SESSIONS:
        if session.agency != code or session.day(CENTRE) != day:
            words[f"session {session.code}"] = session.code
            words[f"project of {session.code}"] = session.project_name
    for arrival in bidder_arrivals():
        words[f"bidder {arrival.name}"] = arrival.name
        words[f"company {arrival.company}"] = arrival.company or ""
        words[f"credit code {arrival.credit_code}"] = arrival.credit_code or ""
    for call in calls():
        words[f"caller {call.caller}"] = call.caller
        if call.answered_by:
            words[f"answered by {call.answered_by}"] = call.answered_by
        if call.note:
            words[f"call note {call.note}"] = call.note
    for planned, people in EXPECTED.items():
        words[f"planned people of {planned}"] = str(people)
    return words


def test_no_output_names_another_agency_session_bidder_or_count(produced: dict[str, Outputs]) -> None:
    """For each of three agencies, no output names another agency, its sessions or projects, a person or a count."""
    assert set(produced) == {"JIANXIN", "HUAXIA", "ZHONGZHAO"}
    for code, outputs in produced.items():
        forbidden = forbidden_for(code)
        assert len(forbidden) > 30
        for name, text in outputs.items():
            for what, word in forbidden.items():
                assert word
                assert word not in text, f"{code} {name} leaks {what}: {word!r}"
            assert not re.search(r"[0-9]+\s*(?:家|名|人次|位)(?:投标|公司|单位|报名)", text), (code, name)
            assert "报名" not in text, (code, name)


def test_other_day_of_the_same_agency_is_not_in_the_notice(produced: dict[str, Outputs]) -> None:
    """The agency's session on the next day belongs to the next day's notice only."""
    tomorrow = build_notice(group_of("JIANXIN", NEXT_DAY), policy=load_preset("miyun-2020"), centre=CENTRE)
    assert tomorrow.sessions == ("MY-2026-125",)
    assert "MY-2026-118" not in tomorrow.html
    assert "MY-2026-125" not in produced["JIANXIN"].notice.html
    assert "不老屯镇供水管网更新工程" not in produced["JIANXIN"].pdf_text


def test_group_holding_another_agencys_session_is_refused() -> None:
    """An AgencyDay with a session of another agency or another day is refused before anything is written."""
    jianxin = AGENCIES["JIANXIN"]
    policy = load_preset("miyun-2020")
    mixed = AgencyDay(agency=jianxin, day=DAY, sessions=(SESSIONS[0], SESSIONS[2]))
    with pytest.raises(InvalidInputError, match="场次MY-2026-120不是代理机构JIANXIN的场次") as caught:
        build_notice(mixed, policy=policy, centre=CENTRE)
    assert caught.value.field == "group.sessions[0]"
    unowned = AgencyDay(agency=jianxin, day=DAY, sessions=(SESSIONS[-1],))
    with pytest.raises(InvalidInputError, match="不是代理机构JIANXIN的场次"):
        build_notice(unowned, policy=policy, centre=CENTRE)
    other_day = AgencyDay(agency=jianxin, day=DAY, sessions=(SESSIONS[0], SESSIONS[7]))
    with pytest.raises(InvalidInputError, match="不在2026年11月23日开标"):
        build_notice(other_day, policy=policy, centre=CENTRE)
    with pytest.raises(InvalidInputError, match="在2026年11月23日没有场次"):
        build_notice(AgencyDay(agency=jianxin, day=DAY, sessions=()), policy=policy, centre=CENTRE)


def test_window_planned_for_another_session_is_refused(windows: dict[str, ArrivalWindow]) -> None:
    """A window filed under the wrong session code (a stale or mixed-up plan) is refused, not printed."""
    swapped = {"MY-2026-118": windows["MY-2026-120"], "MY-2026-119": windows["MY-2026-119"]}
    with pytest.raises(InvalidInputError) as caught:
        build_notice(group_of("JIANXIN"), policy=load_preset("miyun-2020"), centre=CENTRE, windows=swapped)
    assert caught.value.field == "windows['MY-2026-118']"


# ------------------------------------------------------------------------------------------------ hostile text


def _unchecked_session(project_name: str) -> BidSession:
    """A session whose project name skipped the registration checks (as if a row had been written by hand)."""
    session = BidSession("MY-2026-130", "道路工程", at(DAY, 9, 30), "第一开标室", "JIANXIN")
    object.__setattr__(session, "project_name", project_name)
    return session


def test_markup_or_controls_in_a_project_name_are_refused_when_the_session_is_made() -> None:
    """The same text rules as for names: markup, bidi overrides and controls never reach a document."""
    for bad in (HOSTILE, "道路\u202e工程", "道路\x00工程"):
        with pytest.raises(InvalidInputError) as caught:
            BidSession("MY-2026-130", bad, at(DAY, 9, 30), "第一开标室", "JIANXIN")
        assert caught.value.field == "session.project_name"


def test_markup_in_a_project_name_is_escaped_never_a_tag(tmp_path: Path) -> None:
    """Defence in depth: markup that got past the checks is escaped in HTML, literal in text and PDF."""
    session = _unchecked_session(HOSTILE)
    group = AgencyDay(agency=AGENCIES["JIANXIN"], day=DAY, sessions=(session,))
    notice = build_notice(group, policy=load_preset("miyun-2020"), centre=CENTRE)
    assert "&lt;img src=file:///etc/passwd&gt;" in notice.html
    assert "<img" not in notice.html
    assert HOSTILE in notice.text
    assert HOSTILE in notice.phone_script
    pdf = render_notice_pdf(notice, tmp_path / "hostile.pdf")
    text = pdf_text(pdf)
    assert HOSTILE in text
    assert "root:" not in text
    assert images(pdf) == 0


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200f", "\x00", "\x1b", "\u200b"])
def test_bidi_and_control_characters_in_a_project_name_are_refused(char: str) -> None:
    """Defence in depth: a project name with a bidi override or an invisible control is refused by the renderer."""
    session = _unchecked_session(f"道路{char}工程")
    group = AgencyDay(agency=AGENCIES["JIANXIN"], day=DAY, sessions=(session,))
    with pytest.raises(RenderError) as caught:
        build_notice(group, policy=load_preset("miyun-2020"), centre=CENTRE)
    assert caught.value.field == "sessions[0].project_name"
    assert f"U+{ord(char):04X}" in str(caught.value)


def test_character_the_font_lacks_stops_the_pdf_and_keeps_the_old_file(tmp_path: Path) -> None:
    """A project name with an emoji raises FontCoverageError for the PDF; the previous file is left untouched."""
    session = BidSession("MY-2026-130", "道路工程\U0001f600", at(DAY, 9, 30), "第一开标室", "JIANXIN")
    group = AgencyDay(agency=AGENCIES["JIANXIN"], day=DAY, sessions=(session,))
    out = tmp_path / "notice.pdf"
    out.write_bytes(b"yesterday's notice")
    with pytest.raises(FontCoverageError) as caught:
        render_notice_pdf(group, out, policy=load_preset("miyun-2020"), centre=CENTRE)
    assert caught.value.missing == ("\U0001f600",)
    assert out.read_bytes() == b"yesterday's notice"
    assert list(tmp_path.iterdir()) == [out]


# ------------------------------------------------------------------------------------------------ notice PDF


def test_notice_pdf_is_a4_and_can_be_built_from_the_group(tmp_path: Path, windows: dict[str, ArrivalWindow]) -> None:
    """render_notice_pdf takes an AgencyDay with the policy and centre, and prints A4 pages with the subject."""
    out = render_notice_pdf(group_of("ZHONGZHAO"), tmp_path / "zz.pdf", policy=load_preset("miyun-2020"),
                            centre=CENTRE, windows=windows, contact_phone=CONTACT)
    reader = PdfReader(out)
    assert reader.metadata is not None
    assert reader.metadata.title == "密云区公共资源交易中心：2026年11月23日开标入场须知（2场）"
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(210 * MM, abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(297 * MM, abs=0.5)
    text = pdf_text(out)
    assert "MY-2026-123" in text
    assert windows["MY-2026-124"].describe() in text
    with pytest.raises(InvalidInputError, match="需要政策和中心"):
        render_notice_pdf(group_of("ZHONGZHAO"), tmp_path / "no.pdf")


# ------------------------------------------------------------------------------------------------ the form


@pytest.fixture(scope="module")
def form(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The miyun-2020 declaration form of the morning session."""
    return render_declaration_form(load_preset("miyun-2020"), SESSIONS[0],
                                   tmp_path_factory.mktemp("form") / "form.pdf", centre=CENTRE)


def test_declaration_form_has_every_field_and_question(form: Path) -> None:
    """The form names its session and has name, ID, company, phone, travel, each question with 是/否, pledge."""
    text = pdf_text(form)
    policy = load_preset("miyun-2020")
    for question in policy.questions:
        assert question.text in text, question.id
    session = SESSIONS[0]
    for value in ("密云区公共资源交易中心", "进场人员健康调查表", "承诺书", session.code, session.project_name,
                  session.hall, "2026年11月23日（星期一）09:30", "姓名", "身份证号", "单位名称", "联系电话",
                  "近14天旅居史", "接触史", "是", "否", "本人承诺", "本人签字", "日期", "年", "月", "日",
                  "保存28天后销毁", *MIYUN_STEPS):
        assert value in text, value
    reader = PdfReader(form)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert float(page.mediabox.width) == pytest.approx(210 * MM, abs=0.5)
    assert float(page.mediabox.height) == pytest.approx(297 * MM, abs=0.5)
    assert images(form) == 1  # the QR code only


def test_declaration_form_qr_decodes_to_its_session(form: Path, tmp_path: Path) -> None:
    """At 200 dpi the form's QR code decodes to TGFORM|MY|<session>|<day>, the form reference."""
    image = rasterise(form, tmp_path)
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    assert [code.text for code in found] == ["TGFORM|MY|MY-2026-118|20261123"]
    assert form_reference(CENTRE, SESSIONS[0]) == f"{FORM_PREFIX}|MY|MY-2026-118|20261123"
    assert form_reference(CENTRE, SESSIONS[0]) in pdf_text(form)


def test_health_code_form_asks_its_own_questions(tmp_path: Path) -> None:
    """The health-code preset's questions (worded differently) are the ones printed on its form."""
    policy: Policy = load_preset("health-code")
    out = render_declaration_form(policy, SESSIONS[3], tmp_path / "hc.pdf", centre=CENTRE)
    text = pdf_text(out)
    for question in policy.questions:
        assert question.text in text
    assert "近14天内本人是否有中高风险地区旅居史？" in text
    assert "保存21天后销毁" in text
    assert SESSIONS[3].project_name in text


def test_badge_only_policy_has_no_declaration_form(tmp_path: Path) -> None:
    """A policy without a declaration step refuses to print a form."""
    with pytest.raises(RenderError, match="不收健康申报表"):
        render_declaration_form(load_preset("badge-only"), SESSIONS[0], tmp_path / "none.pdf", centre=CENTRE)
    assert not (tmp_path / "none.pdf").exists()


def test_form_with_markup_in_the_project_name_prints_it_as_text(tmp_path: Path) -> None:
    """Defence in depth: a hostile project name on the form is printed literally and loads nothing."""
    session = _unchecked_session(HOSTILE)
    out = render_declaration_form(load_preset("miyun-2020"), session, tmp_path / "hostile.pdf", centre=CENTRE)
    assert HOSTILE in pdf_text(out)
    assert images(out) == 1


def test_chinese_prose_is_punctuated_full_width_and_dates_are_not_zero_padded(
        produced: dict[str, Outputs]) -> None:
    """Subject, HTML, text, SMS, phone script: ，：；？（） beside Chinese text, 11月23日 never 月0x日.

    Names are printed as given — the policy's step labels and the companies' and agencies' names are data, not
    the notice's prose — and so is the stylesheet (a CSS comment).
    """
    policy = load_preset("miyun-2020")
    given = [step.label for step in policy.steps] + [a.name for a in AGENCIES.values()]
    for outputs in produced.values():
        for name, text in outputs.items():
            if name == "pdf":
                continue  # extracted text: line breaks and spacing are the PDF's, the wording is the HTML's
            chinese = re.sub(r"<style>.*?</style>", "", text.split("Summary in English")[0], flags=re.S)
            for value in given:
                chinese = chinese.replace(value, "")
            assert half_width_in_prose(chinese) == [], (name, half_width_in_prose(chinese))
            assert not re.search(r"年0\d月|月0\d日", chinese), name
        assert "一公司一人，一标识一天" in outputs.notice.sms.message
