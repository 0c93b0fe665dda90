"""The service layer: events on the message bus, the unit of work's rollback, the gate's queries and guards."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import attrs
import pytest
from gatekit import COMPANIES, DAY, PEOPLE, SECRET, SESSION, Harness, answers_with, tiny_policy

from tenderguard.domain import events
from tenderguard.domain.model import SHANGHAI, Agency, BadgeStatus, BidSession
from tenderguard.errors import InvalidInputError, NotFoundError
from tenderguard.identity import mask_document_number
from tenderguard.policy import Role
from tenderguard.services import Gate, ScreeningView
from tenderguard.store.memory import InMemoryUnitOfWork

ZHANG, LI, LIU = PEOPLE[:3]
BUILDER, BRIDGES = COMPANIES[:2]


def kinds(h: Harness) -> list[str]:
    """The type names of the published events, in order."""
    return [type(e).__name__ for e in h.published]


# --- events ------------------------------------------------------------------------------------------------


def test_admission_publishes_started_steps_admitted_and_badge(miyun: Harness) -> None:
    """A full admission publishes ScreeningStarted, one StepCompleted per move, Admitted and BadgeIssued."""
    view = miyun.admit(ZHANG, BUILDER)
    names = kinds(miyun)
    assert names[0] == "ScreeningStarted"
    started = miyun.published_of(events.ScreeningStarted)[0]
    assert (started.screening_id, started.session, started.desk, started.reentry) == (view.id, SESSION, "A", False)
    moves = [r for r in miyun.screening(view).records if r.action not in ("check_in", "admit")]
    assert names.count("StepCompleted") == len(moves)
    admitted = miyun.published_of(events.Admitted)
    issued = miyun.published_of(events.BadgeIssued)
    assert len(admitted) == len(issued) == 1
    assert admitted[0].badge == issued[0].serial == view.badge
    assert issued[0].credit_code == BUILDER.credit_code
    assert issued[0].day == DAY


def test_refusal_referral_and_abandonment_events(miyun: Harness) -> None:
    """Refused, Referred and Abandoned carry the reason (and the services) of each outcome."""
    refused = miyun.desk.mask(miyun.desk.arrive(miyun.arrival(ZHANG, BUILDER)).id, "refused")
    referred = miyun.desk.arrive(miyun.arrival(LI, BRIDGES, key_area=True))
    abandoned = miyun.desk.abandon(miyun.desk.arrive(miyun.arrival(LIU, COMPANIES[2])).id)
    assert [(e.screening_id, e.reason) for e in miyun.published_of(events.Refused)] == [(refused.id, "no_mask")]
    referral = miyun.published_of(events.Referred)
    assert [(e.screening_id, e.reason) for e in referral] == [(referred.id, "key_area")]
    assert referral[0].services == miyun.policy.key_area.services
    assert [e.screening_id for e in miyun.published_of(events.Abandoned)] == [abandoned.id]


def test_substitution_publishes_override_and_revocation(miyun: Harness) -> None:
    """A substitution publishes BadgeRevoked and OverrideApplied with the operator, desk and reason."""
    first = miyun.admit(ZHANG, BUILDER)
    assert first.badge is not None
    miyun.desk.substitute(miyun.arrival(LI, BUILDER), replaces=first.badge, reason="原代表身体不适")
    revoked = miyun.published_of(events.BadgeRevoked)
    override = miyun.published_of(events.OverrideApplied)
    assert [e.serial for e in revoked] == [first.badge]
    assert len(override) == 1
    assert (override[0].kind, override[0].reason, override[0].operator, override[0].desk, override[0].subject) == (
        "substitution", "原代表身体不适", "王芳", "A", first.badge)
    exited = miyun.published_of(events.Exited)
    assert [(e.badge, e.recorded_on_return) for e in exited] == [(first.badge, False)]


def test_exit_publishes_exited(miyun: Harness) -> None:
    """Recording an exit publishes Exited for the badge and hall."""
    first = miyun.admit(ZHANG, BUILDER)
    assert first.badge is not None
    miyun.clock.advance(hours=2)
    miyun.desk.record_exit(first.badge)
    exited = miyun.published_of(events.Exited)
    assert len(exited) == 1
    assert (exited[0].badge, exited[0].hall, exited[0].recorded_on_return) == (first.badge, "第一开标室", False)
    assert exited[0].at == miyun.clock.now()


def test_subscriber_by_exact_type_and_by_base_class(miyun: Harness) -> None:
    """A subscriber to Admitted sees only admissions; one to DomainEvent sees everything."""
    admitted: list[events.Admitted] = []
    miyun.bus.subscribe(events.Admitted, admitted.append)
    miyun.admit(ZHANG, BUILDER)
    miyun.desk.mask(miyun.desk.arrive(miyun.arrival(LI, BRIDGES)).id, "refused")
    assert len(admitted) == 1
    assert len(miyun.published) > len(admitted)


def test_failing_subscriber_does_not_undo_the_admission(miyun: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """A subscriber that raises is logged; the admission stays committed and later subscribers still run."""

    def explode(_event: events.Admitted) -> None:
        raise RuntimeError("display board offline")

    miyun.bus.subscribe(events.Admitted, explode)
    after: list[events.Admitted] = []
    miyun.bus.subscribe(events.Admitted, after.append)
    with caplog.at_level(logging.ERROR):
        view = miyun.admit(ZHANG, BUILDER)
    assert view.outcome == "admitted"
    assert len(miyun.active_admissions()) == 1
    assert view.badge is not None
    assert miyun.gate.badge(view.badge).status is BadgeStatus.ACTIVE
    assert len(after) == 1
    assert any("display board offline" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_events_are_published_after_the_commit(miyun: Harness) -> None:
    """When Admitted is delivered, the admission is already in the store."""
    seen: list[int] = []
    miyun.bus.subscribe(events.Admitted, lambda _e: seen.append(len(miyun.store.admissions)))
    miyun.admit(ZHANG, BUILDER)
    assert seen == [1]


def test_failed_action_publishes_nothing(miyun: Harness) -> None:
    """An action that raises publishes no event."""
    view = miyun.run(miyun.desk.arrive(miyun.arrival(ZHANG, BUILDER)), until="temperature")
    before = len(miyun.published)
    with pytest.raises(InvalidInputError):
        miyun.desk.measure(view.id, float("nan"))
    assert len(miyun.published) == before


def test_events_carry_no_names_id_numbers_or_readings(miyun: Harness) -> None:
    """No published event mentions a person's name, ID number (full or masked) or a temperature."""
    first = miyun.admit(ZHANG, BUILDER)
    assert first.badge is not None
    sub = miyun.desk.substitute(miyun.arrival(LI, BUILDER), replaces=first.badge, reason="换人")
    view = miyun.run(sub, until="temperature")
    view = miyun.desk.measure(view.id, 38.4)
    miyun.clock.advance(minutes=5)
    view = miyun.desk.measure(view.id, 36.8)
    miyun.desk.answer(view.id, answers_with(miyun.policy, contact=True))
    miyun.desk.arrive(miyun.arrival(LIU, BRIDGES, key_area=True))
    assert {"Admitted", "BadgeIssued", "Referred", "OverrideApplied", "BadgeRevoked", "Exited"} <= set(kinds(miyun))
    text = "\n".join(repr(e) for e in miyun.published)
    for person in (ZHANG, LI, LIU):
        assert person.name not in text
        assert person.id_number not in text
        assert mask_document_number(person.id_number) not in text
        assert f"{person.name[0]}*" not in text
    assert "38.4" not in text
    assert "36.8" not in text


# --- unit of work ------------------------------------------------------------------------------------------


def test_action_that_raises_leaves_the_screening_as_before(miyun: Harness) -> None:
    """An invalid reading after a fever leaves state, records, fevers and rest time untouched."""
    view = miyun.run(miyun.desk.arrive(miyun.arrival(ZHANG, BUILDER)), until="temperature")
    view = miyun.desk.measure(view.id, 37.9)

    def state() -> tuple[object, ...]:
        s = miyun.screening(view)
        return s.state, s.fevers, s.measuring_errors, s.rest_until, s.readings, list(s.records)

    before = state()
    miyun.clock.advance(minutes=6)
    with pytest.raises(InvalidInputError):
        miyun.desk.measure(view.id, float("inf"))
    assert state() == before
    assert before[0] == "temperature_rest"
    assert miyun.desk.measure(view.id, 36.5).state == "temperature_questions"


def test_rollback_undoes_adds(miyun: Harness) -> None:
    """A unit of work left without commit removes what it added; a committed one keeps it."""
    session = BidSession(code="MY-2026-140", project_name="密云区污水管网改造工程",
                         opens_at=dt.datetime(2026, 11, 23, 15, 0, tzinfo=SHANGHAI), hall="第一开标室")
    with InMemoryUnitOfWork(miyun.store) as uow:
        uow.sessions.add(session)
        assert uow.sessions.get("MY-2026-140") == session
    assert "MY-2026-140" not in miyun.store.sessions
    with InMemoryUnitOfWork(miyun.store) as uow:
        uow.sessions.add(session)
        uow.commit()
    assert miyun.store.sessions["MY-2026-140"] == session


def test_rollback_restores_changed_objects(miyun: Harness) -> None:
    """Changes to an admission loaded in a unit of work are undone on rollback."""
    view = miyun.admit(ZHANG, BUILDER)
    assert view.badge is not None
    with InMemoryUnitOfWork(miyun.store) as uow:
        admission = uow.attendance.by_badge(view.badge)
        assert admission is not None
        admission.inside = False
        admission.entries = 9
        sequence = uow.badges.next_sequence("MY", DAY)
        assert sequence == 2
    stored = next(iter(miyun.store.admissions.values()))
    assert (stored.inside, stored.entries) == (True, 1)
    assert miyun.store.sequences[("MY", DAY)] == 1


def test_rollback_restores_the_hall_count_and_indexes(miyun: Harness) -> None:
    """An exit saved and an admission added in a rolled-back unit of work leave the hall count and indexes as before."""
    view = miyun.admit(ZHANG, BUILDER)
    assert view.badge is not None
    hall = miyun.screening(view).hall
    with InMemoryUnitOfWork(miyun.store) as uow:
        assert uow.attendance.inside(DAY, hall) == 1
        admission = uow.attendance.by_badge(view.badge)
        assert admission is not None
        admission.inside = False
        uow.attendance.save(admission)
        assert uow.attendance.inside(DAY, hall) == 0
        uow.attendance.add(attrs.evolve(admission, id="other", person_key="k2", badge="MY-X", inside=True))
        assert uow.attendance.inside(DAY, hall) == 1
        assert len(uow.attendance.active_for_organisation(DAY, BUILDER.credit_code, Role.BIDDER)) == 2
    with InMemoryUnitOfWork(miyun.store) as uow:
        assert uow.attendance.inside(DAY, hall) == 1
        assert uow.attendance.by_badge("MY-X") is None
        assert [a.badge for a in uow.attendance.active_for_organisation(DAY, BUILDER.credit_code, Role.BIDDER)] \
            == [view.badge]


def test_rollback_on_exception_inside_the_block(miyun: Harness) -> None:
    """An exception inside the block rolls back and propagates."""
    agency = Agency(code="AG01", name="北京正信招标代理有限公司", contact="李娜", phone="13811112222")

    def interrupted() -> None:
        with InMemoryUnitOfWork(miyun.store) as uow:
            uow.agencies.add(agency)
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        interrupted()
    assert miyun.store.agencies == {}


def test_failed_substitution_changes_nothing(miyun: Harness) -> None:
    """A substitution whose new arrival is for an unknown session leaves the old badge and place intact."""
    first = miyun.admit(ZHANG, BUILDER)
    assert first.badge is not None
    with pytest.raises(NotFoundError):
        miyun.desk.substitute(miyun.arrival(LI, BUILDER, session="MY-2026-999"), replaces=first.badge,
                              reason="换人")
    assert miyun.gate.badge(first.badge).status is BadgeStatus.ACTIVE
    admission = next(iter(miyun.store.admissions.values()))
    assert (str(admission.status), admission.inside) == ("active", True)
    assert len(miyun.store.screenings) == 1
    assert not miyun.published_of(events.BadgeRevoked)


# --- the gate ----------------------------------------------------------------------------------------------


def test_gate_lists_the_day_and_groups_outcomes(miyun: Harness) -> None:
    """Gate.screenings lists the day's screenings in order; outcomes groups them, open ones included."""
    admitted = miyun.admit(ZHANG, BUILDER)
    refused = miyun.desk.arrive(miyun.arrival(LI, BUILDER))
    open_view = miyun.desk.arrive(miyun.arrival(LIU, BRIDGES))
    assert [v.id for v in miyun.gate.screenings()] == [admitted.id, refused.id, open_view.id]
    grouped = miyun.gate.outcomes(DAY)
    assert [v.id for v in grouped["admitted"]] == [admitted.id]
    assert [v.id for v in grouped["refused"]] == [refused.id]
    assert [v.id for v in grouped["open"]] == [open_view.id]
    assert grouped["referred"] == grouped["abandoned"] == []
    assert miyun.gate.screenings(DAY + dt.timedelta(days=1)) == []


def test_view_resumes_an_open_screening(miyun: Harness) -> None:
    """Desk.view shows where an interrupted screening stands, from any desk."""
    view = miyun.run(miyun.desk.arrive(miyun.arrival(ZHANG, BUILDER)), until="declaration")
    other = miyun.gate.desk("B", "赵敏").view(view.id)
    assert (other.state, other.step, other.step_label) == ("declaration", "declaration", "递表（健康调查表）核实")
    assert other.message == "请进行：递表（健康调查表）核实"
    with pytest.raises(NotFoundError):
        miyun.desk.view("no-such-screening")


def test_gate_guards(miyun: Harness) -> None:
    """Unknown badges and sessions are NotFoundError; duplicate sessions and blank desks are input errors."""
    with pytest.raises(NotFoundError):
        miyun.gate.badge("MY-20261123-0001")
    with pytest.raises(NotFoundError):
        miyun.gate.session("MY-2026-999")
    assert miyun.gate.session(SESSION).hall == "第一开标室"
    with pytest.raises(InvalidInputError):
        miyun.add_session(SESSION, dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI), "第一开标室")
    with pytest.raises(NotFoundError):
        miyun.gate.register_session(BidSession(code="MY-2026-150", project_name="道路工程", hall="第一开标室",
                                               opens_at=dt.datetime(2026, 11, 23, 16, 0, tzinfo=SHANGHAI),
                                               agency="AG99"))
    with pytest.raises(InvalidInputError):
        miyun.gate.desk(" ", "王芳")
    with pytest.raises(InvalidInputError):
        Gate(policy=tiny_policy(), centre=miyun.centre, uow_factory=miyun.uow, secret=b"short")


def test_the_store_keeps_no_full_id_number(miyun: Harness) -> None:
    """Screenings, admissions and badges hold a keyed hash and a masked number, never the ID number itself."""
    view = miyun.admit(ZHANG, BUILDER)
    screening = miyun.screening(view)
    stored = repr(vars(screening)) + repr(list(miyun.store.admissions.values())) + repr(miyun.store.badges)
    assert ZHANG.id_number not in stored
    assert ZHANG.id_number[6:14] not in stored
    assert screening.person_key not in (ZHANG.id_number, "")
    assert SECRET.decode() not in stored


def test_same_person_is_matched_across_desks(miyun: Harness) -> None:
    """The person key is the same whichever desk screens the person (re-entry is recognised at desk B)."""
    first = miyun.admit(ZHANG, BUILDER)
    again = miyun.gate.desk("B", "赵敏").arrive(miyun.arrival(ZHANG, BUILDER))
    assert again.reentry
    assert again.badge == first.badge


def test_memory_purge_scrubs_health_data_and_keeps_the_masked_attendance(miyun: Harness) -> None:
    """In memory too: 30 days on, the day's readings are gone, names masked, the admission and badge kept."""
    view = miyun.admit(ZHANG, BUILDER)
    screening = miyun.screening(view)
    assert any(r.sensitive for r in screening.records)
    report = miyun.gate.purge(today=DAY + dt.timedelta(days=30), dry_run=True)
    assert report.counts.screenings_scrubbed == 1
    assert screening.visitor.name == ZHANG.name
    report = miyun.gate.purge(today=DAY + dt.timedelta(days=30))
    assert (report.counts.screenings_scrubbed, report.counts.screenings_deleted) == (1, 0)
    screening = miyun.screening(view)
    assert not any(r.sensitive for r in screening.records)
    assert screening.visitor.name == ZHANG.name[0] + "*" * (len(ZHANG.name) - 1)
    assert len(miyun.store.admissions) == len(miyun.store.badges) == 1
    assert miyun.audit()[-1].kind == "purge"
    assert miyun.gate.verify_audit().ok
    later = miyun.gate.purge(today=DAY + dt.timedelta(days=3 * 365 + 1))
    assert (later.counts.screenings_deleted, later.counts.admissions_deleted, later.counts.badges_deleted) == (1, 1, 1)
    assert (miyun.store.screenings, miyun.store.admissions, miyun.store.badges) == ({}, {}, {})


def test_memory_commits_queue_audit_material_and_the_seal_chains_it(miyun: Harness) -> None:
    """Desk commits only queue the trail's material; verify_audit seals it into one verified chain."""
    miyun.admit(ZHANG, BUILDER)
    assert miyun.store.audit_log == []
    with miyun.uow() as uow:
        waiting = uow.audit.pending()
    assert waiting >= 9  # check-in, six steps, admit, badge issued
    report = miyun.gate.verify_audit()
    assert (report.ok, report.checked) == (True, waiting)
    with miyun.uow() as uow:
        assert uow.audit.pending() == 0


def test_one_unit_of_work_committing_twice_queues_each_commits_new_steps_once(miyun: Harness) -> None:
    """Steps committed by the same in-memory unit of work in two commits are each queued for the trail once."""
    view = miyun.desk.arrive(miyun.arrival(ZHANG, BUILDER))
    miyun.gate.verify_audit()  # seal what the arrival queued
    with InMemoryUnitOfWork(miyun.store) as uow:
        uow.actor = miyun.desk.actor
        screening = uow.screenings.get(view.id)
        assert screening is not None
        screening.bind(miyun.gate.machine)
        screening.mask(uow.actor, miyun.clock.now(), "ok")
        uow.commit()
        assert uow.audit.pending() == 1  # the check-in was sealed; the mask step waits
        miyun.gate.verify_audit()  # sealed between the two commits
        screening.confirm(uow.actor, miyun.clock.now())
        uow.commit()
        screening.unbind()
    report = miyun.gate.verify_audit()
    trail = [e for e in miyun.audit() if e.subject == view.id and e.kind == "step"]
    assert report.ok
    assert [e.payload["action"] for e in trail] == ["check_in", "mask:ok", "shoe_disinfection"]


def test_a_rolled_back_reading_is_not_counted(miyun: Harness) -> None:
    """A temperature recorded in a unit of work that is then rolled back leaves the count of readings as it was."""
    view = miyun.desk.arrive(miyun.arrival(ZHANG, BUILDER))
    while view.step != "temperature":
        view = miyun.pass_step(view)
    with InMemoryUnitOfWork(miyun.store) as uow:
        screening = uow.screenings.get(view.id)
        assert screening is not None
        screening.bind(miyun.gate.machine)
        screening.measure(miyun.desk.actor, miyun.clock.now(), 36.6)
        assert screening.readings == 1
        screening.unbind()
    assert miyun.screening(view).readings == 0
    assert miyun.desk.measure(view.id, 36.6).readings == 1


def test_a_failed_operation_leaves_nothing_behind(miyun: Harness) -> None:
    """An operation that raised before its commit leaves no row, no change to a loaded object and no event."""
    store = miyun.store
    view = miyun.admit(ZHANG, BUILDER)
    serial = view.badge
    assert serial is not None

    def interrupted() -> None:
        with store.unit_of_work() as uow:
            uow.agencies.add(Agency(code="AG02", name="北京正信招标代理有限公司", contact="李娜",
                                    phone="13811112222"))
            badge = uow.badges.get(serial)
            assert badge is not None
            badge.reprints += 1
            uow.badges.save(badge)
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        interrupted()
    assert "AG02" not in store.agencies
    assert store.badges[serial].reprints == 0
    with store.unit_of_work() as again:
        assert again.agencies.get("AG02") is None
        assert again.events == []


def test_changes_reach_the_store_only_when_committed(miyun: Harness) -> None:
    """What a unit of work changes stays its own until commit; another unit of work then sees it."""
    store = miyun.store
    serial = miyun.admit(ZHANG, BUILDER).badge
    assert serial is not None
    with store.unit_of_work() as uow:
        badge = uow.badges.get(serial)
        assert badge is not None
        badge.reprints = 2
        uow.badges.save(badge)
        assert store.badges[serial].reprints == 0
        uow.commit()
        assert store.badges[serial].reprints == 2
        badge.reprints = 3  # after the commit: the stored badge is not this object
        assert store.badges[serial].reprints == 2


def test_units_of_work_on_two_threads_take_turns(miyun: Harness) -> None:
    """A unit of work on another thread waits until the running one has left its block."""
    store = miyun.store
    order: list[str] = []
    entered = threading.Event()

    def other() -> None:
        entered.wait()
        with store.unit_of_work():
            order.append("other")

    worker = threading.Thread(target=other)
    worker.start()
    with store.unit_of_work():
        entered.set()
        worker.join(timeout=0.2)  # it cannot get in meanwhile
        order.append("first")
    worker.join()
    assert order == ["first", "other"]


def test_every_view_a_desk_returns_holds_what_the_desk_shows(miyun: Harness) -> None:
    """Every view holds the screening's state, step, outcome and detail as the desk shows them, and is frozen."""
    first = miyun.desk.arrive(miyun.arrival(ZHANG, BUILDER))
    views = [first]
    while not views[-1].closed:
        views.append(miyun.pass_step(views[-1]))
    views.append(miyun.desk.arrive(miyun.arrival(LI, BUILDER)))  # refused: company_quota, with a detail
    views.append(miyun.desk.view(first.id))
    assert views[-2].reason == "company_quota"
    assert views[-2].detail
    screening = miyun.store.screenings[first.id]
    last = views[-1]
    assert (last.id, last.state, last.badge, last.readings) == (first.id, "admitted", screening.badge, 1)
    assert (last.session, last.role, last.name_masked) == (SESSION, "bidder", "张*")
    assert (last.step, last.step_label, last.expected, last.outcome, last.reason) == (None, None, (), "admitted",
                                                                                       None)
    assert views[0].step == miyun.policy.steps[0].id
    assert views[0].step_label == miyun.policy.steps[0].label
    assert views[0].message == f"请进行：{miyun.policy.steps[0].label}"
    for view in views:
        assert type(view.reentry) is bool
        assert type(view.services) is tuple
        assert isinstance(view.detail, dict)
        assert view == ScreeningView(**attrs.asdict(view, recurse=False))
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            view.state = "admitted"  # type: ignore[misc]
