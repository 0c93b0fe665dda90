"""The one table of codes shown by name (reasons, roles, outcomes…), and that everything showing them reads it."""

from __future__ import annotations

import pytest

from tenderguard.domain.catalogue import (
    ANSWERS,
    CALL_OUTCOMES,
    OUTCOMES,
    REASONS,
    ROLES,
    SERVICES,
    reason_label,
    reason_tell,
    role_label,
)
from tenderguard.domain.model import Outcome, Reason
from tenderguard.domain.reminders import CallOutcome
from tenderguard.policy import Role
from tenderguard.records.retention import PURGED_REASON


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("code", [*Reason, PURGED_REASON])
def test_every_reason_code_has_a_label_and_a_message_in_both_languages(code: str) -> None:
    """Each built-in code (and the purged one) is named in Chinese and English and tells the person something."""
    entry = REASONS[code]
    assert entry.label.isascii()
    assert entry.tell.isascii()
    assert reason_label(code) != code
    assert _chinese(reason_label(code))
    assert _chinese(reason_tell(code))
    assert reason_label(code, "en") == entry.label
    assert reason_tell(code, lang="en") == entry.tell


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_a_chinese_and_an_english_name(role: Role) -> None:
    """Badges, notices and the desk name each role from the catalogue."""
    assert _chinese(role_label(role))
    assert role_label(str(role), "en") == ROLES[role]


def test_known_labels() -> None:
    """A few names as the centre's staff know them."""
    assert reason_label("fever") == "体温异常"
    assert reason_label("company_quota") == "一公司一人"
    assert role_label("bidder") == "投标人"
    assert role_label("agency", "en") == "agency"


def test_every_outcome_answer_service_and_call_outcome_has_a_name() -> None:
    """The tables cover every code of their enums (and the desk's answers)."""
    assert set(OUTCOMES) == {*map(str, Outcome), "open"}
    assert set(CALL_OUTCOMES) == set(map(str, CallOutcome))
    assert set(ANSWERS) == {"ok", "replaced", "refused", "complete", "missing", "mismatch", "green", "yellow", "red"}
    assert set(SERVICES) == {"separate_room", "proxy", "remote"}


def test_a_code_the_catalogue_does_not_know_shows_as_itself() -> None:
    """A policy question's own reason code is shown as the code; an empty one as nothing."""
    assert reason_label("travel_history") == "travel_history"
    assert reason_tell("travel_history") == "travel_history"
    assert reason_tell("travel_history", "请到独立等候区") == "请到独立等候区"
    assert reason_label(None) == reason_tell(None) == ""
    assert role_label("visitor") == "visitor"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_labels_are_distinct(lang: str) -> None:
    """No two codes share a label: a report's rows could not be told apart."""
    labels = [reason_label(code, lang) for code in REASONS]
    assert len(set(labels)) == len(labels)
