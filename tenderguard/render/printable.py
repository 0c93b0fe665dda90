"""What a badge prints for a person, a company and a hall: decided when the person is registered, the same at print.

The badge's font (Noto Sans CJK, :mod:`tenderguard.render.glyphs`) draws Chinese, Latin with the common accents
and digits; it has no Arabic script (Uyghur names), no CJK Extension B (𠀀), no emoji and no ``Ł``. A character
it cannot draw prints as its transliteration (`anyascii`_: ``ئ`` → ``i``, ``𠀀`` → ``He``, ``Ł`` → ``L``; a
letter that only carries a vowel, as the Arabic alef, transliterates to nothing), and a symbol such as an emoji
is left out. A text with nothing left to print (a company named only with emoji) is unprintable
(:class:`~tenderguard.errors.RenderError`).

The masked holder prints at most :data:`HOLDER_MAX` characters: a longer one prints its first character and
three stars (the stars hide the name; their number only told its length), and a first character with nothing
to print is a star. A company name prints in smaller type and wraps, up to the 100 characters the gate accepts;
a hall up to :data:`HALL_MAX` characters.

.. _anyascii: https://github.com/anyascii/anyascii
"""

from __future__ import annotations

import unicodedata

import attrs
from anyascii import anyascii

from tenderguard.errors import RenderError
from tenderguard.i18n import _
from tenderguard.render.glyphs import cjk_font, drawable

__all__ = ["COMPANY_MAX", "HALL_MAX", "HOLDER_MAX", "Printed", "badge_note", "holder_text", "printable"]

HOLDER_MAX = 12
COMPANY_MAX = 100
HALL_MAX = 24


@attrs.frozen
class Printed:
    """A text as the badge prints it, and the characters of the original it could not print as they are."""

    text: str
    changed: tuple[str, ...] = ()


def _drawable() -> frozenset[int]:
    return drawable(cjk_font())


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"“{char}”(U+{ord(char):04X}{' ' + name if name else ''})"


def printable(text: str, *, field: str) -> Printed:
    """``text`` with every character the font cannot draw transliterated, or left out when it is a symbol.

    Raises RenderError naming the field and the character when one has neither a glyph nor a transliteration.
    """
    can = _drawable()
    if can.issuperset(map(ord, text)):
        return Printed(text)
    out: list[str] = []
    changed: list[str] = []
    for char in text:
        if ord(char) in can:
            out.append(char)
            continue
        changed.append(char)
        category = unicodedata.category(char)
        if category[0] == "S" or category in ("Mn", "Me", "Cf"):  # an emoji, a variation selector, a joiner
            continue
        latin = anyascii(char)  # "" for a letter that only carries a vowel (Arabic alef): left out
        if not can.issuperset(map(ord, latin)):
            raise RenderError(
                _(
                    "{describe} cannot be printed: the badge's font has no glyph for it and it has no transliteration",
                    describe=_describe(char),
                ),
                hint=_("register the name as written in Latin letters on the identity document"),
                field=field,
            )
        out.append(latin)
    printed = " ".join("".join(out).split())
    if not printed:
        raise RenderError(
            _("{items!r} has nothing printable", items="".join(changed)),
            hint=_("register the name in Chinese or Latin letters"),
            field=field,
        )
    return Printed(printed, tuple(changed))


def holder_text(masked: str) -> Printed:
    """The masked holder (``张*``) as printed: at most :data:`HOLDER_MAX` characters, every one drawable."""
    try:
        first = printable(masked[:1], field="holder")
    except RenderError:  # a first character with nothing to print is masked like the rest
        first = Printed("*", (masked[:1],))
    rest = masked[1:]
    stars = rest if len(first.text) + len(rest) <= HOLDER_MAX else "*" * 3
    return Printed(first.text + stars, first.changed)


def badge_note(name_masked: str, company: str | None, hall: str) -> str | None:
    """What the desk tells the clerk at registration when the badge will print a text otherwise; None if not.

    A text that cannot print at all is named too: the badge is then listed, not printed, when the day's badges
    are printed, and the clerk can register the name as written in Latin letters on the document instead.
    """
    notes: list[str] = []
    for label, text, printer in (("姓名", name_masked, holder_text),
                                 ("单位", company, lambda t: printable(t, field="company")),
                                 ("开标室", hall, lambda t: printable(t, field="hall"))):
        if text is None:
            continue
        try:
            printed = printer(text)
        except RenderError:
            notes.append(f"{label}没有能印在标识上的文字，标识将不能打印；请按证件或执照上的中文或拉丁文写法登记")
            continue
        if printed.text != text:
            notes.append(f"{label}印为“{printed.text}”")
    return ";".join(notes) or None
