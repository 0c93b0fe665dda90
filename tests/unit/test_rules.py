"""Admission rules through the desk: one bidder per company per day, role quotas, substitution, re-entry, halls."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from gatekit import (
    COMPANIES,
    DAY,
    HALL_1,
    HALL_2,
    MORNING,
    PEOPLE,
    SESSION,
    SESSION_PM,
    Company,
    Harness,
    tiny_policy,
)
from hypothesis import given
from hypothesis import strategies as st

from tenderguard.domain.events import Exited
from tenderguard.domain.model import SHANGHAI, AdmissionStatus, BadgeStatus, Centre
from tenderguard.errors import InvalidInputError, NotFoundError, OverrideError
from tenderguard.identity import mask_document_number
from tenderguard.policy import Role

ZHANG, LI, LIU, CHEN, YANG = PEOPLE[:5]
BUILDER, BRIDGES, MUNICIPAL, AGENCY, TENDERER = COMPANIES


# --- one person per company per day -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "北京某某建设工程有限公司",
        "北京 某某建设工程 有限公司",
        "北京某某建设工程有限公司　",
        "北京某某建设工程　有限公司",
    ],
)
def test_second_bidder_of_a_company_is_refused_without_naming_the_first(miyun: Harness, variant: str) -> None:
    """The second person of a company (any spelling of the name) is refused company_quota, anonymously."""
    first = miyun.admit(ZHANG, BUILDER)
    assert first.outcome == "admitted"
    admitted_at = miyun.clock.now()
    miyun.clock.advance(minutes=20)
    second = miyun.desk.arrive(miyun.arrival(LI, BUILDER, company_name=variant))
    assert (second.outcome, second.reason) == ("refused", "company_quota")
    assert second.detail["admitted_at"] == admitted_at.isoformat()
    assert second.detail["desk"] == "A"
    text = str(second)
    for secret in (ZHANG.name, ZHANG.id_number, mask_document_number(ZHANG.id_number), "张*"):
        assert secret not in text
    assert second.name_masked == "李*"


def test_credit_code_in_lower_case_with_spaces_is_the_same_company(miyun: Harness) -> None:
    """The quota counts by the normalised credit code, however it was typed."""
    miyun.admit(ZHANG, BUILDER)
    code = BUILDER.credit_code
    typed = Company(BUILDER.name, f"{code[:6].lower()} {code[6:12]} {code[12:].lower()}")
    second = miyun.desk.arrive(miyun.arrival(LI, typed))
    assert second.reason == "company_quota"


def test_another_company_is_not_affected(miyun: Harness) -> None:
    """A bidder of a different company is admitted on the same day."""
    miyun.admit(ZHANG, BUILDER)
    assert miyun.admit(LI, BRIDGES).outcome == "admitted"
    assert len(miyun.active_admissions()) == 2


def test_two_desks_race_the_second_to_finish_is_refused(miyun: Harness) -> None:
    """Two people of one company pass the arrival check at two desks; whoever finishes second is refused."""
    desk_a = miyun.desk
    desk_b = miyun.gate.desk("B", "赵敏")
    view_a = desk_a.arrive(miyun.arrival(ZHANG, BUILDER))
    view_b = desk_b.arrive(miyun.arrival(LI, BUILDER))
    assert view_a.outcome is None
    assert view_b.outcome is None
    done_b = miyun.run(view_b, desk_b)
    assert done_b.outcome == "admitted"
    done_a = miyun.run(view_a, desk_a)
    assert (done_a.outcome, done_a.reason) == ("refused", "company_quota")
    assert done_a.detail["desk"] == "B"
    assert [a.screening_id for a in miyun.active_admissions()] == [view_b.id]


def test_quota_is_per_day_in_shanghai() -> None:
    """23:59 and 00:01 Shanghai time are different days: both bidders of one company get in."""
    h = Harness(tiny_policy(), at=dt.datetime(2026, 11, 23, 23, 59, tzinfo=SHANGHAI))
    h.add_session("MY-2026-200", dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI), HALL_1)
    late = h.admit(ZHANG, BUILDER)
    h.clock.set(dt.datetime(2026, 11, 24, 0, 1, tzinfo=SHANGHAI))
    early = h.admit(LI, BUILDER, session="MY-2026-200")
    assert (late.outcome, early.outcome) == ("admitted", "admitted")
    assert late.badge == "MY-20261123-0001"
    assert early.badge == "MY-20261124-0001"


def test_same_person_next_day_is_a_new_admission() -> None:
    """A badge is good for one day: the next day the same person is screened afresh with a new badge."""
    h = Harness(tiny_policy())
    h.add_session("MY-2026-200", dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI), HALL_1)
    first = h.admit(ZHANG, BUILDER)
    h.clock.set(dt.datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI))
    second = h.admit(ZHANG, BUILDER, session="MY-2026-200")
    assert second.outcome == "admitted"
    assert not second.reentry
    assert second.badge != first.badge


def test_utc_arrival_time_is_counted_on_the_shanghai_day() -> None:
    """16:30 UTC on the 23rd is 00:30 on the 24th in Shanghai: only a session of the 24th accepts it."""
    h = Harness(tiny_policy())
    h.add_session("MY-2026-200", dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI), HALL_1)
    utc = dt.datetime(2026, 11, 23, 16, 30, tzinfo=dt.UTC)
    with pytest.raises(InvalidInputError) as info:
        h.desk.arrive(h.arrival(at=utc))
    assert info.value.field == "session"
    assert "2026-11-24" in str(info.value)
    view = h.run(h.desk.arrive(h.arrival(session="MY-2026-200", at=utc)))
    assert view.badge == "MY-20261124-0001"


def test_session_on_another_day_is_refused(miyun: Harness) -> None:
    """A session registered for another day does not take today's arrivals."""
    miyun.add_session("MY-2026-130", dt.datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI), HALL_1)
    with pytest.raises(InvalidInputError):
        miyun.desk.arrive(miyun.arrival(session="MY-2026-130"))
    assert miyun.store.screenings == {}


def test_unknown_session_is_not_found(miyun: Harness) -> None:
    """An arrival for a session nobody registered is NotFoundError."""
    with pytest.raises(NotFoundError):
        miyun.desk.arrive(miyun.arrival(session="MY-2026-999"))
    assert miyun.store.screenings == {}


def test_company_name_reused_with_another_credit_code_is_screened_and_signalled(miyun: Harness) -> None:
    """A known company name under a different credit code is screened as that code's company, with a signal."""
    miyun.admit(ZHANG, BUILDER)
    impostor = Company(BUILDER.name, BRIDGES.credit_code)
    view = miyun.desk.arrive(miyun.arrival(LI, impostor))
    assert view.outcome is None
    assert [s.kind for s in miyun.gate.signals()] == ["company_two_codes"]


# --- role quotas -------------------------------------------------------------------------------------------


def test_third_tenderer_is_refused_role_quota(miyun: Harness) -> None:
    """The tenderer may send two people; the third is refused role_quota."""
    assert miyun.policy.quota(Role.TENDERER) == 2
    outcomes = [miyun.admit(p, TENDERER, role=Role.TENDERER) for p in (ZHANG, LI, LIU)]
    assert [v.outcome for v in outcomes] == ["admitted", "admitted", "refused"]
    assert outcomes[2].reason == "role_quota"
    assert outcomes[2].detail["limit"] == 2


def test_agency_takes_three(miyun: Harness) -> None:
    """An agency may send three people; the fourth is refused role_quota."""
    views = [miyun.admit(p, AGENCY, role=Role.AGENCY) for p in (ZHANG, LI, LIU, CHEN)]
    assert [v.outcome for v in views] == ["admitted"] * 3 + ["refused"]
    assert views[3].reason == "role_quota"


def test_experts_are_unlimited(miyun: Harness) -> None:
    """Evaluation experts have no quota and need no company."""
    views = [miyun.admit(p, None, role=Role.EXPERT) for p in PEOPLE[:6]]
    assert all(v.outcome == "admitted" for v in views)


def test_role_quotas_are_separate_from_the_bidder_quota(miyun: Harness) -> None:
    """A company's tenderer staff do not use up its bidder place, and the other way round."""
    assert miyun.admit(ZHANG, TENDERER, role=Role.TENDERER).outcome == "admitted"
    assert miyun.admit(LI, TENDERER, role=Role.BIDDER).outcome == "admitted"


def test_bidder_needs_a_credit_code(miyun: Harness) -> None:
    """A bidder without the company's credit code cannot even be recorded as arrived."""
    with pytest.raises(InvalidInputError) as info:
        miyun.arrival(ZHANG, None)
    assert info.value.field == "credit_code"


# --- substitution ------------------------------------------------------------------------------------------


def test_substitution_revokes_the_old_badge_and_issues_a_new_one(miyun: Harness) -> None:
    """The company hands back its badge; the substitute is screened and gets a new serial."""
    first = miyun.admit(ZHANG, BUILDER)
    assert first.badge is not None
    view = miyun.desk.substitute(miyun.arrival(LI, BUILDER), replaces=first.badge, reason="原授权代表临时有事")
    assert miyun.gate.badge(first.badge).status is BadgeStatus.REVOKED
    assert "原授权代表临时有事" in (miyun.gate.badge(first.badge).revoked_reason or "")
    done = miyun.run(view)
    assert done.outcome == "admitted"
    assert done.badge is not None
    assert done.badge != first.badge
    assert miyun.gate.badge(done.badge).status is BadgeStatus.ACTIVE
    statuses = sorted(str(a.status) for a in miyun.store.admissions.values())
    assert statuses == ["active", "substituted"]
    assert miyun.screening(view).records[0].action == "override:substitution"


def test_substitution_takes_the_old_holder_out_of_the_hall(miyun: Harness) -> None:
    """The person handing back the badge no longer counts as inside."""
    first = miyun.admit(ZHANG, BUILDER)
    assert first.badge is not None
    miyun.desk.substitute(miyun.arrival(LI, BUILDER), replaces=first.badge, reason="换人")
    old = next(a for a in miyun.store.admissions.values() if a.badge == first.badge)
    assert not old.inside
    assert old.status is AdmissionStatus.SUBSTITUTED


@pytest.mark.parametrize("reason", ["", "   ", "\t"])
def test_substitution_needs_a_reason(miyun: Harness, reason: str) -> None:
    """An empty reason is an OverrideError and nothing changes."""
    first = miyun.admit(ZHANG, BUILDER)
    assert first.badge is not None
    with pytest.raises(OverrideError):
        miyun.desk.substitute(miyun.arrival(LI, BUILDER), replaces=first.badge, reason=reason)
    assert miyun.gate.badge(first.badge).status is BadgeStatus.ACTIVE
    assert len(miyun.store.screenings) == 1


def test_substitution_with_another_company_badge_is_refused(miyun: Harness) -> None:
    """Only the company's own badge can be handed back; the other badge stays valid."""
    other = miyun.admit(ZHANG, BRIDGES)
    assert other.badge is not None
    with pytest.raises(OverrideError):
        miyun.desk.substitute(miyun.arrival(LI, BUILDER), replaces=other.badge, reason="换人")
    assert miyun.gate.badge(other.badge).status is BadgeStatus.ACTIVE
    assert len(miyun.active_admissions()) == 1


def test_substitution_of_an_unknown_or_revoked_badge(miyun: Harness) -> None:
    """An unknown serial is NotFoundError; a badge already revoked cannot be handed back again."""
    first = miyun.admit(ZHANG, BUILDER)
    assert first.badge is not None
    with pytest.raises(NotFoundError):
        miyun.desk.substitute(miyun.arrival(LI, BUILDER), replaces="MY-20261123-9999", reason="换人")
    miyun.desk.substitute(miyun.arrival(LI, BUILDER), replaces=first.badge, reason="换人")
    with pytest.raises(OverrideError):
        miyun.desk.substitute(miyun.arrival(LIU, BUILDER), replaces=first.badge, reason="再换人")


def test_replaced_person_arriving_again_is_refused(miyun: Harness) -> None:
    """The person whose badge was handed back cannot come back in that day."""
    first = miyun.admit(ZHANG, BUILDER)
    assert first.badge is not None
    miyun.run(miyun.desk.substitute(miyun.arrival(LI, BUILDER), replaces=first.badge, reason="换人"))
    again = miyun.desk.arrive(miyun.arrival(ZHANG, BUILDER))
    assert (again.outcome, again.reason) == ("refused", "badge_revoked")


# --- re-entry ----------------------------------------------------------------------------------------------


def test_reentry_repeats_only_the_reentry_steps_and_keeps_the_badge(miyun: Harness) -> None:
    """After lunch the same person goes through mask, hand sanitiser and temperature only, same badge."""
    first = miyun.admit(ZHANG, BUILDER)
    assert first.badge is not None
    miyun.desk.record_exit(first.badge)
    miyun.clock.advance(hours=3)
    view = miyun.desk.arrive(miyun.arrival(ZHANG, BUILDER))
    assert view.reentry
    steps: list[str] = []
    while not view.closed:
        assert view.step is not None
        if view.step not in steps:
            steps.append(view.step)
        view = miyun.pass_step(view)
    assert steps == list(miyun.policy.reentry.steps)
    assert steps == ["mask", "hand_sanitiser", "temperature"]
    assert view.outcome == "admitted"
    assert view.badge == first.badge
    assert len(miyun.store.badges) == 1
    admission = next(iter(miyun.store.admissions.values()))
    assert (admission.entries, admission.inside) == (2, True)


def test_reentry_with_fever_is_refused_but_keeps_the_place(miyun: Harness) -> None:
    """A fever on re-entry refuses the re-entry; the company's place is still held by the admission."""
    first = miyun.admit(ZHANG, BUILDER)
    assert first.badge is not None
    miyun.desk.record_exit(first.badge)
    view = miyun.run(miyun.desk.arrive(miyun.arrival(ZHANG, BUILDER)), until="temperature")
    for _ in range(3):
        view = miyun.desk.measure(view.id, 38.5)
        miyun.clock.advance(minutes=5)
    assert (view.outcome, view.reason) == ("refused", "fever")
    assert len(miyun.active_admissions()) == 1
    assert not miyun.active_admissions()[0].inside


def test_arriving_again_without_exit_counts_as_having_left() -> None:
    """A person back at the desk without a recorded exit is taken to have left: occupancy stays right."""
    h = Harness(tiny_policy(halls={HALL_1: 5, HALL_2: 30}))
    first = h.admit(ZHANG, BUILDER)
    h.admit(LI, BRIDGES)
    view = h.desk.arrive(h.arrival(ZHANG, BUILDER))
    inside = [a for a in h.store.admissions.values() if a.inside]
    assert len(inside) == 1
    exited = h.published_of(Exited)
    assert len(exited) == 1
    assert exited[0].recorded_on_return
    assert exited[0].badge == first.badge
    done = h.run(view)
    assert done.badge == first.badge
    assert sum(1 for a in h.store.admissions.values() if a.inside) == 2


def test_reentry_not_allowed_is_refused() -> None:
    """With re-entry forbidden, the second arrival of an admitted person is refused."""
    h = Harness(tiny_policy(reentry={"allowed": False, "steps": []}))
    first = h.admit(ZHANG, BUILDER)
    assert first.badge is not None
    h.desk.record_exit(first.badge)
    again = h.desk.arrive(h.arrival(ZHANG, BUILDER))
    assert (again.outcome, again.reason) == ("refused", "reentry_not_allowed")


def test_reentry_with_no_steps_is_admitted_at_once(badge_only: Harness) -> None:
    """Under badge-only (no re-entry steps), showing the day's badge again admits at once."""
    first = badge_only.admit(ZHANG, BUILDER)
    again = badge_only.desk.arrive(badge_only.arrival(ZHANG, BUILDER))
    assert (again.outcome, again.reentry, again.badge) == ("admitted", True, first.badge)


# --- hall capacity -----------------------------------------------------------------------------------------


def test_hall_full_until_someone_leaves() -> None:
    """With room for two, the third person is refused hall_full until a badge holder exits."""
    h = Harness(tiny_policy(default_hall_capacity=2))
    first = h.admit(ZHANG, BUILDER)
    h.admit(LI, BRIDGES)
    third = h.desk.arrive(h.arrival(LIU, MUNICIPAL))
    assert (third.outcome, third.reason) == ("refused", "hall_full")
    assert third.detail == {"hall": HALL_1, "capacity": 2}
    assert first.badge is not None
    h.desk.record_exit(first.badge)
    assert h.admit(LIU, MUNICIPAL).outcome == "admitted"


def test_halls_are_counted_separately() -> None:
    """A full first hall does not stop arrivals for a session in the second hall."""
    h = Harness(tiny_policy(halls={HALL_1: 1, HALL_2: 1}))
    h.admit(ZHANG, BUILDER)
    assert h.desk.arrive(h.arrival(LI, BRIDGES)).reason == "hall_full"
    assert h.admit(LI, BRIDGES, session=SESSION_PM).outcome == "admitted"


def test_hall_full_at_admission_after_passing_the_arrival_check() -> None:
    """Two people pass the arrival check for the last place; the second to finish is refused hall_full."""
    h = Harness(tiny_policy(default_hall_capacity=1))
    view_a = h.desk.arrive(h.arrival(ZHANG, BUILDER))
    view_b = h.desk.arrive(h.arrival(LI, BRIDGES))
    assert h.run(view_a).outcome == "admitted"
    done_b = h.run(view_b)
    assert (done_b.outcome, done_b.reason) == ("refused", "hall_full")


def test_record_exit_twice_or_of_unknown_badge(miyun: Harness) -> None:
    """A second exit is refused (the same replayed record is a no-op); an unknown badge is NotFoundError."""
    first = miyun.admit(ZHANG, BUILDER)
    assert first.badge is not None
    miyun.desk.record_exit(first.badge, source="queue.jsonl:9")
    miyun.desk.record_exit(first.badge, source="queue.jsonl:9")  # the same record replayed: nothing happens
    with miyun.uow() as uow:
        assert uow.attendance.inside(DAY, miyun.screening(first).hall) == 0
    with pytest.raises(InvalidInputError):
        miyun.desk.record_exit(first.badge)  # a real second exit, even at the same instant
    with pytest.raises(NotFoundError):
        miyun.desk.record_exit("MY-20261123-0404")


def test_reentry_into_another_hall_frees_the_first_hall() -> None:
    """A person who left hall 1 and re-enters for a session in hall 2 no longer takes a place in hall 1."""
    h = Harness(tiny_policy(halls={HALL_1: 1, HALL_2: 5}))
    first = h.admit(ZHANG, BUILDER, session=SESSION)
    assert first.badge is not None
    h.desk.record_exit(first.badge)
    assert h.admit(ZHANG, BUILDER, session=SESSION_PM).reentry
    assert h.admit(LI, BRIDGES, session=SESSION).outcome == "admitted"


def test_day_constant_matches_the_harness_clock() -> None:
    """The kit's DAY is the Shanghai day of its morning clock (guards the other tests' assumptions)."""
    h = Harness()
    assert h.centre.day_of(h.clock.now()) == DAY


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 1, 1)),  # noqa: DTZ001 - naive
       st.sampled_from(["Asia/Shanghai", "Asia/Urumqi", "Europe/London", "America/New_York"]))
def test_a_centre_day_is_the_local_date_whatever_zone_the_time_is_given_in(naive: dt.datetime, zone: str) -> None:
    """day_of gives the date in the centre's zone for a time in that zone, in UTC or at a fixed offset."""
    centre = Centre(code="MY", name="中心", timezone=zone)
    local = naive.replace(tzinfo=centre.tz)
    expected = local.astimezone(dt.UTC).astimezone(ZoneInfo.no_cache(zone)).date()  # another zone object
    assert centre.day_of(local) == expected
    assert centre.day_of(local.astimezone(dt.UTC)) == expected
    assert centre.day_of(local.astimezone(dt.timezone(dt.timedelta(hours=-11)))) == expected


def test_a_centre_refuses_an_unknown_zone_when_it_is_made() -> None:
    """The zone is looked up once, on construction: an unknown one is refused there, naming the field."""
    with pytest.raises(InvalidInputError) as info:
        Centre(code="MY", name="中心", timezone="Asia/Nowhere")
    assert info.value.field == "timezone"
    with pytest.raises(InvalidInputError):
        Centre(code="MY", name="中心").day_of(dt.datetime(2026, 11, 23, 9, 0))  # noqa: DTZ001 - no offset


def test_companies_offered_at_the_desk_are_those_of_earlier_days() -> None:
    """The in-memory store offers a company seen yesterday, not one first seen today, from two characters on."""
    h = Harness("badge-only")
    yesterday = MORNING - dt.timedelta(days=1)
    h.add_session("MY-2026-100", yesterday + dt.timedelta(hours=1), HALL_1)
    h.clock.set(yesterday)
    h.admit(ZHANG, BUILDER, session="MY-2026-100")
    h.clock.set(MORNING)
    h.admit(LI, BRIDGES)
    assert h.gate.companies_like(BUILDER.name[:2]) == [(BUILDER.name, BUILDER.credit_code)]
    assert h.gate.companies_like(BRIDGES.name[:3]) == []
    assert h.gate.companies_like(BUILDER.name[:1]) == []
