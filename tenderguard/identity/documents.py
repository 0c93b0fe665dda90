"""Identity documents: resident IDs (GB 11643), HMT residence permits, passports and others, parsed and masked.

:func:`parse_document` normalises a number as typed at the desk, detects its kind when none is given and checks
it (check digit, region and birth date of an 18-character ID); an :class:`IdentityDocument` never shows its full
number in a ``repr``.
"""

from __future__ import annotations

import datetime
import enum
import re

import attrs

from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _
from tenderguard.identity.text import compact_number, describe_char, require_str

__all__ = [
    "DocumentKind",
    "IdentityDocument",
    "mask_document_number",
    "parse_document",
    "resident_id_check_digit",
]

# GB 11643 (ISO 7064 MOD 11-2): weight of position i (0-based) is 2**(17 - i) mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MAINLAND_PROVINCES = frozenset(
    f"{code}"
    for low, high in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65))
    for code in range(low, high + 1)
)
_TAIWAN = "71"
_HMT_PREFIXES = frozenset({"810000", "820000", "830000"})
_EARLIEST_BIRTH = datetime.date(1900, 1, 1)

_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_PASSPORT_LIKE = re.compile(r"[A-Z]{1,2}[0-9]{7,9}")
_HK_MACAO_PERMIT = re.compile(r"[HM][0-9]{8}")  # 港澳居民来往内地通行证: H/M + 8 digits, not a passport


class DocumentKind(enum.StrEnum):
    """The kind of identity document a visitor shows at the gate."""

    RESIDENT_ID = "resident_id"
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"
    PASSPORT = "passport"
    OTHER = "other"


def mask_document_number(number: str) -> str:
    """Mask a document number for display: ``110105********1234``, ``E****5678``; never shows the middle."""
    length = len(number)
    if length == 18:
        return f"{number[:6]}{'*' * 8}{number[-4:]}"
    if length >= 7:
        return f"{number[0]}{'*' * (length - 5)}{number[-4:]}"
    return "*" * length


@attrs.frozen
class IdentityDocument:
    """A validated, normalised identity document; its repr masks the number."""

    kind: DocumentKind
    number: str = attrs.field(repr=mask_document_number)
    birth_date: datetime.date | None = None

    def masked(self) -> str:
        """Return the document number masked for display or printing."""
        return mask_document_number(self.number)


def resident_id_check_digit(first17: str) -> str:
    """Return the GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise InvalidInputError(
            "id_number",
            _("the check digit needs exactly 17 digits, got {length} characters", length=len(first17)),
            hint=_("pass the first 17 digits of the 18-digit number"),
        )
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _parse_kind(kind: DocumentKind | str | None, field: str) -> DocumentKind | None:
    """Turn a kind given as text into a DocumentKind, or raise InvalidInputError naming the valid kinds."""
    if kind is None or isinstance(kind, DocumentKind):
        return kind
    try:
        return DocumentKind(kind)
    except ValueError:
        valid = ", ".join(k.value for k in DocumentKind)
        raise InvalidInputError(
            f"{field}.kind", _("unknown document kind {kind!r}", kind=kind), hint=_("use one of: {valid}", valid=valid)
        ) from None


def _looks_like_resident_id(number: str) -> bool:
    """Tell whether an undeclared number is (an attempt at) an 18-character resident ID or HMT permit."""
    if _ID18.fullmatch(number):
        return True
    # A near-miss (15-19 characters, at most two non-digits) is a mistyped ID, never an "other" document.
    return 15 <= len(number) <= 19 and sum(not c.isdigit() for c in number) <= 2


def _parse_id18(number: str, field: str, today: datetime.date, *, hmt: bool) -> IdentityDocument:
    """Validate an 18-character resident ID or HMT residence permit number (already normalised)."""
    label = _("an HMT residence permit") if hmt else _("a resident ID")
    if len(number) != 18:
        raise InvalidInputError(
            field,
            _("{label} has 18 characters, this one has {length}", label=label, length=len(number)),
            hint=_("re-read the number from the card (15-digit first-generation IDs are no longer valid)"),
        )
    for position, char in enumerate(number, start=1):
        if not (char.isascii() and char.isdigit()) and not (position == 18 and char == "X"):
            where = _("the last character must be a digit or X") if position == 18 else _("must be a digit")
            raise InvalidInputError(
                field,
                _("character {position} of {label} is {describe_char}; {where}", position=position, label=label,
                  describe_char=describe_char(char), where=where),
                hint=_("only the 18th character may be the letter X"),
            )
    kind = _id18_kind(number, field)
    birth = _birth_date(number, field, today)
    expected = resident_id_check_digit(number[:17])
    if number[17] != expected:
        raise InvalidInputError(
            field,
            _("check digit is {number} but the first 17 digits require {expected}", number=number[17],
              expected=expected),
            hint=_("one of the 18 characters was mistyped; re-read the whole number from the card"),
        )
    return IdentityDocument(kind=kind, number=number, birth_date=birth)


def _id18_kind(number: str, field: str) -> DocumentKind:
    """Return the kind an 18-digit number's region code implies; raise when the province code is unknown."""
    province = number[:2]
    if number[:6] in _HMT_PREFIXES:
        return DocumentKind.HMT_RESIDENCE_PERMIT
    if province in {"81", "82", "83"}:
        raise InvalidInputError(
            field,
            _("region code {number_part} is not valid: HMT residence permits start 810000, 820000 or 830000",
              number_part=number[:6]),
            hint=_("re-read the first six digits from the permit"),
        )
    if province in _MAINLAND_PROVINCES or province == _TAIWAN:
        return DocumentKind.RESIDENT_ID
    hint = _("re-read the first two digits from the card")
    if province.startswith("9"):
        hint = _("re-read the first two digits from the card; a foreigner's permanent residence ID card (starts "
                 "with 9) must be given with kind 'other'")
    raise InvalidInputError(field, _("province code {province} does not exist", province=province), hint=hint)


def _birth_date(number: str, field: str, today: datetime.date) -> datetime.date:
    """Return the birth date in digits 7-14, checking it is a real date between 1900-01-01 and ``today``."""
    digits = number[6:14]
    try:
        birth = datetime.date.fromisoformat(digits)
    except ValueError:
        raise InvalidInputError(
            field,
            _("birth date {digits_part}-{digits_part2}-{digits_part3} (digits 7-14) is not a calendar date",
              digits_part=digits[:4], digits_part2=digits[4:6], digits_part3=digits[6:]),
            hint=_("re-read digits 7 to 14 (YYYYMMDD) from the card"),
        ) from None
    if birth < _EARLIEST_BIRTH:
        raise InvalidInputError(
            field,
            _("birth date {birth} is before {earliest_birth}", birth=birth.isoformat(),
              earliest_birth=_EARLIEST_BIRTH.isoformat()),
            hint=_("re-read digits 7 to 14 (YYYYMMDD) from the card"),
        )
    if birth > today:
        raise InvalidInputError(
            field,
            _("birth date {birth} is after today ({today})", birth=birth.isoformat(), today=today.isoformat()),
            hint=_("re-read digits 7 to 14 (YYYYMMDD) from the card"),
        )
    return birth


def _parse_other(number: str, kind: DocumentKind, field: str) -> IdentityDocument:
    """Validate a passport or other document number (already normalised)."""
    passport = kind is DocumentKind.PASSPORT
    allowed = "letters and digits" if passport else "letters, digits and -"
    if not 5 <= len(number) <= 20:
        raise InvalidInputError(
            field,
            _("a {kind} number has 5 to 20 characters, this one has {length}", kind=kind.value, length=len(number)),
            hint=_("re-read the number from the document"),
        )
    for position, char in enumerate(number, start=1):
        if not (char.isascii() and (char.isalnum() or (char == "-" and not passport))):
            raise InvalidInputError(
                field,
                _("character {position} of the {kind} number is {describe_char}; only {allowed} are allowed",
                  position=position, kind=kind.value, describe_char=describe_char(char), allowed=allowed),
                hint=_("type the number exactly as printed, without punctuation"),
            )
    return IdentityDocument(kind=kind, number=number, birth_date=None)


def parse_document(
    number: str,
    kind: DocumentKind | str | None = None,
    *,
    field: str = "id_number",
    today: datetime.date | None = None,
) -> IdentityDocument:
    """Normalise and validate an identity document number, detecting its kind when ``kind`` is None."""
    wanted = _parse_kind(kind, field)
    compact = compact_number(require_str(number, field))
    if not compact:
        raise InvalidInputError(
            field, _("the document number is empty"), hint=_("type the number from the document")
        )
    # The local calendar date is what "born after today" means at the gate.
    day = today if today is not None else datetime.date.today()  # noqa: DTZ011
    if wanted in (DocumentKind.RESIDENT_ID, DocumentKind.HMT_RESIDENCE_PERMIT):
        # The kind of an 18-digit number follows from its region code, so both spellings match one person.
        return _parse_id18(compact, field, day, hmt=wanted is DocumentKind.HMT_RESIDENCE_PERMIT)
    if wanted is None:
        if _looks_like_resident_id(compact):
            return _parse_id18(compact, field, day, hmt=compact[:6] in _HMT_PREFIXES)
        if _PASSPORT_LIKE.fullmatch(compact) and not _HK_MACAO_PERMIT.fullmatch(compact):
            return _parse_other(compact, DocumentKind.PASSPORT, field)
        return _parse_other(compact, DocumentKind.OTHER, field)
    if _ID18.fullmatch(compact):
        # A valid resident ID declared as passport/other is still that resident ID (one person, one key).
        try:
            return _parse_id18(compact, field, day, hmt=False)
        except InvalidInputError:
            pass
    return _parse_other(compact, wanted, field)

