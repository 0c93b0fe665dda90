"""Identity documents, credit codes, phones and names: validation, normalisation, masking, matching keys."""

from __future__ import annotations

import datetime
import enum
import hashlib
import hmac
import re
import unicodedata

import attrs
import phonenumbers

from tenderguard.errors import InvalidInputError

__all__ = [
    "DocumentKind",
    "IdentityDocument",
    "clean_text",
    "company_key",
    "credit_code_check_char",
    "key_fingerprint",
    "mask_document_number",
    "mask_name",
    "mask_phone",
    "normalise_company_name",
    "normalise_mobile",
    "parse_document",
    "person_key",
    "phone_key",
    "resident_id_check_digit",
    "same_name",
    "validate_credit_code",
    "validate_person_name",
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

# GB 32100-2015: 31 characters (no I, O, Z, S, V); weight of position i is 3**i mod 31.
_CC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CC_LOOKALIKES = {"I": "1", "O": "0", "Z": "2", "S": "5", "V": "U"}

_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_PASSPORT_LIKE = re.compile(r"[A-Z]{1,2}[0-9]{7,9}")
_HK_MACAO_PERMIT = re.compile(r"[HM][0-9]{8}")  # 港澳居民来往内地通行证: H/M + 8 digits, not a passport

_BRACKETS = frozenset("()[]{}【】〔〕〖〗《》〈〉「」『』")
_ANGLE = frozenset("<>")
_MIN_SECRET = 16
_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


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


def _describe(char: str) -> str:
    """Name a character safely for an error message (code point, plus the glyph when it is printable)."""
    name = unicodedata.name(char, "unnamed")
    shown = f"'{char}' " if char.isprintable() and not char.isspace() else ""
    return f"{shown}(U+{ord(char):04X} {name})"


def _require_str(value: object, field: str) -> str:
    """Return ``value`` when it is a string, else raise InvalidInputError."""
    if not isinstance(value, str):
        raise InvalidInputError(
            field, f"expected text, got {type(value).__name__}", hint="pass the value as a string"
        )
    return value


def _compact(value: str) -> str:
    """NFKC-normalise (full-width to ASCII), drop every whitespace character and upper-case."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def resident_id_check_digit(first17: str) -> str:
    """Return the GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise InvalidInputError(
            "id_number",
            f"the check digit needs exactly 17 digits, got {len(first17)} characters",
            hint="pass the first 17 digits of the 18-digit number",
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
            f"{field}.kind", f"unknown document kind {kind!r}", hint=f"use one of: {valid}"
        ) from None


def _looks_like_resident_id(number: str) -> bool:
    """Tell whether an undeclared number is (an attempt at) an 18-character resident ID or HMT permit."""
    if _ID18.fullmatch(number):
        return True
    # A near-miss (15-19 characters, at most two non-digits) is a mistyped ID, never an "other" document.
    return 15 <= len(number) <= 19 and sum(not c.isdigit() for c in number) <= 2


def _parse_id18(number: str, field: str, today: datetime.date, *, hmt: bool) -> IdentityDocument:
    """Validate an 18-character resident ID or HMT residence permit number (already normalised)."""
    label = "an HMT residence permit" if hmt else "a resident ID"
    if len(number) != 18:
        raise InvalidInputError(
            field,
            f"{label} number has 18 characters, this one has {len(number)}",
            hint="re-read the number from the card (15-digit first-generation IDs are no longer valid)",
        )
    for position, char in enumerate(number, start=1):
        if not (char.isascii() and char.isdigit()) and not (position == 18 and char == "X"):
            where = "the last character must be a digit or X" if position == 18 else "must be a digit"
            raise InvalidInputError(
                field,
                f"character {position} of {label} number is {_describe(char)}; {where}",
                hint="only the 18th character may be the letter X",
            )
    kind = _id18_kind(number, field)
    birth = _birth_date(number, field, today)
    expected = resident_id_check_digit(number[:17])
    if number[17] != expected:
        raise InvalidInputError(
            field,
            f"check digit is {number[17]} but the first 17 digits require {expected}",
            hint="one of the 18 characters was mistyped; re-read the whole number from the card",
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
            f"region code {number[:6]} is not valid: HMT residence permits start 810000, 820000 or 830000",
            hint="re-read the first six digits from the permit",
        )
    if province in _MAINLAND_PROVINCES or province == _TAIWAN:
        return DocumentKind.RESIDENT_ID
    hint = "re-read the first two digits from the card"
    if province.startswith("9"):
        hint += "; a foreigner's permanent residence ID card (starts with 9) must be given with kind 'other'"
    raise InvalidInputError(field, f"province code {province} does not exist", hint=hint)


def _birth_date(number: str, field: str, today: datetime.date) -> datetime.date:
    """Return the birth date in digits 7-14, checking it is a real date between 1900-01-01 and ``today``."""
    digits = number[6:14]
    try:
        birth = datetime.date.fromisoformat(digits)
    except ValueError:
        raise InvalidInputError(
            field,
            f"birth date {digits[:4]}-{digits[4:6]}-{digits[6:]} (digits 7-14) is not a calendar date",
            hint="re-read digits 7 to 14 (YYYYMMDD) from the card",
        ) from None
    if birth < _EARLIEST_BIRTH:
        raise InvalidInputError(
            field,
            f"birth date {birth.isoformat()} is before {_EARLIEST_BIRTH.isoformat()}",
            hint="re-read digits 7 to 14 (YYYYMMDD) from the card",
        )
    if birth > today:
        raise InvalidInputError(
            field,
            f"birth date {birth.isoformat()} is after today ({today.isoformat()})",
            hint="re-read digits 7 to 14 (YYYYMMDD) from the card",
        )
    return birth


def _parse_other(number: str, kind: DocumentKind, field: str) -> IdentityDocument:
    """Validate a passport or other document number (already normalised)."""
    passport = kind is DocumentKind.PASSPORT
    allowed = "letters and digits" if passport else "letters, digits and -"
    if not 5 <= len(number) <= 20:
        raise InvalidInputError(
            field,
            f"a {kind.value} number has 5 to 20 characters, this one has {len(number)}",
            hint="re-read the number from the document",
        )
    for position, char in enumerate(number, start=1):
        if not (char.isascii() and (char.isalnum() or (char == "-" and not passport))):
            raise InvalidInputError(
                field,
                f"character {position} of the {kind.value} number is {_describe(char)}; "
                f"only {allowed} are allowed",
                hint="type the number exactly as printed, without punctuation",
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
    compact = _compact(_require_str(number, field))
    if not compact:
        raise InvalidInputError(
            field, "the document number is empty", hint="type the number from the document"
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


def credit_code_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a social credit code."""
    if len(first17) != 17 or any(c not in _CC_CHARSET for c in first17):
        raise InvalidInputError(
            "credit_code",
            "the check character needs exactly 17 characters from 0-9 and A-Y without I, O, Z, S, V",
            hint="pass the first 17 characters of the 18-character code, upper case",
        )
    total = sum(_CC_CHARSET.index(c) * w for c, w in zip(first17, _CC_WEIGHTS, strict=True))
    return _CC_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(code: str, *, field: str = "credit_code") -> str:
    """Normalise and validate a unified social credit code (GB 32100-2015); return the normalised code."""
    compact = _compact(_require_str(code, field))
    if len(compact) != 18:
        raise InvalidInputError(
            field,
            f"a unified social credit code has 18 characters, this one has {len(compact)}",
            hint="copy the code from the business licence",
        )
    for position, char in enumerate(compact, start=1):
        if char not in _CC_CHARSET:
            lookalike = _CC_LOOKALIKES.get(char)
            hint = (
                f"credit codes never use {char}; it is probably {lookalike}"
                if lookalike
                else "only digits and the letters A-Y without I, O, Z, S, V are used"
            )
            raise InvalidInputError(
                field,
                f"character {position} is {_describe(char)}, which credit codes never contain",
                hint=hint,
            )
    for position in range(3, 9):
        if not compact[position - 1].isdigit():
            raise InvalidInputError(
                field,
                f"character {position} is {compact[position - 1]!r}; characters 3-8 (region code) are digits",
                hint="copy the code from the business licence",
            )
    expected = credit_code_check_char(compact[:17])
    if compact[17] != expected:
        raise InvalidInputError(
            field,
            f"check character is {compact[17]} but the first 17 characters require {expected}",
            hint="one of the 18 characters was mistyped; copy the code again from the business licence",
        )
    return compact


def normalise_mobile(phone: str, *, field: str = "phone") -> str:
    """Validate a mainland Chinese mobile number in any common spelling; return its 11 national digits."""
    text = unicodedata.normalize("NFKC", _require_str(phone, field)).strip()
    hint = "give an 11-digit mainland mobile number such as 138 1234 5678, optionally with +86"
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidInputError(field, "is not a phone number", hint=hint) from None
    if parsed.country_code != 86:
        raise InvalidInputError(field, f"+{parsed.country_code} is not a mainland China number", hint=hint)
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInputError(field, "is not a valid Chinese phone number", hint=hint)
    if phonenumbers.number_type(parsed) not in _MOBILE_TYPES:
        raise InvalidInputError(field, "is a landline or service number, not a mobile", hint=hint)
    return phonenumbers.national_significant_number(parsed)


def mask_phone(phone: str) -> str:
    """Mask a phone number for display: ``138****5678``; short values are fully masked."""
    if len(phone) >= 8:
        return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
    return "*" * len(phone)


def mask_name(name: str) -> str:
    """Mask a person's name for display: the first character, then one ``*`` per remaining character."""
    text = unicodedata.normalize("NFC", name)
    return f"{text[0]}{'*' * (len(text) - 1)}" if text else ""


def clean_text(value: str, *, field: str, max_length: int) -> str:
    """Normalise a name for storage and printing; refuse empty, over-long, invisible-control, markup text."""
    text = " ".join(unicodedata.normalize("NFC", _require_str(value, field)).split())
    if not text:
        raise InvalidInputError(field, "is empty", hint="type the name")
    if len(text) > max_length:
        raise InvalidInputError(
            field,
            f"is {len(text)} characters long, the limit is {max_length}",
            hint=f"shorten it to at most {max_length} characters",
        )
    if text.isprintable() and _ANGLE.isdisjoint(unicodedata.normalize("NFKD", text)):
        # Neither check below can fail: a printable text holds no Cc/Cf/Cs character, and a character whose
        # compatibility form holds an angle bracket brings it into the decomposition of the whole text.
        return text
    for position, char in enumerate(text, start=1):
        if unicodedata.category(char) in ("Cc", "Cf", "Cs"):
            raise InvalidInputError(
                field,
                f"character {position} is U+{ord(char):04X} ({unicodedata.name(char, 'control character')}), "
                "an invisible control or formatting character",
                hint="retype the text instead of pasting it",
            )
        if not _ANGLE.isdisjoint(unicodedata.normalize("NFKC", char)):
            raise InvalidInputError(
                field,
                f"character {position} is {_describe(char)}; names never contain < or >",
                hint="remove the angle brackets",
            )
    return text


def validate_person_name(name: str, *, field: str = "name") -> str:
    """Clean a person's name (at most 50 characters)."""
    return clean_text(name, field=field, max_length=50)


def _is_wide(char: str) -> bool:
    """Tell whether a character is a wide (CJK) character."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def normalise_company_name(name: str, *, field: str = "company") -> str:
    """Clean a company name (at most 100 characters), fold full-width forms, drop spaces inside CJK text."""
    words = unicodedata.normalize("NFKC", clean_text(name, field=field, max_length=100)).split()
    out = words[0]
    for word in words[1:]:
        before, after = out[-1], word[0]
        glue = (_is_wide(before) and _is_wide(after)) or before in _BRACKETS or after in _BRACKETS
        out += word if glue else f" {word}"
    return out


def company_key(name: str, *, normalised: bool = False) -> str:
    """Return the matching key of a company name: one key for every spacing and full-width variant.

    ``normalised`` says the name is already what :func:`normalise_company_name` gives (an ``Arrival``'s company
    is), so it is not cleaned again; the key is the same (a property test checks it).
    """
    folded = "".join((name if normalised else normalise_company_name(name)).split()).casefold()
    # NFKC after case folding keeps the key stable when it is itself normalised again.
    return "".join(unicodedata.normalize("NFKC", folded).split())


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or len(secret) < _MIN_SECRET:
        raise InvalidInputError(
            "secret",
            f"the key must be at least {_MIN_SECRET} bytes",
            hint="configure a random secret of 32 bytes, e.g. from secrets.token_bytes(32)",
        )


def person_key(document: IdentityDocument, secret: bytes) -> str:
    """Return a keyed hash (HMAC-SHA256, hex) of a document to match re-entries without storing the number."""
    _check_secret(secret)
    return hmac.new(secret, f"{document.kind}:{document.number}".encode(), hashlib.sha256).hexdigest()


def key_fingerprint(secret: bytes) -> str:
    """A short fingerprint of the ID-hash key (16 hex digits) to tell two keys apart without revealing either."""
    _check_secret(secret)
    return hmac.new(secret, b"tenderguard id-hash key fingerprint", hashlib.sha256).hexdigest()[:16]


def phone_key(phone: str, secret: bytes) -> str:
    """Return a keyed hash of a (normalised) mobile number: phones given twice are matched, never stored."""
    _check_secret(secret)
    return hmac.new(secret, f"phone:{phone}".encode(), hashlib.sha256).hexdigest()


def same_name(first: str, second: str) -> bool:
    """Whether two spellings name the same person: case, width, spacing and middle-dot variants are one name."""

    def folded(name: str) -> str:
        text = unicodedata.normalize("NFKC", name).casefold()
        return "".join(ch for ch in text if not ch.isspace() and ch not in "·•・‧.")

    return folded(first) == folded(second)
