"""Checks on every value printed on a document: no invisible controls, no bidi overrides, a length that fits.

Markup needs no check here: templates autoescape, so ``<img src=file:///etc/passwd>`` is printed as those
characters. What autoescaping cannot stop is text that looks different from what it is: control characters,
and the bidirectional marks and overrides (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C) that can make
``公司ABC`` read as ``公司CBA``. Those are refused with a :class:`RenderError` naming the field, and so is text
longer than fits its place on the document (nothing is silently cut).
"""

from __future__ import annotations

import unicodedata

from tenderguard.errors import RenderError
from tenderguard.i18n import _

__all__ = ["BIDI_MARKS", "check_text", "describe_char"]

#: Bidirectional embeddings, overrides, isolates and marks.
BIDI_MARKS = frozenset(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C],
)
#: Unicode categories never printed: controls, format characters, surrogates, line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def describe_char(char: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``: a character named for an error message."""
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'control character')})"


def check_text(field: str, value: object, *, max_length: int) -> str:
    """``value`` if it is printable text of 1 to ``max_length`` characters; otherwise RenderError naming ``field``."""
    if not isinstance(value, str):
        raise RenderError(_("must be text, not {name__}", name__=type(value).__name__), field=field)
    if not value.strip():
        raise RenderError(_("is empty"), hint=_("give the text to print"), field=field)
    for position, char in enumerate(value, start=1):
        if ord(char) in BIDI_MARKS:
            raise RenderError(
                _("character {position} is {describe_char}, a bidirectional control that can reorder the text",
                  position=position, describe_char=describe_char(char)),
                hint=_("retype the text without right-to-left or embedding marks"),
                field=field,
            )
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise RenderError(
                _("character {position} is {describe_char}, an invisible control or formatting character",
                  position=position, describe_char=describe_char(char)),
                hint=_("retype the text instead of pasting it"),
                field=field,
            )
    if len(value) > max_length:
        raise RenderError(
            _("is {length} characters long; at most {max_length} fit on the badge", length=len(value),
              max_length=max_length),
            hint=_("shorten it to {max_length} characters or fewer", max_length=max_length),
            field=field,
        )
    return value
