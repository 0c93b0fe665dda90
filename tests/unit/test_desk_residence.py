"""The terminal desk's residence question after a refusal the policy tells the community about."""

from __future__ import annotations

import attrs
from gatekit import COMPANIES, PEOPLE, Harness

from tenderguard.desk.residence import ask_residence
from tenderguard.errors import TenderGuardError
from tenderguard.policy import RefusalNotices, load_policy
from tenderguard.services import Desk, Gate, ScreeningView


class _Session:
    """A desk session whose operator types the given answers; what it says is kept."""

    def __init__(self, h: Harness, answers: list[str]) -> None:
        self.gate: Gate = h.gate
        self.desk: Desk = h.desk
        self.term = self
        self.answers = answers
        self.said: list[tuple[str, str]] = []

    def say(self, text: str, style: str = "") -> None:
        """Keep what the desk shows."""
        self.said.append((text, style))

    def _ask_raw(self, prompt: str) -> str:
        return self.answers.pop(0)

    def _problem(self, exc: TenderGuardError) -> str:
        return exc.message


def _refused(h: Harness) -> ScreeningView:
    """A bidder refused for fever after the re-measures."""
    view = h.run(h.desk.arrive(h.arrival(PEOPLE[0], COMPANIES[0])), until="temperature")
    while not view.closed:
        view = h.desk.measure(view.id, 38.6)
        h.clock.advance(minutes=30)
    return view


def test_a_refused_answer_is_asked_again_then_the_residence_is_kept() -> None:
    """A control character is refused and asked again; the next answer is stored on the screening."""
    h = Harness(attrs.evolve(load_policy("miyun-2020"), notices=RefusalNotices(notify_community=True)))
    view = _refused(h)
    assert view.asks_residence
    session = _Session(h, ["鼓楼\x07街道", "鼓楼街道沿湖社区"])
    ask_residence(session, view)  # type: ignore[arg-type]
    assert [style for _text, style in session.said] == ["bad", "ok"]
    assert h.screening(view).residence == "鼓楼街道沿湖社区"


def test_enter_skips_the_question_and_stores_nothing() -> None:
    """An empty answer leaves the residence unknown (the letters command will say so)."""
    h = Harness(attrs.evolve(load_policy("miyun-2020"), notices=RefusalNotices(notify_community=True)))
    view = _refused(h)
    session = _Session(h, [""])
    ask_residence(session, view)  # type: ignore[arg-type]
    assert h.screening(view).residence is None
    assert "residence" not in [e.kind for e in h.audit()]
