"""Badge codes and the badge use cases: signing, offline verification, revocation, reprints, day colours."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gatekit import COMPANIES, DAY, MORNING, PEOPLE, Harness
from hypothesis import given
from hypothesis import strategies as st

from tenderguard.domain.badge_code import (
    BadgeClaim,
    Revocations,
    VerdictReason,
    _b64,
    _unb64,
    sign_claim,
    verify_code,
)
from tenderguard.domain.events import BadgeReprinted, BadgeRevoked
from tenderguard.domain.model import Badge
from tenderguard.errors import InvalidInputError, OverrideError, PolicyError
from tenderguard.policy import BadgeStyle

#: These tests read the English wording of the messages (the catalogue's msgids); test_i18n checks the Chinese.
pytestmark = pytest.mark.usefixtures("english_module")

KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key()
CLAIM = BadgeClaim(centre="MY", serial="MY-20261123-0007", day=DAY)


def _verify(code: str, **kwargs: object) -> VerdictReason:
    options: dict[str, object] = {"centre": "MY", "today": DAY} | kwargs
    return verify_code(code, PUBLIC, **options).reason  # type: ignore[arg-type]


def test_a_signed_code_verifies_and_carries_no_personal_data() -> None:
    """The code of a claim is valid today at its centre and holds only centre, serial, day and print."""
    code = sign_claim(CLAIM, KEY)
    verdict = verify_code(code, PUBLIC, centre="MY", today=DAY)
    assert verdict.valid
    assert verdict.claim == CLAIM
    assert _unb64(code.split(".")[1]) == b"MY|MY-20261123-0007|20261123|0"
    assert len(code) < 160


def test_an_edited_claim_is_altered() -> None:
    """Changing the serial inside the code (keeping the rest) is reported as altered."""
    prefix, _body, check, sig = sign_claim(CLAIM, KEY).split(".")
    edited = _b64(b"MY|MY-20261123-0008|20261123|0")
    assert _verify(f"{prefix}.{edited}.{check}.{sig}") is VerdictReason.ALTERED


def test_an_edited_claim_with_a_fixed_check_has_a_bad_signature() -> None:
    """Recomputing the unsigned check does not help: the signature no longer verifies."""
    other = sign_claim(BadgeClaim(centre="MY", serial="MY-20261123-0008", day=DAY), KEY)
    prefix, body, check, _sig = other.split(".")
    real_sig = sign_claim(CLAIM, KEY).split(".")[3]
    assert _verify(f"{prefix}.{body}.{check}.{real_sig}") is VerdictReason.BAD_SIGNATURE


def test_a_code_signed_with_another_key_is_refused() -> None:
    """A forger's key (or another centre's) gives bad_signature."""
    assert _verify(sign_claim(CLAIM, Ed25519PrivateKey.generate())) is VerdictReason.BAD_SIGNATURE


def test_wrong_centre_and_yesterdays_badge_are_refused() -> None:
    """A valid signature is not enough: the centre and the day must be this scanner's."""
    code = sign_claim(CLAIM, KEY)
    assert _verify(code, centre="BJ") is VerdictReason.WRONG_CENTRE
    assert _verify(code, today=DAY + dt.timedelta(days=1)) is VerdictReason.WRONG_DAY


def test_revoked_and_superseded_prints_are_refused_with_the_list() -> None:
    """A revoked serial and an earlier print of a reprinted badge fail; the latest print passes."""
    revocations = Revocations(centre="MY", day=DAY, sequence=2, signed_at=MORNING,
                              revoked={"MY-20261123-0009": "遗失"}, reprints={"MY-20261123-0007": 1})
    assert _verify(sign_claim(CLAIM, KEY), revocations=revocations) is VerdictReason.SUPERSEDED
    reprinted = BadgeClaim(centre="MY", serial="MY-20261123-0007", day=DAY, reprint=1)
    assert _verify(sign_claim(reprinted, KEY), revocations=revocations) is VerdictReason.VALID
    lost = BadgeClaim(centre="MY", serial="MY-20261123-0009", day=DAY)
    assert _verify(sign_claim(lost, KEY), revocations=revocations) is VerdictReason.REVOKED


@pytest.mark.parametrize("code", ["", "hello", "TG1...", "TG1.a.b.c.d", "TG2." + "A" * 20 + ".AA.AA",
                                  "TG1.@@@.AA.AA", "x" * 5000, "TG1.TUl8fHx8.AAAAAAAA.AAAA"])
def test_garbage_is_malformed_never_an_exception(code: str) -> None:
    """Codes that are not ours are malformed (or altered when the check fails), never a crash."""
    assert _verify(code) in (VerdictReason.MALFORMED, VerdictReason.ALTERED)


@given(st.text(max_size=300))
def test_any_text_gets_a_verdict(code: str) -> None:
    """Fuzz: whatever is scanned, the verifier answers with a reason and valid only for our signed codes."""
    verdict = verify_code(code, PUBLIC, centre="MY", today=DAY)
    assert not verdict.valid


def test_the_signed_revocation_list_round_trips_and_refuses_tampering() -> None:
    """The list for offline scanners verifies with the public key; an edited list is refused."""
    revocations = Revocations(centre="MY", day=DAY, sequence=3, signed_at=MORNING,
                              revoked={"MY-20261123-0009": "遗失"}, reprints={"MY-20261123-0007": 2})
    text = revocations.to_json(KEY)
    assert Revocations.from_json(text, PUBLIC) == revocations
    with pytest.raises(InvalidInputError, match="not signed"):
        Revocations.from_json(text.replace("0009", "0010"), PUBLIC)
    with pytest.raises(InvalidInputError, match="not a TenderGuard revocation list"):
        Revocations.from_json("[]", PUBLIC)


def test_claims_are_validated() -> None:
    """A serial or centre that would break the code's format is refused."""
    with pytest.raises(InvalidInputError):
        BadgeClaim(centre="M|Y", serial="MY-20261123-0007", day=DAY)
    with pytest.raises(InvalidInputError):
        BadgeClaim(centre="MY", serial="not a serial", day=DAY)


# --- day colours -------------------------------------------------------------------------------------------


def test_consecutive_days_have_different_colours() -> None:
    """With the default palette no two consecutive days of a year share a colour."""
    style = BadgeStyle()
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(366)]
    assert all(style.colour_of(a) != style.colour_of(b) for a, b in itertools.pairwise(days))


def test_a_bad_palette_is_a_policy_error() -> None:
    """One colour, a non-colour and a repeated colour are each reported by key."""
    with pytest.raises(PolicyError) as info:
        BadgeStyle(palette=("#d32f2f",))
    assert "palette" in dict(info.value.problems)
    with pytest.raises(PolicyError) as info:
        BadgeStyle(palette=("#d32f2f", "red", "#D32F2F"))
    problems = dict(info.value.problems)
    assert "palette[1]" in problems
    assert problems["palette"] == "has the same colour twice"


# --- the use cases -----------------------------------------------------------------------------------------


def test_revoking_a_badge_frees_the_place_and_fails_verification(miyun: Harness) -> None:
    """A revoked badge no longer verifies, its holder is no longer inside, the company may send someone."""
    view = miyun.admit(PEOPLE[0], COMPANIES[0])
    assert view.badge is not None
    code = miyun.gate.badge_code(miyun.gate.badge(view.badge), KEY)
    assert miyun.gate.verify_badge(code, PUBLIC).valid
    miyun.gate.revoke_badge(view.badge, reason="认错人", operator="王芳")
    assert miyun.gate.verify_badge(code, PUBLIC).reason is VerdictReason.REVOKED
    assert miyun.published_of(BadgeRevoked)[-1].reason == "认错人"
    assert miyun.admit(PEOPLE[1], COMPANIES[0]).outcome == "admitted"
    with pytest.raises(OverrideError, match="already revoked"):
        miyun.gate.revoke_badge(view.badge, reason="again", operator="王芳")


def test_a_reprint_supersedes_the_earlier_print(miyun: Harness) -> None:
    """A reprint keeps the serial, bumps the print number, makes the old code invalid, and is audited."""
    view = miyun.admit()
    assert view.badge is not None
    old = miyun.gate.badge_code(miyun.gate.badge(view.badge), KEY)
    badge = miyun.gate.reprint_badge(view.badge, reason="遗失", operator="王芳")
    assert (badge.serial, badge.reprints) == (view.badge, 1)
    new = miyun.gate.badge_code(badge, KEY)
    assert miyun.gate.verify_badge(old, PUBLIC).reason is VerdictReason.SUPERSEDED
    assert miyun.gate.verify_badge(new, PUBLIC).valid
    assert miyun.published_of(BadgeReprinted)[-1].reprint == 1
    [entry] = [e for e in miyun.audit() if e.kind == "badge_reprinted"]
    assert (entry.subject, entry.operator, entry.payload["reason"]) == (view.badge, "王芳", "遗失")


def test_badge_changes_need_a_reason_and_an_operator(miyun: Harness) -> None:
    """An empty reason or operator is refused before anything changes."""
    view = miyun.admit()
    assert view.badge is not None
    with pytest.raises(OverrideError):
        miyun.gate.reprint_badge(view.badge, reason=" ", operator="王芳")
    with pytest.raises(InvalidInputError):
        miyun.gate.revoke_badge(view.badge, reason="遗失", operator="")
    assert miyun.gate.badge(view.badge).reprints == 0


def test_an_unknown_serial_with_a_valid_signature_is_refused_online(miyun: Harness) -> None:
    """A code signed with the centre's key but naming a serial the centre never issued is refused."""
    code = sign_claim(BadgeClaim(centre=miyun.centre.code, serial=f"{miyun.centre.code}-20261123-0999", day=DAY), KEY)
    assert miyun.gate.verify_badge(code, PUBLIC).reason is VerdictReason.REVOKED


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)), st.integers(1, 99999))
def test_serial_reads_centre_date_and_sequence(day: dt.date, sequence: int) -> None:
    """A serial is the centre code, the date as YYYYMMDD and the sequence padded to four digits."""
    serial = Badge.make_serial("MY", day, sequence)
    assert serial == f"MY-{day.strftime('%Y%m%d')}-{sequence:04d}"
    centre, date_part, number = serial.split("-")
    assert (centre, dt.date.fromisoformat(date_part), int(number)) == ("MY", day, sequence)
