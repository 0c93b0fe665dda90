"""Unit tests of tenderguard.identity: documents, credit codes, phones, names, masking and matching keys."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import string
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from tenderguard.errors import InvalidInputError
from tenderguard.identity import (
    DocumentKind,
    IdentityDocument,
    clean_text,
    company_key,
    credit_code_check_char,
    mask_document_number,
    mask_name,
    mask_phone,
    normalise_company_name,
    normalise_mobile,
    parse_document,
    person_key,
    resident_id_check_digit,
    validate_credit_code,
    validate_person_name,
)

#: These tests read the English wording of the messages (the catalogue's msgids); test_i18n checks the Chinese.
pytestmark = pytest.mark.usefixtures("english_module")

TODAY = datetime.date(2025, 6, 1)
SECRET = b"0123456789abcdef0123456789abcdef"
MAINLAND = [
    f"{p}"
    for lo, hi in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65))
    for p in range(lo, hi + 1)
]
CC_CHARSET = "".join(c for c in string.digits + string.ascii_uppercase if c not in "IOZSV")


def id_check(first17: str) -> str:
    """Compute the GB 11643 check character independently: weights 2**(17-i) mod 11, check (12 - s) mod 11."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def make_id(region: str, birth: str, sequence: str = "123") -> str:
    """Build an 18-character number with a correct check character from its parts."""
    body = f"{region}{birth}{sequence}"
    return body + id_check(body)


def cc_check(first17: str) -> str:
    """Compute the GB 32100 check character independently: weights 3**i mod 31, check (31 - s%31) mod 31."""
    total = sum(CC_CHARSET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return CC_CHARSET[(31 - total % 31) % 31]


def raises_on(field: str) -> AbstractContextManager[pytest.ExceptionInfo[InvalidInputError]]:
    """Expect an InvalidInputError about ``field`` that carries a hint."""
    return pytest.raises(InvalidInputError, match=rf"^{field}: ")


# --- resident IDs -----------------------------------------------------------------------------------------


def test_gb11643_published_example_is_accepted() -> None:
    """GB 11643's own example 11010519491231002X parses as a resident ID born 1949-12-31."""
    doc = parse_document("11010519491231002X", today=TODAY)
    assert doc == IdentityDocument(
        DocumentKind.RESIDENT_ID, "11010519491231002X", datetime.date(1949, 12, 31)
    )
    assert id_check("11010519491231002") == "X"


def test_gb11643_1880_example_has_right_check_digit_but_is_refused_before_1900() -> None:
    """The standard's 440524188001010014 has a correct check digit, yet a birth before 1900 is refused."""
    assert resident_id_check_digit("44052418800101001") == "4" == id_check("44052418800101001")
    with pytest.raises(InvalidInputError, match="before 1900-01-01") as info:
        parse_document("440524188001010014", today=TODAY)
    assert info.value.field == "id_number"
    assert info.value.hint


@pytest.mark.parametrize(
    "first17",
    ["11010519491231002", "44052418800101001", "32010219900307123", "51012919851130245", "00000000000000000"],
)
def test_check_digit_matches_independent_implementation(first17: str) -> None:
    """resident_id_check_digit agrees with an independent MOD 11-2 computation."""
    assert resident_id_check_digit(first17) == id_check(first17)


@pytest.mark.parametrize(
    "bad", ["1234", "1101051949123100A", "１１０１０５１９４９１２３１００２", "110105194912310021"]
)
def test_check_digit_refuses_anything_but_17_ascii_digits(bad: str) -> None:
    """resident_id_check_digit refuses inputs that are not exactly 17 ASCII digits."""
    with raises_on("id_number"):
        resident_id_check_digit(bad)


@pytest.mark.parametrize(
    "spelling",
    [
        "11010519491231002x",
        " 110105 19491231 002X ",
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105\u300019491231\t002ｘ",
    ],
)
def test_resident_id_is_normalised(spelling: str) -> None:
    """Lower-case x, spaces, ideographic spaces and full-width forms normalise to the canonical number."""
    assert parse_document(spelling, today=TODAY).number == "11010519491231002X"


def test_wrong_check_digit_names_expected_digit() -> None:
    """A wrong check digit is refused and the message names the digit the first 17 require."""
    with pytest.raises(InvalidInputError, match="check digit is 3 but the first 17 digits require X") as info:
        parse_document("110105194912310023", today=TODAY)
    assert info.value.hint


def test_february_30_is_refused() -> None:
    """A birth date of 30 February is not a calendar date."""
    with pytest.raises(InvalidInputError, match="not a calendar date"):
        parse_document(make_id("110105", "19900230"), today=TODAY)


def test_future_birth_date_is_refused() -> None:
    """A birth date after ``today`` is refused; on that day itself it is accepted."""
    number = make_id("310101", "20250602")
    with pytest.raises(InvalidInputError, match="after today"):
        parse_document(number, today=TODAY)
    assert parse_document(number, today=datetime.date(2025, 6, 2)).birth_date == datetime.date(2025, 6, 2)


def test_default_today_refuses_next_year() -> None:
    """Without ``today`` the current date is used, so a birth date next year is refused."""
    next_year = datetime.date.today().year + 1  # noqa: DTZ011 - the module uses the local date too
    with pytest.raises(InvalidInputError, match="after today"):
        parse_document(make_id("110105", f"{next_year}0101"))


@pytest.mark.parametrize("region", ["000000", "160000", "990000", "810101", "840000"])
def test_unknown_province_or_region_is_refused(region: str) -> None:
    """Province codes outside the real list, and 81/82/83 not followed by 0000, are refused."""
    with pytest.raises(InvalidInputError, match="code"):
        parse_document(make_id(region, "19900101"), today=TODAY)


def test_foreigner_card_hint_for_province_9() -> None:
    """An 18-digit number starting with 9 is refused as a resident ID, with a hint to use kind 'other'."""
    number = make_id("931156", "19800101")
    with pytest.raises(InvalidInputError) as info:
        parse_document(number, today=TODAY)
    assert info.value.hint is not None
    assert "'other'" in info.value.hint
    assert parse_document(number, "other", today=TODAY).kind is DocumentKind.OTHER


def test_taiwan_71_accepted_as_resident_id() -> None:
    """Region 71 (Taiwan) is accepted on old resident IDs."""
    assert parse_document(make_id("710000", "19700101"), today=TODAY).kind is DocumentKind.RESIDENT_ID


@pytest.mark.parametrize("kind", [None, DocumentKind.RESIDENT_ID, "resident_id"])
def test_17_characters_are_refused(kind: DocumentKind | str | None) -> None:
    """A 17-digit number is refused (not silently taken for an 'other' document)."""
    with pytest.raises(InvalidInputError, match="18 characters, this one has 17"):
        parse_document("11010519491231002", kind, today=TODAY)


@pytest.mark.parametrize("kind", [None, DocumentKind.RESIDENT_ID])
def test_letter_in_the_middle_is_refused(kind: DocumentKind | None) -> None:
    """A letter among the digits is refused, naming its position."""
    with pytest.raises(InvalidInputError, match=r"character 7 .*'A'.*must be a digit"):
        parse_document("110105A9491231002X", kind, today=TODAY)


@pytest.mark.parametrize("kind", [None, DocumentKind.RESIDENT_ID])
def test_x_only_allowed_last(kind: DocumentKind | None) -> None:
    """The letter X is only allowed as the 18th character."""
    with pytest.raises(InvalidInputError, match="character 17"):
        parse_document("1101051949123100XX", kind, today=TODAY)


# --- HMT residence permits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["810000", "820000", "830000"])
def test_hmt_permit_detected(region: str) -> None:
    """18-digit numbers starting 810000/820000/830000 are detected as HMT residence permits."""
    number = make_id(region, "19881212", "45" + "6")
    doc = parse_document(number, today=TODAY)
    assert doc.kind is DocumentKind.HMT_RESIDENCE_PERMIT
    assert doc.birth_date == datetime.date(1988, 12, 12)


def test_hmt_permit_given_as_resident_id_returns_hmt_kind() -> None:
    """An HMT permit number declared as a resident ID is accepted but reported as an HMT permit."""
    number = make_id("820000", "20000229")
    assert (
        parse_document(number, DocumentKind.RESIDENT_ID, today=TODAY).kind
        is DocumentKind.HMT_RESIDENCE_PERMIT
    )


def test_mainland_id_given_as_hmt_returns_resident_kind() -> None:
    """A mainland number declared as an HMT permit is reported as a resident ID, so both match one person."""
    doc = parse_document("11010519491231002X", "hmt_residence_permit", today=TODAY)
    assert doc.kind is DocumentKind.RESIDENT_ID


def test_hmt_permit_wrong_check_digit_refused() -> None:
    """An HMT permit with a wrong check digit is refused like a resident ID."""
    number = make_id("810000", "19900101")
    wrong = number[:17] + ("1" if number[17] != "1" else "2")
    with pytest.raises(InvalidInputError, match="check digit"):
        parse_document(wrong, today=TODAY)


# --- passports and other documents --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["E12345678", "G12345678", "EA1234567", "e 1234 5678", "Ｅ１２３４５６７８"]
)
def test_passport_detected(number: str) -> None:
    """One or two letters followed by 7-9 digits are detected as a passport, after normalisation."""
    doc = parse_document(number, today=TODAY)
    assert doc.kind is DocumentKind.PASSPORT
    assert doc.birth_date is None
    assert doc.number.isascii()
    assert doc.number.isupper()


@pytest.mark.parametrize("number", ["H12345678", "M87654321", "ABC-123456", "12345678", "USA110079020001"])
def test_other_documents_detected(number: str) -> None:
    """Home-return permits, Taiwan compatriot permits and similar numbers are detected as 'other'."""
    assert parse_document(number, today=TODAY).kind is DocumentKind.OTHER


@pytest.mark.parametrize(
    ("number", "kind", "match"),
    [
        ("AB12", None, "5 to 20 characters"),
        ("E1234567@", None, r"character 9 .*U\+0040"),
        ("E-12345678", DocumentKind.PASSPORT, "character 2"),
        ("A" * 21, DocumentKind.OTHER, "5 to 20 characters"),
        ("   ", None, "empty"),
        ("E12345678", "driving_licence", "unknown document kind"),
    ],
)
def test_bad_documents_refused(number: str, kind: DocumentKind | str | None, match: str) -> None:
    """Too short/long numbers, punctuation and unknown kinds are refused with a hint."""
    with pytest.raises(InvalidInputError, match=match) as info:
        parse_document(number, kind, today=TODAY)
    assert info.value.hint


def test_unknown_kind_names_valid_kinds() -> None:
    """An unknown kind string is refused and the hint lists every valid kind."""
    with pytest.raises(InvalidInputError) as info:
        parse_document("E12345678", "id_card")
    assert info.value.field == "id_number.kind"
    assert all(k.value in (info.value.hint or "") for k in DocumentKind)


def test_resident_id_declared_other_keeps_resident_kind() -> None:
    """A valid resident ID declared as passport/other is still a resident ID (one person, one key)."""
    doc = parse_document("11010519491231002X", DocumentKind.OTHER, today=TODAY)
    assert doc.kind is DocumentKind.RESIDENT_ID


def test_non_string_number_refused() -> None:
    """A number given as an int (e.g. from JSON) is refused with InvalidInputError, not a TypeError."""
    with raises_on("id_number"):
        parse_document(11010519491231002, today=TODAY)  # type: ignore[arg-type]


def test_custom_field_name_is_reported() -> None:
    """The ``field`` argument is what the error names."""
    with raises_on(r"visitors\[3\]\.id"):
        parse_document("123", field="visitors[3].id")


def test_repr_masks_number() -> None:
    """The repr of an IdentityDocument never shows the full number."""
    doc = parse_document("11010519491231002X", today=TODAY)
    assert "19491231" not in repr(doc)
    assert "110105********002X" in repr(doc)


# --- credit codes -------------------------------------------------------------------------------------------


def test_published_credit_code_example_verifies() -> None:
    """The widely published example 91350100M000100Y43 verifies independently and validates."""
    assert cc_check("91350100M000100Y4") == "3"
    assert credit_code_check_char("91350100M000100Y4") == "3"
    assert validate_credit_code("91350100M000100Y43") == "91350100M000100Y43"


@pytest.mark.parametrize(
    "body", ["91110000100000000", "12100000400000000", "51320100MJ5522783", "Y1440300ABCDEFGHJ"]
)
def test_generated_credit_codes_validate(body: str) -> None:
    """Bodies completed with an independently computed check character validate."""
    code = body + cc_check(body)
    assert credit_code_check_char(body) == code[-1]
    assert validate_credit_code(code) == code


def test_credit_code_is_normalised() -> None:
    """Lower case, spaces and full-width characters normalise to the canonical code."""
    assert validate_credit_code(" 9135 0100 m000 100y43 ") == "91350100M000100Y43"
    assert validate_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_credit_code_with_forbidden_letter_refused(letter: str) -> None:
    """The letters I, O, Z, S, V never occur in a credit code; the error names the character and position."""
    code = f"91350100M000100{letter}43"
    with pytest.raises(InvalidInputError, match=f"character 16 is '{letter}'") as info:
        validate_credit_code(code)
    assert info.value.field == "credit_code"


def test_credit_code_wrong_check_char_names_expected() -> None:
    """A wrong check character is refused and the expected one is named."""
    with pytest.raises(InvalidInputError, match="check character is 4 but the first 17 characters require 3"):
        validate_credit_code("91350100M000100Y44")


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433", ""])
def test_credit_code_wrong_length_refused(code: str) -> None:
    """Codes that are not 18 characters are refused, with the length said."""
    with pytest.raises(InvalidInputError, match=f"this one has {len(code)}"):
        validate_credit_code(code, field="agency.credit_code")


def test_credit_code_non_digit_region_refused() -> None:
    """Characters 3-8 (the region code) must be digits."""
    body = "9135A100M000100Y4"
    with pytest.raises(InvalidInputError, match="character 5 is 'A'; characters 3-8"):
        validate_credit_code(body + cc_check(body))


def test_credit_code_check_char_refuses_bad_body() -> None:
    """credit_code_check_char refuses a body of the wrong length or with forbidden characters."""
    with raises_on("credit_code"):
        credit_code_check_char("91350100M000100O4")
    with raises_on("credit_code"):
        credit_code_check_char("9135")


# --- phones -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "138 1234 5678",
        "+86 138-1234-5678",
        "0086 13812345678",
        "１３８１２３４５６７８",
        "+8613812345678",
    ],
)
def test_mobile_forms_accepted(phone: str) -> None:
    """Common spellings of a mainland mobile normalise to the 11-digit national number."""
    assert normalise_mobile(phone) == "13812345678"


@pytest.mark.parametrize(
    "phone",
    [
        "010-12345678",
        "(021) 6123 4567",
        "abc",
        "12345",
        "+1 650 253 0000",
        "+852 6123 4567",
        "",
        "1381234567a",
    ],
)
def test_landlines_foreign_and_garbage_refused(phone: str) -> None:
    """Landlines, foreign numbers and garbage are refused, naming the field."""
    with pytest.raises(InvalidInputError, match=r"^contact: ") as info:
        normalise_mobile(phone, field="contact")
    assert info.value.hint


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86*******5678"),
        ("12345678", "123*5678"),
        ("1234567", "*******"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    """mask_phone keeps the first 3 and last 4 characters of long values and hides short ones."""
    assert mask_phone(phone) == masked


# --- masking ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("110105194912310021", "110105********0021"),
        ("E12345678", "E****5678"),
        ("EA1234567", "E****4567"),
        ("ABC1234", "A**1234"),
        ("ABC123", "******"),
        ("", ""),
    ],
)
def test_mask_document_number(number: str, masked: str) -> None:
    """Documents keep at most the first 6/1 and last 4 characters; short numbers are fully masked."""
    assert mask_document_number(number) == masked


def test_document_masked_method() -> None:
    """IdentityDocument.masked masks its own number."""
    assert parse_document("E12345678").masked() == "E****5678"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张伟", "张*"), ("欧阳娜娜", "欧阳**"), ("司马光", "司马*"), ("欧阳", "欧*"), ("买买提·艾力", "买**·**"),
     ("阿卜杜热合曼·买买提", "阿*****·***"), ("José Müller", "J*** M*****"), ("JOHN", "J***"), ("李", "李"),
     ("", "")],
)
def test_mask_name(name: str, masked: str) -> None:
    """mask_name keeps the first character and replaces each other character with one star."""
    assert mask_name(name) == masked


# --- names and company names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("买买提·艾力", "买买提·艾力"),
        ("  张   伟 ", "张 伟"),
        ("欧阳娜娜\n", "欧阳娜娜"),
        ("John\u3000Smith", "John Smith"),
    ],
)
def test_real_names_accepted_and_cleaned(raw: str, clean: str) -> None:
    """Real names are accepted; outer whitespace is stripped and inner runs collapse to one space."""
    assert validate_person_name(raw) == clean


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("张伟\u202e", r"U\+202E"),
        ("张\u200d伟", r"U\+200D"),
        ("\u200f张伟", r"U\+200F"),
        ("张\u2066伟", r"U\+2066"),
        ("张伟\x00", r"U\+0000"),
        ("张伟\x1b[31m", r"U\+001B"),
        ("张伟\x7f", r"U\+007F"),
        ("张\ufeff伟", r"U\+FEFF"),
        ("<img src=file:///etc/passwd>", "< or >"),
        ("张伟＜script＞", "< or >"),
        ("张" * 200, "200 characters long, the limit is 50"),
        ("", "empty"),
        (" \t\u3000 ", "empty"),
    ],
)
def test_dangerous_names_refused(value: str, match: str) -> None:
    """Control/format characters, markup, over-long and empty names are refused naming field and cause."""
    with pytest.raises(InvalidInputError, match=match) as info:
        validate_person_name(value, field="visitor.name")
    assert info.value.field == "visitor.name"
    assert info.value.hint
    assert "\u202e" not in str(info.value)


def test_clean_text_applies_max_length_and_nfc() -> None:
    """clean_text composes to NFC and honours the given max_length."""
    assert clean_text("Jose\u0301", field="f", max_length=5) == "Jos\u00e9"
    with pytest.raises(InvalidInputError, match="is 6 characters long, the limit is 5"):
        clean_text("abcdef", field="f", max_length=5)


def _refused_character(text: str) -> int | None:
    """Where the character-by-character rule refuses a text (1-based), or None: the reference for clean_text."""
    for position, char in enumerate(text, start=1):
        if unicodedata.category(char) in ("Cc", "Cf", "Cs") or not {"<", ">"}.isdisjoint(
                unicodedata.normalize("NFKC", char)):
            return position
    return None


_TRICKY = st.sampled_from(["<", ">", "\uff1c", "\ufe64", "\u226e", "\u0338", "\u200b", "\u202e", "\x00",
                           "\u3000", "\u00ad", "\u2028", "\ue000", "\U000e0041", "e\u0301", "\u2329"])


@example("张\uff1c\u0338伟")  # composes to ≮ as a whole text: the bracket is only seen character by character
@example("张\u226e伟")  # ≮ itself is allowed (its compatibility form is itself)
@given(st.lists(st.one_of(st.characters(), _TRICKY, st.sampled_from("张伟 ab")), max_size=12).map("".join))
def test_clean_text_refuses_exactly_what_each_character_would(raw: str) -> None:
    """The whole-text shortcut refuses the same texts, at the same character, as checking every character."""
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    assume(text)
    position = _refused_character(text)
    if position is None:
        assert clean_text(raw, field="f", max_length=100) == text
    else:
        with pytest.raises(InvalidInputError, match=f"character {position} is"):
            clean_text(raw, field="f", max_length=100)


def test_company_name_variants_normalise_identically() -> None:
    """Spaces between CJK characters and full-width brackets do not change the normalised company name."""
    variants = [
        "北京 某某建设（集团）有限公司",
        "北京某某建设(集团)有限公司",
        "北京某某建设 ( 集团 ) 有限公司",
        "北京\u3000某某建设（集团） 有限公司",
    ]
    assert {normalise_company_name(v) for v in variants} == {"北京某某建设(集团)有限公司"}
    assert len({company_key(v) for v in variants}) == 1


def test_company_latin_variants_share_one_key() -> None:
    """Full-width, case and spacing variants of a Latin company name share one key; words stay spaced."""
    assert normalise_company_name("ＡＢＣ  Technology Co., Ltd.") == "ABC Technology Co., Ltd."
    assert company_key("ＡＢＣ Technology Co., Ltd.") == company_key("abc technology co.,ltd.")


def test_company_name_limits() -> None:
    """Company names longer than 100 characters or containing markup are refused."""
    with pytest.raises(InvalidInputError, match=r"^company: .*101 characters"):
        normalise_company_name("公" * 101)
    with raises_on("agency.name"):
        normalise_company_name("某某<b>公司</b>", field="agency.name")


# --- person keys --------------------------------------------------------------------------------------------


def test_person_key_is_keyed_and_stable() -> None:
    """person_key is a 64-hex HMAC, equal for spelling variants and different under another secret."""
    a = parse_document("11010519491231002X", today=TODAY)
    b = parse_document("110105 19491231 002x", DocumentKind.RESIDENT_ID, today=TODAY)
    key = person_key(a, SECRET)
    assert len(key) == 64
    assert set(key) <= set(string.hexdigits.lower())
    assert key == person_key(b, SECRET)
    assert key != person_key(a, SECRET[::-1])
    assert "11010519491231002X" not in key


def test_person_key_is_the_documented_hmac_under_every_secret() -> None:
    """The key is HMAC-SHA256 of "kind:number" (keys already stored stay valid), for secrets beyond the cache."""
    document = parse_document("11010519491231002X", today=TODAY)
    message = f"{document.kind}:{document.number}".encode()
    secrets = [bytes([i]) * 32 for i in range(40)]  # more secrets than the keyed-HMAC cache holds
    for secret in [*secrets, *secrets[:3]]:
        assert person_key(document, secret) == hmac.new(secret, message, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("secret", [b"", b"short", b"0123456789abcde"])
def test_person_key_refuses_short_secret(secret: bytes) -> None:
    """A secret shorter than 16 bytes is refused with field 'secret'."""
    with pytest.raises(InvalidInputError) as info:
        person_key(parse_document("E12345678"), secret)
    assert info.value.field == "secret"


# --- properties ---------------------------------------------------------------------------------------------

provinces = st.one_of(
    st.builds(
        lambda p, rest: p + rest,
        st.sampled_from([*MAINLAND, "71"]),
        st.text(string.digits, min_size=4, max_size=4),
    ),
    st.sampled_from(["810000", "820000", "830000"]),
)
births = st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY).map(lambda d: d.strftime("%Y%m%d"))
sequences = st.text(string.digits, min_size=3, max_size=3)


@given(provinces, births, sequences, st.integers(0, 17), st.sampled_from([*string.digits, "X"]))
def test_valid_ids_accepted_and_single_changes_refused(
    region: str, birth: str, sequence: str, position: int, replacement: str
) -> None:
    """A valid body plus its check digit is accepted; changing any one character makes it fail."""
    body = f"{region}{birth}{sequence}"
    number = body + resident_id_check_digit(body)
    assert number[-1] == id_check(body)
    assert parse_document(number, today=TODAY).number == number
    assume(replacement != number[position] and (replacement != "X" or position == 17))
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(InvalidInputError):
        parse_document(changed, today=TODAY)


cc_chars = st.sampled_from(CC_CHARSET)
cc_bodies = st.builds(
    lambda head, region, tail: "".join(head) + "".join(region) + "".join(tail),
    st.lists(cc_chars, min_size=2, max_size=2),
    st.lists(st.sampled_from(string.digits), min_size=6, max_size=6),
    st.lists(cc_chars, min_size=9, max_size=9),
)


@given(cc_bodies)
def test_any_credit_body_with_its_check_char_validates(body: str) -> None:
    """Any 17-character body completed with its check character validates, and agrees with the reference."""
    code = body + credit_code_check_char(body)
    assert code[-1] == cc_check(body)
    assert validate_credit_code(code.lower()) == code


@given(st.text(string.digits, min_size=17, max_size=17), st.sampled_from([*string.digits, "X"]))
def test_mask_never_reveals_birth_digits(body: str, last: str) -> None:
    """The mask of an 18-character number never contains its digits 7-14."""
    number = body + last
    masked = mask_document_number(number)
    assert number[6:14] not in masked
    assert masked[6:14] == "********"
    assert len(masked) == 18


company_chars = st.one_of(
    st.sampled_from("北京上海某建设集团有限公司工程科技（）()【】 \u3000-·&."),
    st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
    st.sampled_from(string.ascii_letters + string.digits),
    st.characters(exclude_categories=["Cc", "Cf", "Cs"]),
)


def _accepted(clean: Callable[[str], str], name: str) -> str:
    """``clean(name)``, or the example is discarded when the name is refused (control characters, too long)."""
    try:
        return clean(name)
    except InvalidInputError:
        assume(False)
        raise


@given(st.text(company_chars, min_size=1, max_size=30))
def test_company_key_is_idempotent(name: str) -> None:
    """company_key of a company key is the same key."""
    key = _accepted(company_key, name)
    assert company_key(key) == key


@given(st.text(company_chars, min_size=1, max_size=30))
@example("Ａ\u0301 公司")  # a combining mark after a full-width letter: NFKC composes across the clean-up
def test_company_key_of_a_normalised_name_is_the_same_key(name: str) -> None:
    """The key of a name as normalise_company_name gives it (normalised=True) is the key of the raw name."""
    clean = _accepted(normalise_company_name, name)
    assert company_key(clean, normalised=True) == company_key(name)


@given(st.text(st.sampled_from("北京某建设集团有限公司ABCabc123()"), min_size=2, max_size=20), st.data())
def test_spaced_and_full_width_variants_share_key(name: str, data: st.DataObject) -> None:
    """Inserting spaces and turning ASCII into full-width forms never yields a second company key."""
    assume("".join(name.split()))
    width = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}
    variant = "".join(
        (width.get(c, c) if data.draw(st.booleans()) else c) + data.draw(st.sampled_from(["", " ", "\u3000"]))
        for c in name
    )
    assert company_key(variant) == company_key(name)
