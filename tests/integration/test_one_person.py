"""One person, one company: re-entry identity, one person for two bidders, signals and the supervisor's override.

Every test runs on the in-memory store, SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from gatekit import COMPANIES, DAY, PEOPLE, SESSION, SESSION_PM, HarnessFactory, tiny_policy

from tenderguard.domain.events import OverrideApplied, SignalDecided, SignalRaised
from tenderguard.domain.model import SHANGHAI, BidSession
from tenderguard.errors import InvalidInputError, NotFoundError, OverrideError
from tenderguard.policy import Policy, load_preset, parse_policy

ZHANG, LI, LIU, CHEN = PEOPLE[:4]
BUILDER, BRIDGES, MUNICIPAL = COMPANIES[:3]


def _refuse_other_session() -> Policy:
    data = {"name": "strict", "title": "严格", "steps": [{"id": "registration", "kind": "confirm", "label": "登记"}],
            "signals": {"same_person_other_session": "refuse"}}
    return parse_policy(data)


# --- re-entry is the same person, for the same company, in the same role -----------------------------------


def test_person_of_one_bidder_arriving_for_another_in_another_session_gets_its_own_badge_and_a_signal(
        make: HarnessFactory) -> None:
    """甲's person arriving for 乙 (afternoon): no re-entry, 乙's own badge and quota, a signal."""
    h = make()
    first = h.admit(ZHANG, BUILDER)
    assert first.badge is not None
    h.desk.record_exit(first.badge)
    second = h.admit(ZHANG, BRIDGES, session=SESSION_PM)
    assert (second.outcome, second.reentry) == ("admitted", False)
    assert second.badge not in (None, first.badge)
    # 乙's place is now taken: its real representative is refused, 乙 never has two bidders inside.
    real = h.desk.arrive(h.arrival(LI, BRIDGES, session=SESSION_PM))
    assert (real.outcome, real.reason) == ("refused", "company_quota")
    signals = h.gate.signals()
    assert [s.kind for s in signals] == ["same_person_two_bidders"]
    assert set(signals[0].companies) == {BUILDER.credit_code, BRIDGES.credit_code}
    assert signals[0].session == SESSION_PM
    raised = h.published_of(SignalRaised)
    assert [e.signal_id for e in raised] == [signals[0].id]


def test_person_of_one_bidder_arriving_for_another_in_the_same_session_is_refused(make: HarnessFactory) -> None:
    """In one session the same person for two bidders is refused; the second company's place stays free."""
    h = make()
    first = h.admit(ZHANG, BUILDER)
    assert first.badge is not None
    h.desk.record_exit(first.badge)
    again = h.desk.arrive(h.arrival(ZHANG, BRIDGES))
    assert (again.outcome, again.reason) == ("refused", "represents_other_bidder")
    assert BUILDER.name not in str(again)
    assert BUILDER.credit_code not in str(again)
    assert "监督" in again.message
    assert h.admit(LI, BRIDGES).outcome == "admitted"  # 乙's real representative
    assert [s.kind for s in h.gate.signals()] == ["same_person_two_bidders"]


def test_person_still_being_screened_for_one_bidder_is_refused_for_another(make: HarnessFactory) -> None:
    """A person half-way through the steps for 甲 at one desk cannot start for 乙 at another."""
    h = make()
    h.desk.arrive(h.arrival(ZHANG, BUILDER))
    other = h.gate.desk("B", "李明").arrive(h.arrival(ZHANG, BRIDGES))
    assert other.reason == "represents_other_bidder"


def test_policy_can_refuse_the_same_person_in_another_session(make: HarnessFactory) -> None:
    """With ``same_person_other_session = "refuse"`` the afternoon arrival for another bidder is refused too."""
    h = make(_refuse_other_session())
    h.admit(ZHANG, BUILDER)
    later = h.desk.arrive(h.arrival(ZHANG, BRIDGES, session=SESSION_PM))
    assert (later.outcome, later.reason) == ("refused", "represents_other_bidder")
    assert later.detail == {"same_session": False}
    assert len(h.gate.signals()) == 1


def test_same_id_number_under_another_name_is_identity_mismatch(make: HarnessFactory) -> None:
    """An ID number typed by mistake (another admitted person's, another name) admits nobody on anyone's badge."""
    h = make()
    h.admit(ZHANG, BUILDER)
    wrong = h.desk.arrive(h.arrival(ZHANG, BUILDER, name="王小明"))
    assert (wrong.outcome, wrong.reason, wrong.badge) == ("refused", "identity_mismatch", None)
    assert "其他姓名" in wrong.message
    assert ZHANG.name not in str(wrong)
    assert "张*" not in str(wrong)
    wrong_company = h.desk.arrive(h.arrival(ZHANG, BRIDGES, name="王小明"))
    assert wrong_company.reason == "identity_mismatch"


def test_name_spelt_with_other_spacing_or_width_is_the_same_person(make: HarnessFactory) -> None:
    """Re-entry matches the name after normalisation (spaces, full-width letters, case)."""
    h = make("badge-only")
    first = h.admit(PEOPLE[0], BUILDER, name="Jose Muller")
    again = h.desk.arrive(h.arrival(PEOPLE[0], BUILDER, name="ＪＯＳＥ  muller"))
    assert (again.outcome, again.reentry, again.badge) == ("admitted", True, first.badge)


def test_same_person_in_another_role_is_not_a_reentry(make: HarnessFactory) -> None:
    """A person admitted as a bidder arriving as the agency's staff is screened as a new arrival in that role."""
    h = make("badge-only")
    first = h.admit(ZHANG, BUILDER)
    other = h.admit(ZHANG, MUNICIPAL, role="agency")
    assert (other.outcome, other.reentry) == ("admitted", False)
    assert other.badge != first.badge
    assert h.gate.signals() == []  # only two bidders make the signal


def test_genuine_reentry_keeps_its_badge(make: HarnessFactory) -> None:
    """Same person, same company, same role: a re-entry on the same badge with the re-entry steps only."""
    h = make()
    first = h.admit(ZHANG, BUILDER)
    assert first.badge is not None
    h.desk.record_exit(first.badge)
    again = h.admit(ZHANG, BUILDER)
    assert (again.outcome, again.reentry, again.badge) == ("admitted", True, first.badge)
    assert h.gate.signals() == []


def test_second_desk_sees_the_person_open_at_the_first(make: HarnessFactory) -> None:
    """One person at two desks for two bidders of one session, one after the other: the second is refused."""
    h = make(tiny_policy())
    desk_b = h.gate.desk("B", "李明")
    h.desk.arrive(h.arrival(ZHANG, BUILDER))
    h.clock.advance(seconds=1)
    # The second arrival already sees the first screening open: refused at once.
    assert desk_b.arrive(h.arrival(ZHANG, BRIDGES)).reason == "represents_other_bidder"


def test_desks_racing_one_person_for_two_companies_in_one_session_admit_at_most_one(make: HarnessFactory) -> None:
    """Two desks take one person for two bidders of one session at the same instant: never two admissions."""
    h = make("badge-only")
    desks = [h.desk, h.gate.desk("B", "李明")]
    companies = [BUILDER, BRIDGES]
    results: list[tuple[str | None, str | None]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def screen(i: int) -> None:
        try:
            barrier.wait()
            view = desks[i].arrive(h.arrival(ZHANG, companies[i]))
            done = h.run(view, desks[i])
            results.append((done.outcome, done.reason))
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=screen, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(results, key=str) == [("admitted", None), ("refused", "represents_other_bidder")]
    assert [s.kind for s in h.gate.signals()] == ["same_person_two_bidders"]


def test_threads_racing_one_person_for_two_companies(make: HarnessFactory) -> None:
    """Two threads finish the screenings of one person for two bidders at the same instant: one is admitted."""
    h = make("badge-only")
    desks = [h.desk, h.gate.desk("B", "李明")]
    # Opened one after the other before any check can see the other (different sessions' halls, same session).
    views = [h.desk.arrive(h.arrival(ZHANG, BUILDER, session=SESSION_PM))]
    results: list[str] = []
    barrier = threading.Barrier(2)

    def finish(i: int) -> None:
        barrier.wait()
        if i == 0:
            results.append(h.run(views[0], desks[0]).outcome or "")
        else:
            results.append(h.admit(ZHANG, BRIDGES, session=SESSION, desk=desks[1]).outcome or "")

    threads = [threading.Thread(target=finish, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # Different sessions: both are admitted (flag policy), and the supervisor is told once.
    assert sorted(results) == ["admitted", "admitted"]
    assert len(h.gate.signals()) == 1


# --- signals ----------------------------------------------------------------------------------------------


def test_shared_phone_of_two_bidders_in_one_session_is_a_signal(make: HarnessFactory) -> None:
    """Two bidders' representatives giving one mobile number in a session raise one signal (no refusal)."""
    h = make("badge-only")
    assert h.admit(ZHANG, BUILDER, phone="13800138000").outcome == "admitted"
    assert h.admit(LI, BRIDGES, phone="138-0013-8000").outcome == "admitted"
    assert h.admit(LIU, MUNICIPAL, phone="13800138000", session=SESSION_PM).outcome == "admitted"
    found = h.gate.signals()
    assert [s.kind for s in found] == ["shared_phone"]
    assert set(found[0].companies) == {BUILDER.credit_code, BRIDGES.credit_code}


def test_company_name_under_a_second_credit_code_is_a_signal_not_a_refusal(make: HarnessFactory) -> None:
    """A name first seen under one code arriving under another: screened (identity is the code), signalled once."""
    h = make("badge-only")
    h.admit(ZHANG, BUILDER)
    impostor = type(BUILDER)(BUILDER.name, BRIDGES.credit_code)
    assert h.admit(LI, impostor).outcome == "admitted"
    assert h.admit(LIU, impostor, session=SESSION_PM, role="tenderer").outcome == "admitted"
    found = h.gate.signals()
    assert [s.kind for s in found] == ["company_two_codes"]
    assert set(found[0].companies) == {BUILDER.credit_code, BRIDGES.credit_code}


def test_a_signal_is_raised_once_and_decided_once(make: HarnessFactory) -> None:
    """Trying again adds no second signal; the decision needs a reason, is audited and published, and is final."""
    h = make()
    h.admit(ZHANG, BUILDER)
    for _ in range(2):
        assert h.desk.arrive(h.arrival(ZHANG, BRIDGES)).reason == "represents_other_bidder"
    (signal,) = h.gate.signals()
    assert signal.open
    with pytest.raises(OverrideError):
        h.gate.decide_signal(signal.id, decision="refer", reason=" ", operator="李强")
    with pytest.raises(InvalidInputError):
        h.gate.decide_signal(signal.id, decision="ignore", reason="看过了", operator="李强")
    with pytest.raises(NotFoundError):
        h.gate.decide_signal("nope", decision="refer", reason="看过了", operator="李强")
    decided = h.gate.decide_signal(signal.id, decision="refer", reason="移交行政监督部门", operator="李强")
    assert (decided.status, decided.decided_by) == ("referred", "李强")
    (stored,) = h.gate.signals()
    assert (stored.status, stored.decision_reason, stored.decided_at) == ("referred", "移交行政监督部门",
                                                                          h.clock.now())
    with pytest.raises(OverrideError):
        h.gate.decide_signal(signal.id, decision="dismiss", reason="再看", operator="李强")
    kinds = [e.kind for e in h.audit()]
    assert kinds.count("signal_raised") == 1
    assert kinds.count("signal_decided") == 1
    assert [e.decision for e in h.published_of(SignalDecided)] == ["referred"]


def test_signal_details_are_masked_unless_the_supervisor_reads_them(make: HarnessFactory) -> None:
    """The listing masks names and credit codes; the full reading names who read it and is audited."""
    h = make()
    h.admit(ZHANG, BUILDER)
    h.desk.arrive(h.arrival(ZHANG, BRIDGES))
    (masked,) = h.gate.signal_details()
    assert masked.people == ("张*", "张*")
    assert all(BUILDER.name not in c and BUILDER.credit_code not in c for c in masked.companies)
    with pytest.raises(InvalidInputError):
        h.gate.signal_details(unmasked=True)
    (full,) = h.gate.signal_details(unmasked=True, operator="李强")
    assert full.people == (ZHANG.name, ZHANG.name)
    assert any(BUILDER.name in c for c in full.companies)
    reads = [e for e in h.audit() if e.kind == "signals_read"]
    assert [(e.operator, e.payload["signals"]) for e in reads] == [("李强", 1)]


# --- the supervisor's override ----------------------------------------------------------------------------


def test_supervisor_admits_past_a_full_hall(make: HarnessFactory) -> None:
    """A full hall is set aside by the supervisor's override (reason and name recorded); others still wait."""
    h = make(tiny_policy(default_hall_capacity=1))
    h.admit(ZHANG, BUILDER)
    assert h.desk.arrive(h.arrival(LI, BRIDGES)).reason == "hall_full"
    with pytest.raises(OverrideError):
        h.desk.supervisor_override(h.arrival(LI, BRIDGES), release="hall_full", reason="", supervisor="李强")
    view = h.desk.supervisor_override(h.arrival(LI, BRIDGES), release="hall_full", reason="开标在即,评标专家确认",
                                      supervisor="李强")
    done = h.run(view)
    assert done.outcome == "admitted"
    assert h.desk.arrive(h.arrival(LIU, MUNICIPAL)).reason == "hall_full"
    overrides = h.published_of(OverrideApplied)
    assert [(o.kind, o.operator) for o in overrides] == [("supervisor:hall_full", "李强")]
    assert any(e.kind == "override" and e.payload.get("reason") == "开标在即,评标专家确认" for e in h.audit())


def test_supervisor_releases_a_held_case(make: HarnessFactory) -> None:
    """The supervisor may release a represents_other_bidder refusal after looking into it; the signal stays."""
    h = make("badge-only")
    first = h.admit(ZHANG, BUILDER)
    assert first.badge is not None
    h.gate.revoke_badge(first.badge, reason="录入单位错误", operator="王芳")
    held = h.desk.arrive(h.arrival(ZHANG, BRIDGES))
    assert held.reason == "represents_other_bidder"
    released = h.run(h.desk.supervisor_override(h.arrival(ZHANG, BRIDGES), release="represents_other_bidder",
                                                reason="甲单位登记有误,已核实", supervisor="李强"))
    assert released.outcome == "admitted"
    assert len(h.gate.signals()) == 1


def test_supervisor_reverses_an_operator_mistake(make: HarnessFactory) -> None:
    """A refusal entered by mistake is reversed by re-screening the same person, naming the refused screening."""
    h = make()
    wrong = h.desk.mask(h.desk.arrive(h.arrival(ZHANG, BUILDER)).id, "refused")
    assert wrong.reason == "no_mask"
    with pytest.raises(OverrideError):
        h.desk.supervisor_override(h.arrival(ZHANG, BUILDER), release="refusal", reason="误点", supervisor="李强")
    with pytest.raises(OverrideError):  # another person's refusal
        h.desk.supervisor_override(h.arrival(LI, BRIDGES), release="refusal", reason="误点", supervisor="李强",
                                   reverses=wrong.id)
    redo = h.desk.supervisor_override(h.arrival(ZHANG, BUILDER), release="refusal", reason="操作员误点拒绝",
                                      supervisor="李强", reverses=wrong.id)
    assert h.run(redo).outcome == "admitted"
    with pytest.raises(InvalidInputError):
        h.desk.supervisor_override(h.arrival(LI, BRIDGES), release="everything", reason="x", supervisor="李强")


def test_policy_signals_table_is_checked() -> None:
    """An unknown ``same_person_other_session`` value is a policy error naming its key."""
    from tenderguard.errors import PolicyError  # noqa: PLC0415 - only this test needs it

    with pytest.raises(PolicyError) as info:
        parse_policy({"name": "x", "title": "x", "steps": [{"id": "r", "kind": "confirm", "label": "登记"}],
                      "signals": {"same_person_other_session": "maybe"}})
    assert "signals.same_person_other_session" in str(info.value)
    assert load_preset("miyun-2020").signals.same_person_other_session == "flag"


def test_session_of_the_day_registered_later_works(make: HarnessFactory) -> None:
    """A third session registered during the day is screened like the others (guards the harness)."""
    h = make("badge-only")
    h.gate.register_session(BidSession(code="MY-2026-130", project_name="道路养护", hall="第三开标室",
                                       opens_at=dt.datetime(2026, 11, 23, 16, 0, tzinfo=SHANGHAI)))
    assert h.admit(ZHANG, BUILDER, session="MY-2026-130").outcome == "admitted"
    assert SESSION != "MY-2026-130"


def test_daily_report_counts_signals_by_kind_and_decision(make: HarnessFactory, tmp_path: Path) -> None:
    """The daily report counts the day's signals by kind and decision (counts only), in the PDF and the CSV."""
    from tenderguard.reports.writers import render_report_html, write_report_csv  # noqa: PLC0415

    h = make("badge-only")
    h.admit(ZHANG, BUILDER, phone="13800138000")
    h.desk.arrive(h.arrival(ZHANG, BRIDGES))
    h.admit(LI, MUNICIPAL, phone="13800138000")
    found = {str(s.kind): s for s in h.gate.signals()}
    assert set(found) == {"same_person_two_bidders", "shared_phone"}
    h.gate.decide_signal(found["shared_phone"].id, decision="dismiss", reason="同一集团公司的前台电话",
                         operator="李强")
    report, problems = h.gate.daily_report(DAY)
    assert problems == []
    assert report.signals == {"same_person_two_bidders": {"open": 1}, "shared_phone": {"dismissed": 1}}
    html = render_report_html(report)
    assert "同一人代表两家投标单位" in html
    assert ZHANG.name not in html
    csv_text = write_report_csv(report, tmp_path / "day.csv").read_text(encoding="utf-8-sig")
    assert "signal:shared_phone:dismissed" in csv_text
    assert "监督信号：两家投标单位的代表登记了同一手机号码：已排除" in csv_text


def test_signals_go_with_the_attendance_records(make: HarnessFactory) -> None:
    """The attendance purge deletes the day's signals with its screenings; the health purge keeps them."""
    h = make()
    h.admit(ZHANG, BUILDER)
    h.desk.arrive(h.arrival(ZHANG, BRIDGES))
    assert len(h.gate.signals(DAY)) == 1
    h.clock.advance(days=h.policy.retention.health_data_days + 1)
    assert h.gate.purge().counts.signals_deleted == 0
    assert len(h.gate.signals(DAY)) == 1
    h.clock.advance(days=h.policy.retention.attendance_days)
    assert h.gate.purge().counts.signals_deleted == 1
    assert h.gate.signals(DAY) == []
