"""Refusal notifications: the company is told, the agency learns only what the policy allows, others nothing."""

from __future__ import annotations

import datetime as dt

import attrs
from gatekit import COMPANIES, MORNING, PEOPLE, Harness

from tenderguard.domain.model import Agency, BidSession
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


def test_the_policy_adds_the_community_and_lets_the_agency_know_the_reason() -> None:
    """With notify_community and tell_agency_reason a community letter is added and the agency sees the finding."""
    policy = attrs.evolve(load_policy("miyun-2020"),
                          notices=RefusalNotices(notify_community=True, tell_agency_reason=True))
    h = Harness(policy)
    _refused_for_fever(h)
    [notice] = h.gate.refusal_notices(h.clock.now().date())
    letters = {letter.recipient: letter.text for letter in notice.letters}
    assert set(letters) == {"company", "community", "agency"}
    assert "体温" in letters["agency"]
    assert "*" in letters["community"]  # the ID number only masked
    assert len({letter.filename for letter in notice.letters}) == 3


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
