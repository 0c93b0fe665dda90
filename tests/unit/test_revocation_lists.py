"""Revocation lists for offline scanners: numbered and dated inside the signature, never replaced by an older one."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gatekit import COMPANIES, DAY, PEOPLE, Harness

from tenderguard.domain.badge_code import (
    Revocations,
    RevocationWatermark,
    SeenLists,
    VerdictReason,
    _b64,
    describe_revocations,
    verify_code,
)
from tenderguard.domain.model import SHANGHAI
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import use_language

#: These tests read the English wording of the messages (the catalogue's msgids); test_i18n checks the Chinese.
pytestmark = pytest.mark.usefixtures("english_module")

KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key()
SIGNED = dt.datetime(2026, 11, 23, 9, 12, tzinfo=SHANGHAI)
LOST = "MY-20261123-0009"


def _list(sequence: int, *, revoked: dict[str, str] | None = None, at: dt.datetime = SIGNED) -> Revocations:
    return Revocations(centre="MY", day=DAY, sequence=sequence, signed_at=at, revoked=revoked or {},
                       reprints={"MY-20261123-0007": 1})


# --- the signed list ---------------------------------------------------------------------------------------


def test_sequence_and_signing_time_round_trip_inside_the_signature() -> None:
    """The list read back has its sequence and aware signing time; editing either breaks the signature."""
    listed = _list(7, revoked={LOST: "遗失"})
    text = listed.to_json(KEY)
    read = Revocations.from_json(text, PUBLIC)
    assert read == listed
    assert (read.sequence, read.signed_at, read.signed_at.utcoffset()) == (7, SIGNED, dt.timedelta(hours=8))
    body = json.loads(text)["list"]
    assert (body["sequence"], body["signed_at"]) == (7, "2026-11-23T09:12:00+08:00")
    for edited in (text.replace('"signed_at": "2026-11-23T09:12', '"signed_at": "2026-11-23T10:12'),
                   text.replace('"sequence": 7', '"sequence": 8')):
        assert edited != text
        with pytest.raises(InvalidInputError, match="not signed by this centre's key"):
            Revocations.from_json(edited, PUBLIC)


def test_a_list_without_sequence_or_signing_time_is_not_one_of_ours() -> None:
    """A list signed by the centre's key but lacking the sequence or the time is refused as not a list."""
    full = json.loads(_list(1).to_json(KEY))["list"]
    for missing in ("sequence", "signed_at"):
        body = {k: v for k, v in full.items() if k != missing}
        signed = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        text = json.dumps({"list": body, "signature": _b64(KEY.sign(signed))})
        with pytest.raises(InvalidInputError, match="not a TenderGuard revocation list"):
            Revocations.from_json(text, PUBLIC)


@pytest.mark.parametrize("changes", [{"sequence": -1}, {"sequence": True}, {"sequence": "7"},
                                     {"signed_at": dt.datetime(2026, 11, 23, 9, 12)}])  # noqa: DTZ001 - naive on purpose
def test_a_bad_sequence_or_a_naive_time_is_refused(changes: dict[str, object]) -> None:
    """A sequence must be a whole number ≥ 0 and the signing time must carry its offset."""
    values: dict[str, object] = {"centre": "MY", "day": DAY, "sequence": 1, "signed_at": SIGNED} | changes
    with pytest.raises(InvalidInputError):
        Revocations(**values)  # type: ignore[arg-type]


def test_the_digest_ignores_only_the_signing_time() -> None:
    """The same list issued twice has one digest; another sequence or other revocations give another."""
    assert _list(3).digest == _list(3, at=SIGNED + dt.timedelta(hours=1)).digest
    assert _list(3).digest != _list(4).digest
    assert _list(3).digest != _list(3, revoked={LOST: "遗失"}).digest


# --- what a scanner remembers ------------------------------------------------------------------------------


def test_an_older_list_is_refused_naming_both_sequences() -> None:
    """Once #7 is seen, #6 is refused (Chinese and English, both numbers); #8 is accepted and becomes the mark."""
    seen = SeenLists().admit(_list(7))
    with pytest.raises(InvalidInputError, match=r"the revocation list #6 is older than list #7 already seen here"):
        seen.admit(_list(6))
    newer = seen.admit(_list(8))
    assert newer.watermarks[("MY", DAY)].sequence == 8
    with pytest.raises(InvalidInputError, match="#7"):
        newer.admit(_list(7))


def test_the_same_sequence_with_other_contents_is_refused() -> None:
    """A list numbered like the one seen but saying something else is forged or replayed: refused."""
    seen = SeenLists().admit(_list(7, revoked={LOST: "遗失"}))
    with pytest.raises(InvalidInputError, match="forged or replayed"):
        seen.admit(_list(7))


def test_the_same_list_issued_again_is_accepted_and_keeps_the_later_time() -> None:
    """The same contents signed at another time are accepted either way round; the mark keeps the later time."""
    later = SIGNED + dt.timedelta(minutes=30)
    seen = SeenLists().admit(_list(7, at=later))
    assert seen.admit(_list(7)) == seen
    assert SeenLists().admit(_list(7)).admit(_list(7, at=later)) == seen
    assert seen.watermarks[("MY", DAY)] == RevocationWatermark.of(_list(7, at=later))


def test_each_centre_and_day_has_its_own_mark_and_old_days_are_dropped() -> None:
    """Another centre's or another day's list is not compared; marks over a week older than the list are dropped."""
    other_centre = Revocations(centre="BJ", day=DAY, sequence=1, signed_at=SIGNED)
    next_day = Revocations(centre="MY", day=DAY + dt.timedelta(days=1), sequence=0, signed_at=SIGNED)
    seen = SeenLists().admit(_list(7)).admit(other_centre).admit(next_day)
    assert set(seen.watermarks) == {("MY", DAY), ("BJ", DAY), ("MY", next_day.day)}
    much_later = Revocations(centre="MY", day=DAY + dt.timedelta(days=8), sequence=0, signed_at=SIGNED)
    assert set(seen.admit(much_later).watermarks) == {("MY", next_day.day), ("MY", much_later.day)}


def test_the_state_round_trips_and_a_bad_file_is_refused() -> None:
    """What a scanner writes it reads back unchanged; text that is not such a file is a clear error."""
    seen = SeenLists().admit(_list(7)).admit(Revocations(centre="BJ", day=DAY, sequence=2, signed_at=SIGNED))
    assert SeenLists.from_json(seen.to_json()) == seen
    for text in ("", "[]", '{"seen_revocation_lists": [{"centre": "MY"}]}',
                 seen.to_json().replace('"sequence": 7', '"sequence": -7')):
        with pytest.raises(InvalidInputError, match="seen_lists"):
            SeenLists.from_json(text)


# --- how old the list is -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("now", "zh", "en"), [
    (SIGNED + dt.timedelta(minutes=23, seconds=40), "签发于09:12，已过23分钟", "signed 09:12, 23 min ago"),
    (SIGNED + dt.timedelta(seconds=20), "签发于09:12，不到1分钟", "signed 09:12, less than a minute ago"),
    (SIGNED + dt.timedelta(hours=2, minutes=5), "已过2小时5分钟", "2 h 5 min ago"),
    (SIGNED - dt.timedelta(minutes=3), "比本机时钟快3分钟", "3 min ahead of this clock"),
    (SIGNED + dt.timedelta(days=1), "签发于2026年11月23日 09:12，已过24小时0分钟", "signed 2026-11-23 09:12"),
])
def test_the_list_says_how_old_it_is(now: dt.datetime, zh: str, en: str) -> None:
    """One line names the list's number, its signing time in the scanner's zone and its age, in each language."""
    line = _list(7).freshness(now)
    assert line.startswith("revocation list #7 signed ")
    assert en in line
    with use_language("zh_CN"):
        chinese = _list(7).freshness(now)
    assert chinese.startswith("吊销名单#7签发于")
    assert zh in chinese


def test_the_age_as_data() -> None:
    """The JSON fields: sequence, signing time with offset, age in whole seconds; None without a list."""
    facts = describe_revocations(_list(7), SIGNED.astimezone(dt.UTC) + dt.timedelta(minutes=23))
    assert facts == {"revocations_sequence": 7, "revocations_signed_at": "2026-11-23T09:12:00+08:00",
                     "revocations_age_seconds": 23 * 60}
    assert set(describe_revocations(None, SIGNED).values()) == {None}


# --- the centre's lists ------------------------------------------------------------------------------------


def test_the_sequence_grows_with_each_revocation_and_reprint(miyun: Harness) -> None:
    """Each reprint and revocation of the day adds one; nothing else changes it; the time is the clock's."""
    first = miyun.admit(PEOPLE[0], COMPANIES[0]).badge
    second = miyun.admit(PEOPLE[1], COMPANIES[1]).badge
    assert first is not None
    assert second is not None
    sequences = [miyun.gate.revocations(DAY).sequence]
    miyun.gate.reprint_badge(first, reason="遗失", operator="王芳")
    sequences.append(miyun.gate.revocations(DAY).sequence)
    miyun.gate.reprint_badge(first, reason="污损", operator="王芳")
    sequences.append(miyun.gate.revocations(DAY).sequence)
    miyun.gate.revoke_badge(second, reason="认错人", operator="王芳")
    sequences.append(miyun.gate.revocations(DAY).sequence)
    miyun.gate.revoke_badge(first, reason="遗失", operator="王芳")
    sequences.append(miyun.gate.revocations(DAY).sequence)
    assert sequences == [0, 1, 2, 3, 4]
    again = miyun.clock.advance(minutes=5)
    listed = miyun.gate.revocations()
    assert (listed.sequence, listed.signed_at, listed.signed_at.tzinfo) == (4, again, miyun.centre.tz)
    assert listed.digest == miyun.gate.revocations(DAY).digest  # the same list issued again says the same


def test_an_older_list_cannot_make_a_since_revoked_badge_valid_again(miyun: Harness) -> None:
    """A badge revoked after list #N was signed is valid against #N, but after #N+1 a scanner refuses #N."""
    view = miyun.admit(PEOPLE[0], COMPANIES[0])
    assert view.badge is not None
    code = miyun.gate.badge_code(miyun.gate.badge(view.badge), KEY)
    older = Revocations.from_json(miyun.gate.revocations().to_json(KEY), PUBLIC)
    miyun.clock.advance(minutes=20)
    miyun.gate.revoke_badge(view.badge, reason="认错人", operator="王芳")
    newer = Revocations.from_json(miyun.gate.revocations().to_json(KEY), PUBLIC)
    assert newer.sequence == older.sequence + 1

    scanner = SeenLists().admit(older)
    assert verify_code(code, PUBLIC, centre="MY", today=DAY, revocations=older).valid  # it cannot know yet
    scanner = scanner.admit(newer)
    assert verify_code(code, PUBLIC, centre="MY", today=DAY, revocations=newer).reason is VerdictReason.REVOKED
    with pytest.raises(InvalidInputError, match=f"#{older.sequence} .*#{newer.sequence}"):
        scanner.admit(older)

