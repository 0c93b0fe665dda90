"""Refusal notifications: the company is told, the agency learns only what the policy allows, others nothing."""

from __future__ import annotations

import datetime as dt
import re

import attrs
import pytest
from gatekit import COMPANIES, MORNING, PEOPLE, Harness

from tenderguard.domain.model import Agency, BidSession
from tenderguard.errors import InvalidInputError
from tenderguard.notices.typography import half_width_in_prose
from tenderguard.policy import RefusalNotices, load_policy

SESSION = "MY-2026-130"


def _refused_for_fever(h: Harness) -> None:
    """An agency-run session; one person refused for fever after the re-measures, one refused by the quota."""
    h.gate.register_agency(Agency(code="ZX", name="北京正信招标代理有限公司"))
    h.gate.register_session(BidSession(code=SESSION, project_name="密云区污水管网改造工程",
                                       opens_at=MORNING + dt.timedelta(hours=2), hall="第一开标室", agency="ZX"))
    view = h.run(h.desk.arrive(h.arrival(PEOPLE[0], COMPANIES[0], session=SESSION)), until="temperature")
    while not view.closed:
        view = h.desk.measure(view.id, 38.6)
        h.clock.advance(minutes=30)
    assert view.reason == "fever"
    h.admit(PEOPLE[1], COMPANIES[1], session=SESSION)
    assert h.desk.arrive(h.arrival(PEOPLE[2], COMPANIES[1], session=SESSION)).reason == "company_quota"


def test_a_fever_refusal_writes_to_the_company_and_the_agency(miyun: Harness) -> None:
    """The company letter states the finding; the agency letter says 健康原因 only; quota refusals are not notified."""
    _refused_for_fever(miyun)
    [notice] = miyun.gate.refusal_notices(miyun.clock.now().date())
    letters = {letter.recipient: letter.text for letter in notice.letters}
    assert set(letters) == {"company", "agency"}
    company, agency = letters["company"], letters["agency"]
    masked = PEOPLE[0].name[0] + "*" * (len(PEOPLE[0].name) - 1)
    assert COMPANIES[0].name in company
    assert masked in company
    assert "体温" in company
    assert PEOPLE[0].name not in company + agency
    assert "健康原因" in agency
    assert "体温" not in agency
    assert "北京正信招标代理有限公司" in agency
    assert COMPANIES[1].name not in company + agency  # nothing about other bidders
    assert [e.kind for e in miyun.audit()][-1] == "refusal_notices"


def _community_policy() -> Harness:
    """A harness whose policy tells the community and lets the agency know the reason."""
    return Harness(attrs.evolve(load_policy("miyun-2020"),
                                notices=RefusalNotices(notify_community=True, tell_agency_reason=True)))


def test_the_policy_adds_the_community_and_lets_the_agency_know_the_reason() -> None:
    """notify_community and a residence recorded: a community letter addressed to it; the agency sees the finding."""
    h = _community_policy()
    _refused_for_fever(h)
    [refused] = [s for s in h.store.screenings.values() if s.reason == "fever"]
    view = h.gate.record_residence(refused.id, "鼓楼街道沿湖社区", actor=h.desk.actor)
    assert (view.asks_residence, view.residence_given) == (True, True)
    [notice] = h.gate.refusal_notices(h.clock.now().date())
    letters = {letter.recipient: letter.text for letter in notice.letters}
    assert set(letters) == {"company", "community", "agency"}
    assert not notice.community_missing
    assert "体温" in letters["agency"]
    assert "*" in letters["community"]  # the ID number only masked
    assert "鼓楼街道沿湖社区：" in letters["community"]
    assert "鼓楼街道沿湖社区" not in letters["company"] + letters["agency"]
    assert len({letter.filename for letter in notice.letters}) == 3
    assert [e.kind for e in h.audit()].count("residence") == 1
    assert "鼓楼" not in str([e.payload for e in h.audit()])  # the trail says a residence was given, not which


def test_without_a_residence_no_community_letter_is_written_and_the_notice_says_so() -> None:
    """The community is told per policy, but nobody recorded where the person lives: no letter, the notice flags it."""
    h = _community_policy()
    _refused_for_fever(h)
    [notice] = h.gate.refusal_notices(h.clock.now().date())
    assert [letter.recipient for letter in notice.letters] == ["company", "agency"]
    assert notice.community_missing
    assert notice.holder == PEOPLE[0].name[0] + "*" * (len(PEOPLE[0].name) - 1)


def test_the_reference_number_is_per_year_stable_and_given_in_order() -> None:
    """〔2026〕MY健通字第0001号 for the first refusal, 0002 for the next; made again, the same numbers and files."""
    h = _community_policy()
    _refused_for_fever(h)
    view = h.run(h.desk.arrive(h.arrival(PEOPLE[3], COMPANIES[2], session=SESSION)), until="temperature")
    while not view.closed:
        view = h.desk.measure(view.id, 38.9)
        h.clock.advance(minutes=30)
    day = h.clock.now().date()
    first = h.gate.refusal_notices(day)
    assert [n.reference for n in first] == ["〔2026〕MY健通字第0001号", "〔2026〕MY健通字第0002号"]
    assert [n.serial for n in first] == [1, 2]
    h.clock.advance(days=3)
    again = h.gate.refusal_notices(day)
    assert [(n.reference, [letter.filename for letter in n.letters]) for n in again] == \
        [(n.reference, [letter.filename for letter in n.letters]) for n in first]
    company = first[0].letters[0]
    assert company.filename == f"{SESSION}-0001-company.txt"
    assert company.pdf_filename == f"{SESSION}-0001-company.pdf"
    assert company.reference in company.text


def test_letters_are_dated_the_day_of_the_refusal_not_the_day_they_are_made() -> None:
    """Made a week later, the letters still carry the refusal's date, written 2026年11月23日 (no zero padding)."""
    h = _community_policy()
    _refused_for_fever(h)
    h.clock.advance(days=7)
    [notice] = h.gate.refusal_notices(dt.date(2026, 11, 23))
    assert notice.refused_on == dt.date(2026, 11, 23)
    for letter in notice.letters:
        assert letter.blocks()[-1].splitlines() == ["密云区公共资源交易中心", "2026年11月23日"]
        assert "11月30日" not in letter.text


def test_letters_are_punctuated_as_chinese_prose() -> None:
    """Full-width punctuation next to Chinese text, no zero-padded dates, no space between Chinese text and names."""
    h = _community_policy()
    _refused_for_fever(h)
    [refused] = [s for s in h.store.screenings.values() if s.reason == "fever"]
    h.gate.record_residence(refused.id, "鼓楼街道沿湖社区", actor=h.desk.actor)
    [notice] = h.gate.refusal_notices(h.clock.now().date())
    masked = notice.holder
    for letter in notice.letters:
        assert half_width_in_prose(letter.text) == [], letter.recipient
        assert not re.search(r"年0\d月|月0\d日", letter.text), letter.recipient
        assert not re.search(rf"[\u4e00-\u9fff] +{re.escape(masked)}|{re.escape(masked)} +[\u4e00-\u9fff]",
                             letter.text), letter.recipient
    company = next(letter for letter in notice.letters if letter.recipient == "company")
    assert "“一公司一人，一标识一天”" in company.text


def test_the_residence_is_asked_only_for_a_notified_refusal_and_checked_like_a_name() -> None:
    """Not asked for an admitted person or a quota refusal; control characters, markup and long text are refused."""
    h = _community_policy()
    _refused_for_fever(h)
    admitted = next(s for s in h.store.screenings.values() if s.outcome == "admitted")
    quota = next(s for s in h.store.screenings.values() if s.reason == "company_quota")
    fever = next(s for s in h.store.screenings.values() if s.reason == "fever")
    for other in (admitted, quota):
        with pytest.raises(InvalidInputError, match="residence"):
            h.gate.record_residence(other.id, "鼓楼街道", actor=h.desk.actor)
    for bad in ("鼓楼街道\x07", "<b>鼓楼</b>", "鼓" * 61):
        with pytest.raises(InvalidInputError, match="residence"):
            h.gate.record_residence(fever.id, bad, actor=h.desk.actor)
    assert h.gate.record_residence(fever.id, "  ", actor=h.desk.actor).residence_given is False
    assert h.gate.desk("B", "李娜").view(fever.id).asks_residence
    assert not h.gate.desk("B", "李娜").view(admitted.id).asks_residence


def test_without_the_community_told_the_residence_is_not_asked(miyun: Harness) -> None:
    """The default policy tells no community: a fever refusal is not asked where the person lives."""
    _refused_for_fever(miyun)
    fever = next(s for s in miyun.store.screenings.values() if s.reason == "fever")
    assert not miyun.desk.view(fever.id).asks_residence
    with pytest.raises(InvalidInputError, match="residence"):
        miyun.gate.record_residence(fever.id, "鼓楼街道", actor=miyun.desk.actor)


def test_reasons_not_listed_are_not_notified() -> None:
    """A policy notifying nothing produces no letters (and writes no audit entry)."""
    h = Harness(attrs.evolve(load_policy("miyun-2020"), notices=RefusalNotices(reasons=())))
    _refused_for_fever(h)
    assert h.gate.refusal_notices(h.clock.now().date()) == []
    assert "refusal_notices" not in [e.kind for e in h.audit()]


def test_text_letters_print_names_as_they_are_not_html_escaped(miyun: Harness) -> None:
    """A company named with & and ' prints as such in a .txt letter (no &amp; or &#39;)."""
    h = miyun
    h.gate.register_agency(Agency(code="ZX", name="北京正信招标代理有限公司"))
    h.gate.register_session(BidSession(code=SESSION, project_name="密云区污水管网改造工程",
                                       opens_at=MORNING + dt.timedelta(hours=2), hall="第一开标室", agency="ZX"))
    company = type(COMPANIES[0])("北京A&B'S工程有限公司", COMPANIES[0].credit_code)
    view = h.run(h.desk.arrive(h.arrival(PEOPLE[0], company, session=SESSION)), until="temperature")
    while not view.closed:
        view = h.desk.measure(view.id, 38.6)
        h.clock.advance(minutes=30)
    [notice] = h.gate.refusal_notices(h.clock.now().date())
    text = next(letter.text for letter in notice.letters if letter.recipient == "company")
    assert "A&B'S" in text
    assert "&amp;" not in text
    assert "&#39;" not in text
