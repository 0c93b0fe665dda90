"""Names, phones and free text: cleaning, validation and masking, and the character checks the other modules share.

:func:`clean_text` is what every name goes through before it is stored or printed (NFC, one space, no control
characters, no angle brackets); :func:`normalise_mobile` accepts any common spelling of a mainland mobile number;
:func:`mask_name` and :func:`mask_phone` are how people are shown on screens and in reports.
"""

from __future__ import annotations

import unicodedata

import phonenumbers

from tenderguard.errors import InvalidInputError, TooLongError
from tenderguard.i18n import _

__all__ = [
    "clean_text",
    "compact_number",
    "describe_char",
    "mask_name",
    "mask_phone",
    "normalise_mobile",
    "require_str",
    "same_name",
    "validate_person_name",
]

_ANGLE = frozenset("<>")
_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def describe_char(char: str) -> str:
    """Name a character safely for an error message (code point, plus the glyph when it is printable)."""
    code = f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}"
    if char.isprintable() and not char.isspace():
        return _("'{char}' ({code})", char=char, code=code)
    return _("({code})", code=code)


def require_str(value: object, field: str) -> str:
    """Return ``value`` when it is a string, else raise InvalidInputError."""
    if not isinstance(value, str):
        raise InvalidInputError(
            field, _("expected text, got {name__}", name__=type(value).__name__), hint=_("pass the value as a string")
        )
    return value


def compact_number(value: str) -> str:
    """NFKC-normalise (full-width to ASCII), drop every whitespace character and upper-case."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def normalise_mobile(phone: str, *, field: str = "phone") -> str:
    """Validate a mainland Chinese mobile number in any common spelling; return its 11 national digits."""
    text = unicodedata.normalize("NFKC", require_str(phone, field)).strip()
    hint = _("give an 11-digit mainland mobile number such as 138 1234 5678, optionally with +86")
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidInputError(field, _("is not a phone number"), hint=hint) from None
    if parsed.country_code != 86:
        raise InvalidInputError(field, _("+{country_code} is not a mainland China number",
                                         country_code=parsed.country_code), hint=hint)
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInputError(field, _("is not a valid Chinese phone number"), hint=hint)
    if phonenumbers.number_type(parsed) not in _MOBILE_TYPES:
        raise InvalidInputError(field, _("is a landline or service number, not a mobile"), hint=hint)
    return phonenumbers.national_significant_number(parsed)


def normalise_business_phone(phone: str, *, field: str = "phone") -> str:
    """A business number: a mainland mobile (its 11 digits) or a landline with its area code (``010-69041234``)."""
    try:
        return normalise_mobile(phone, field=field)
    except InvalidInputError:
        if not isinstance(phone, str):
            raise
    hint = _("a mobile such as 138 1234 5678, or a landline with its area code such as 010-6904 1234")
    try:
        parsed = phonenumbers.parse(unicodedata.normalize("NFKC", phone).strip(), "CN")
    except phonenumbers.NumberParseException:
        raise InvalidInputError(field, _("is not a phone number"), hint=hint) from None
    if (parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed)
            or phonenumbers.number_type(parsed) is not phonenumbers.PhoneNumberType.FIXED_LINE):
        raise InvalidInputError(field, _("is not a mainland mobile or landline number"), hint=hint) from None
    digits = phonenumbers.national_significant_number(parsed)
    area = phonenumbers.length_of_geographical_area_code(parsed)
    return f"0{digits[:area]}-{digits[area:]}"


def mask_phone(phone: str) -> str:
    """Mask a phone number for display: ``138****5678``; short values are fully masked."""
    if len(phone) >= 8:
        return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
    return "*" * len(phone)


#: Two-character (compound) surnames: masked after both characters (欧阳建国 → 欧阳**).
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐",
    "澹台", "轩辕", "端木", "百里", "呼延", "南宫", "西门", "独孤", "申屠", "太史", "闻人", "万俟", "赫连", "濮阳",
    "钟离", "淳于", "单于", "拓跋", "完颜", "公羊", "东郭", "第五", "左丘", "谷梁", "仲孙", "亓官", "司空", "司寇",
})
_DOTS = "·•・‧"


def _mask_latin(text: str) -> str:
    """Each word's first letter, the rest as stars (José Müller → J*** M*****)."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in text.split())


def mask_name(name: str) -> str:
    """Mask a person's name for display and print.

    A Chinese name keeps its surname — one character, or two for a compound surname (欧阳**) — and a star for each
    other character; a name in parts joined by a middle dot (阿卜杜热合曼·买买提) keeps the first character and the
    dots (阿*****·***); a name in Latin letters keeps each word's first letter (J*** M*****). Only the number of
    characters is told beyond that.
    """
    text = unicodedata.normalize("NFC", name)
    if not text:
        return ""
    if any(dot in text for dot in _DOTS):
        return text[0] + "".join(c if c in _DOTS else "*" for c in text[1:])
    if " " in text and all(c.isascii() or "LATIN" in unicodedata.name(c, "") for c in text):
        return _mask_latin(text)
    kept = 2 if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else 1
    return text[:kept] + "*" * (len(text) - kept)


def clean_text(value: str, *, field: str, max_length: int) -> str:
    """Normalise a name for storage and printing; refuse empty, over-long, invisible-control, markup text."""
    text = " ".join(unicodedata.normalize("NFC", require_str(value, field)).split())
    if not text:
        raise InvalidInputError(field, _("is empty"), hint=_("type the name"))
    if len(text) > max_length:
        raise TooLongError(
            field,
            _("is {length} characters long, the limit is {max_length}", length=len(text), max_length=max_length),
            hint=_("shorten it to at most {max_length} characters", max_length=max_length),
            length=len(text),
            limit=max_length,
        )
    if text.isprintable() and _ANGLE.isdisjoint(unicodedata.normalize("NFKD", text)):
        # Neither check below can fail: a printable text holds no Cc/Cf/Cs character, and a character whose
        # compatibility form holds an angle bracket brings it into the decomposition of the whole text.
        return text
    for position, char in enumerate(text, start=1):
        if unicodedata.category(char) in ("Cc", "Cf", "Cs"):
            raise InvalidInputError(
                field,
                _("character {position} is U+{ord:04X} ({name}), an invisible control or formatting character",
                  position=position, ord=ord(char), name=unicodedata.name(char, 'control character')),
                hint=_("retype the text instead of pasting it"),
            )
        if not _ANGLE.isdisjoint(unicodedata.normalize("NFKC", char)):
            raise InvalidInputError(
                field,
                _("character {position} is {describe_char}; names never contain < or >", position=position,
                  describe_char=describe_char(char)),
                hint=_("remove the angle brackets"),
            )
    return text


def validate_person_name(name: str, *, field: str = "name") -> str:
    """Clean a person's name (at most 50 characters)."""
    return clean_text(name, field=field, max_length=50)


def same_name(first: str, second: str) -> bool:
    """Whether two spellings name the same person: case, width, spacing and middle-dot variants are one name."""

    def folded(name: str) -> str:
        text = unicodedata.normalize("NFKC", name).casefold()
        return "".join(ch for ch in text if not ch.isspace() and ch not in "·•・‧.")

    return folded(first) == folded(second)
