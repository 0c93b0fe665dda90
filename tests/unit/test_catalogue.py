"""The one catalogue of reason codes and role names, and that everything showing them reads it."""

from __future__ import annotations

import pytest

from tenderguard.domain.catalogue import REASONS, ROLES, reason_label, reason_tell, role_label
from tenderguard.domain.model import Reason
from tenderguard.policy import Role
from tenderguard.records.retention import PURGED_REASON


@pytest.mark.parametrize("code", [*Reason, PURGED_REASON])
def test_every_reason_code_has_a_label_a_message_and_english(code: str) -> None:
    """Each built-in code (and the purged one) is named in Chinese and English and tells the person something."""
    entry = REASONS[code]
    assert entry.label
    assert entry.tell
    assert entry.english
    assert entry.label != code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in entry.label + entry.tell)
    assert entry.english.isascii()
    assert reason_label(code) == entry.label
    assert reason_label(code, "en") == entry.english
    assert reason_tell(code) == entry.tell


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_a_chinese_and_an_english_name(role: Role) -> None:
    """Badges, notices and the desk name each role from the catalogue."""
    chinese, english = ROLES[role]
    assert role_label(role) == chinese
    assert role_label(str(role), "en") == english
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese)


def test_a_code_the_catalogue_does_not_know_shows_as_itself() -> None:
    """A policy question's own reason code is shown as the code; an empty one as nothing."""
    assert reason_label("travel_history") == "travel_history"
    assert reason_tell("travel_history") == "travel_history"
    assert reason_tell("travel_history", "请到独立等候区") == "请到独立等候区"
    assert reason_label(None) == reason_tell(None) == ""
    assert role_label("visitor") == "visitor"


def test_labels_are_distinct() -> None:
    """No two codes share a label: a report's rows could not be told apart."""
    labels = [e.label for e in REASONS.values()]
    english = [e.english for e in REASONS.values()]
    assert len(set(labels)) == len(labels)
    assert len(set(english)) == len(english)
