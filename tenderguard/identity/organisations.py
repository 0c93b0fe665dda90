"""Organisations: unified social credit codes (GB 32100-2015) and company names, with the key that matches them.

:func:`validate_credit_code` names the character at fault and the look-alike it probably is;
:func:`normalise_company_name` folds full-width forms and spacing inside CJK text, and :func:`company_key` gives
one key for every spelling of a name.
"""

from __future__ import annotations

import unicodedata

from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _
from tenderguard.identity.text import clean_text, compact_number, describe_char, require_str

__all__ = [
    "company_key",
    "credit_code_check_char",
    "normalise_company_name",
    "validate_credit_code",
]

# GB 32100-2015: 31 characters (no I, O, Z, S, V); weight of position i is 3**i mod 31.
_CC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CC_LOOKALIKES = {"I": "1", "O": "0", "Z": "2", "S": "5", "V": "U"}

_BRACKETS = frozenset("()[]{}【】〔〕〖〗《》〈〉「」『』")


def credit_code_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a social credit code."""
    if len(first17) != 17 or any(c not in _CC_CHARSET for c in first17):
        raise InvalidInputError(
            "credit_code",
            _("the check character needs exactly 17 characters from 0-9 and A-Y without I, O, Z, S, V"),
            hint=_("pass the first 17 characters of the 18-character code, upper case"),
        )
    total = sum(_CC_CHARSET.index(c) * w for c, w in zip(first17, _CC_WEIGHTS, strict=True))
    return _CC_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(code: str, *, field: str = "credit_code") -> str:
    """Normalise and validate a unified social credit code (GB 32100-2015); return the normalised code."""
    compact = compact_number(require_str(code, field))
    if len(compact) != 18:
        raise InvalidInputError(
            field,
            _("a unified social credit code has 18 characters, this one has {length}", length=len(compact)),
            hint=_("copy the code from the business licence"),
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
                _("character {position} is {describe_char}, which credit codes never contain", position=position,
                  describe_char=describe_char(char)),
                hint=hint,
            )
    for position in range(3, 9):
        if not compact[position - 1].isdigit():
            raise InvalidInputError(
                field,
                _("character {position} is {compact_part!r}; characters 3-8 (region code) are digits",
                  position=position, compact_part=compact[position - 1]),
                hint=_("copy the code from the business licence"),
            )
    expected = credit_code_check_char(compact[:17])
    if compact[17] != expected:
        raise InvalidInputError(
            field,
            _("check character is {compact} but the first 17 characters require {expected}", compact=compact[17],
              expected=expected),
            hint=_("one of the 18 characters was mistyped; copy the code again from the business licence"),
        )
    return compact


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

