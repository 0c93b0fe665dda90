"""Properties of the one-person rules: whatever people do, a company never has two bidders inside on one badge each.

Hypothesis plays sequences of arrivals (a person, a company, a session, sometimes a mistyped name), exits and
re-entries at the desk, under both choices of ``[signals] same_person_other_session``.
"""

from __future__ import annotations

from collections import Counter

from gatekit import COMPANIES, PEOPLE, SESSION, SESSION_PM, Harness
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenderguard.domain.model import AdmissionStatus, BadgeStatus
from tenderguard.policy import parse_policy

_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["arrive", "arrive", "arrive", "exit", "mistype"]),
        st.integers(min_value=0, max_value=3),  # person
        st.integers(min_value=0, max_value=2),  # company
        st.sampled_from([SESSION, SESSION_PM]),
    ),
    max_size=25,
)


def _policy(other_session: str) -> object:
    return parse_policy({"name": "reg", "title": "登记", "steps": [{"id": "r", "kind": "confirm", "label": "登记"}],
                         "reentry": {"allowed": True, "steps": ["r"]},
                         "signals": {"same_person_other_session": other_session}})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=_STEPS, other_session=st.sampled_from(["flag", "refuse"]))
def test_no_sequence_admits_two_bidders_of_a_company_or_a_person_on_another_companys_badge(
        steps: list[tuple[str, int, int, str]], other_session: str) -> None:
    """After any sequence: at most one active bidder per company, badges only for their own company's people."""
    h = Harness(_policy(other_session))  # type: ignore[arg-type]
    for action, p, c, session in steps:
        person, company = PEOPLE[p], COMPANIES[c]
        if action == "exit":
            inside = [a for a in h.store.admissions.values() if a.inside and a.status is AdmissionStatus.ACTIVE]
            if inside:
                h.desk.record_exit(inside[p % len(inside)].badge)
            continue
        name = "王小明" if action == "mistype" else None
        view = h.desk.arrive(h.arrival(person, company, session=session, name=name))
        h.run(view)
        active = [a for a in h.store.admissions.values() if a.status is AdmissionStatus.ACTIVE]
        per_company = Counter(a.organisation for a in active)
        assert max(per_company.values(), default=0) <= 1
        for s in h.store.screenings.values():
            if s.badge is None or str(s.outcome) != "admitted":
                continue
            badge = h.store.badges[s.badge]
            assert badge.credit_code == s.visitor.credit_code  # nobody on another company's badge
            assert badge.person_key == s.person_key
            assert badge.status is BadgeStatus.ACTIVE or s.id not in {a.screening_id for a in active}
        by_session: dict[tuple[str, str], set[str | None]] = {}
        for s in h.store.screenings.values():
            if str(s.outcome) == "admitted":
                by_session.setdefault((s.person_key, s.visitor.session), set()).add(s.visitor.credit_code)
        assert all(len(codes) == 1 for codes in by_session.values())  # one person, one bidder, per session
        if other_session == "refuse":
            by_day: dict[str, set[str | None]] = {}
            for s in h.store.screenings.values():
                if str(s.outcome) == "admitted":
                    by_day.setdefault(s.person_key, set()).add(s.visitor.credit_code)
            assert all(len(codes) == 1 for codes in by_day.values())
