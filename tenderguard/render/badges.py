"""The day's health badges (健康标识) as PDF: an A4 sheet of 8 cards, single cards, or labels.

:func:`render_badges` validates every card, checks that the font can draw every character, then lays the cards
out with Jinja (``templates/badges/sheet.html``) and WeasyPrint, in this process, :data:`CHUNK_SIZE` cards to a
document, joined in order with pypdf. Figures: ``benchmarks/README.md``.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
from pypdf import PdfWriter
from weasyprint import CSS, HTML  # type: ignore[import-untyped]
from weasyprint.urls import FatalURLFetchingError  # type: ignore[import-untyped]

from tenderguard.errors import FontCoverageError, RenderError
from tenderguard.i18n import _
from tenderguard.records.files import private_output
from tenderguard.render.environment import render_template, templates_dir
from tenderguard.render.fetcher import TemplateFetcher
from tenderguard.render.fonts import (
    CjkFont,
    check_coverage,
    cjk_font,
    font_configuration,
    missing_characters,
    print_stylesheet,
)
from tenderguard.render.pdf import RENDERING
from tenderguard.render.printable import COMPANY_MAX, HALL_MAX
from tenderguard.render.qr import MAX_PAYLOAD_BYTES, qr_png
from tenderguard.render.text import check_text

__all__ = [
    "CHUNK_SIZE",
    "LAYOUTS",
    "WEEKDAYS",
    "BadgeCard",
    "Layout",
    "RenderResult",
    "render_badges",
    "render_html",
]

WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_SHORT_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
#: Text the template itself prints, checked against the font with the cards' text.
_LABELS = "身份：开标室：场次：、补打 0123456789-"
_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,23}")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

#: Cards per WeasyPrint document (a multiple of 8, so every chunk but the last fills its A4 pages): a document
#: of 128 cards keeps the process well under 200 MB, whatever the size of the day.
CHUNK_SIZE = 128


@attrs.frozen
class Layout:
    """A page layout: its stylesheet in ``templates/badges/`` and how many cards a page holds."""

    name: str
    stylesheet: str
    per_page: int
    description: str


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout("a4-8", "layout-a4-8.css", 8, "A4 portrait, 8 cards of 85 × 54 mm in 2 × 4, with crop marks"),
        Layout("card", "layout-card.css", 1, "one card a page, page of 85 × 54 mm for a badge printer"),
        Layout("label", "layout-label.css", 1, "one card a page on a 100 × 70 mm label"),
    )
}


def _text(max_length: int) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """An attrs validator: printable text of at most ``max_length`` characters (see :func:`check_text`)."""

    def validate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        check_text(attribute.name, value, max_length=max_length)

    return validate


def _sessions(value: Iterable[str]) -> tuple[str, ...]:
    """The sessions as a tuple (a list or any iterable of codes is accepted)."""
    if isinstance(value, str):  # one code, not its characters
        return (value,)
    return tuple(value)


def _check_serial(_instance: BadgeCard, _attribute: attrs.Attribute[str], value: str) -> None:
    """The serial is 1–24 letters, digits and hyphens (``MY-20261123-0007``)."""
    if not isinstance(value, str) or not _SERIAL.fullmatch(value):
        raise RenderError(
            _("{value!r} is not a badge serial", value=value),
            hint=_("use letters, digits and hyphens, at most 24"),
            field="serial",
        )


def _check_day(_instance: BadgeCard, _attribute: attrs.Attribute[dt.date], value: dt.date) -> None:
    """The day is a calendar date (not a datetime)."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise RenderError(_("must be a datetime.date, not {name__}", name__=type(value).__name__), field="day")


def _check_weekday(instance: BadgeCard, _attribute: attrs.Attribute[str], value: str) -> None:
    """The weekday is the day's (``星期一`` or ``周一``)."""
    index = instance.day.weekday()
    if value not in (WEEKDAYS[index], _SHORT_WEEKDAYS[index]):
        raise RenderError(
            _("{value!r} is not the weekday of {day}", value=value, day=instance.day.isoformat()),
            hint=_("use {weekdays_part}", weekdays_part=WEEKDAYS[index]),
            field="weekday",
        )


def _check_colour(_instance: BadgeCard, _attribute: attrs.Attribute[str], value: str) -> None:
    """The colour is a CSS hex colour ``#rrggbb``."""
    if not isinstance(value, str) or not _COLOUR.fullmatch(value):
        raise RenderError(
            _("{value!r} is not a colour", value=value), hint=_("use #rrggbb, e.g. #d32f2f"), field="colour"
        )


def _check_company(instance: BadgeCard, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    """No company (an official, a supervisor), or printable text of at most 100 characters (smaller type, wrapped)."""
    if value is not None:
        _text(COMPANY_MAX)(instance, attribute, value)


def _check_sessions(_instance: BadgeCard, _attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]) -> None:
    """At most 4 sessions of at most 20 characters each, 40 together."""
    if len(value) > 4:
        raise RenderError(_("{length} sessions; at most 4 fit on the badge", length=len(value)), field="sessions")
    for index, session in enumerate(value):
        check_text(f"sessions[{index}]", session, max_length=20)
    joined = len("、".join(value))
    if joined > 40:
        raise RenderError(
            _("are {joined} characters long together; at most 40 fit on the badge", joined=joined),
            hint=_("print fewer sessions or their short codes"),
            field="sessions",
        )


def _check_reprint(_instance: BadgeCard, _attribute: attrs.Attribute[int], value: int) -> None:
    """The reprint count is 0 (the original) to 99."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 99:
        raise RenderError(
            _("{value!r} is not a reprint count", value=value), hint=_("0 for the original, 1–99"), field="reprint"
        )


def _check_payload(_instance: BadgeCard, _attribute: attrs.Attribute[str], value: str) -> None:
    """The QR payload is 1 to 300 bytes of printable text."""
    check_text("qr_payload", value, max_length=MAX_PAYLOAD_BYTES)
    if len(value.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise RenderError(
            _("is more than {max_payload_bytes} bytes in UTF-8", max_payload_bytes=MAX_PAYLOAD_BYTES),
            field="qr_payload",
        )


@attrs.frozen
class BadgeCard:
    """Everything printed on one badge, already decided and masked; the renderer only lays it out.

    ``colour`` is the day's colour (``#d32f2f``), shown as the card's border and bottom band; ``reprint`` is 0
    for the original and N for the N-th reprint, printed as ``补打 N``; ``qr_payload`` is exactly what the QR
    code encodes.
    """

    serial: str = attrs.field(validator=_check_serial)
    centre_name: str = attrs.field(validator=_text(20))
    title: str = attrs.field(validator=_text(10))
    day: dt.date = attrs.field(validator=_check_day)
    weekday: str = attrs.field(validator=_check_weekday)
    colour: str = attrs.field(validator=_check_colour)
    company: str | None = attrs.field(validator=_check_company)
    holder: str = attrs.field(validator=_text(12))
    role: str = attrs.field(validator=_text(8))
    sessions: tuple[str, ...] = attrs.field(converter=_sessions, validator=_check_sessions)
    hall: str = attrs.field(validator=_text(HALL_MAX))
    reprint: int = attrs.field(validator=_check_reprint)
    qr_payload: str = attrs.field(validator=_check_payload)

    def printed_text(self) -> Iterator[tuple[str, str]]:
        """Each printed field with its text, for the font coverage check."""
        yield "serial", self.serial
        yield "centre_name", self.centre_name
        yield "title", self.title
        yield "weekday", self.weekday
        if self.company is not None:
            yield "company", self.company
        yield "holder", self.holder
        yield "role", self.role
        for index, session in enumerate(self.sessions):
            yield f"sessions[{index}]", session
        yield "hall", self.hall


@attrs.frozen
class RenderResult:
    """A rendered PDF: where it is, how many pages and badges it holds, its size in bytes."""

    path: Path
    pages: int
    badges: int
    bytes: int


# ------------------------------------------------------------------------------------------------ one document


def _ink(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (WCAG relative luminance)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return "#111" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4 else "#fff"


def _card_view(card: BadgeCard, fetcher: TemplateFetcher, colour_key: int) -> dict[str, object]:
    """What the template prints for ``card``: its text, size classes for long text, the QR code's URL."""
    company = card.company or ""
    return {
        "serial": card.serial,
        "centre_name": card.centre_name,
        "title": card.title,
        "header_size": "s1" if len(card.centre_name) + len(card.title) <= 22 else "s2",
        "date": card.day.isoformat(),
        "weekday": card.weekday,
        "colour_key": colour_key,
        "company": company,
        "company_size": "s1" if len(company) <= 16 else "s2" if len(company) <= 38 else "s3" if len(company) <= 48
        else "s4",
        "holder": card.holder,
        "holder_size": "s1" if len(card.holder) <= 6 else "s2",
        "role": card.role,
        "hall": card.hall,
        "hall_size": "s1" if len(card.hall) <= 16 else "s2",
        "sessions": "、".join(card.sessions),
        "reprint": card.reprint,
        "qr_url": fetcher.register(qr_png(card.qr_payload), "image/png"),
    }


_stylesheet_cache: dict[str, list[Any]] = {}


def _stylesheets(layout: Layout) -> list[Any]:
    """The parsed stylesheets of the card and of ``layout``, parsed once per process."""
    sheets = _stylesheet_cache.get(layout.name)
    if sheets is None:
        fetcher = TemplateFetcher()
        folder = templates_dir() / "badges"
        sheets = [
            CSS(url=(folder / name).as_uri(), url_fetcher=fetcher)
            for name in ("badge.css", layout.stylesheet)
        ]
        _stylesheet_cache[layout.name] = sheets
    return sheets


def _document_title(cards: Sequence[BadgeCard]) -> str:
    """``健康标识 2026-11-23``: the PDF's title, from the cards' days."""
    days = sorted({card.day for card in cards})
    span = days[0].isoformat() if len(days) == 1 else f"{days[0].isoformat()}–{days[-1].isoformat()}"
    return f"{cards[0].title} {span}"


def _pdf(html: str, *, layout: Layout, font: CjkFont | None, fetcher: TemplateFetcher, text: str = ""
         ) -> tuple[bytes, int]:
    """``html`` (from the badge templates) as PDF bytes with ``layout``'s stylesheets, and its page count."""
    try:
        with RENDERING:
            base_url = (templates_dir() / "badges").as_uri() + "/"
            document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
            stylesheets = [*_stylesheets(layout), print_stylesheet([_LABELS, text], font)]
            rendered = document.render(font_config=font_configuration(), stylesheets=stylesheets)
            return rendered.write_pdf(), len(rendered.pages)
    except FatalURLFetchingError as exc:
        if isinstance(exc.__cause__, RenderError):
            raise exc.__cause__ from None
        raise RenderError(_("a resource could not be loaded: {exc}", exc=exc), hint=_("check the templates")) from exc
    except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise RenderError(
            _("WeasyPrint could not render the badges: {exc}", exc=exc), hint=_("check the templates")
        ) from exc


def render_html(html: str, target: Path, *, layout: Layout, text: str = "", font: CjkFont | None = None,
                fetcher: TemplateFetcher | None = None) -> int:
    """Write ``html`` (from the badge templates) to the PDF ``target`` with ``layout``'s stylesheets; the page count.

    ``text`` holds the characters the font must have (beyond the common ones). Resources load only through
    :class:`TemplateFetcher`; a refused one stops the rendering with RenderError.
    """
    data, pages = _pdf(html, layout=layout, font=font, fetcher=fetcher or TemplateFetcher(), text=text)
    with private_output(target) as stream:
        stream.write(data)
    return pages


def _document(cards: Sequence[BadgeCard], layout: Layout, font: CjkFont, text: str) -> tuple[bytes, int]:
    """``cards`` as one PDF document (bytes) and its page count; ``text``: every character of the batch."""
    fetcher = TemplateFetcher()
    colours = {colour: key for key, colour in enumerate(dict.fromkeys(card.colour.lower() for card in cards))}
    views = [_card_view(card, fetcher, colours[card.colour.lower()]) for card in cards]
    pages = [views[i : i + layout.per_page] for i in range(0, len(views), layout.per_page)]
    html = render_template(
        "badges/sheet.html",
        pages=pages,
        per_page=layout.per_page,
        layout=layout.name,
        document_title=_document_title(cards),
        colours=[(colour, _ink(colour)) for colour in colours],
    )
    return _pdf(html, layout=layout, font=font, fetcher=fetcher, text=text)


def _check_font(batch: Sequence[BadgeCard]) -> str:
    """The characters the batch prints, once the font is known to draw them all.

    Otherwise FontCoverageError lists every missing character and names the badges and fields holding them.
    """
    font = cjk_font()
    check_coverage([("template", _LABELS)], font)
    needed = "".join(sorted({char for card in batch for _page, text in card.printed_text() for char in text}))
    missing = missing_characters(needed, font)
    if missing:
        absent = set(missing)
        where = [
            f"{card.serial} {field}" for card in batch for field, text in card.printed_text() if absent & set(text)
        ]
        shown = ", ".join(where[:5]) + (f" and {len(where) - 5} more" if len(where) > 5 else "")
        raise FontCoverageError(font.family, missing, field=shown)
    return needed


def render_badges(
    cards: Sequence[BadgeCard],
    out: Path | str,
    *,
    layout: str = "a4-8",
    progress: Callable[[int, int], None] | None = None,
) -> RenderResult:
    """Render ``cards`` to the PDF ``out`` in ``layout`` (``a4-8``, ``card`` or ``label``).

    Every character is checked against the font first (:class:`FontCoverageError` names the missing ones). The
    cards are rendered in this process, :data:`CHUNK_SIZE` at a time (one WeasyPrint document each, which keeps
    memory flat), and the documents joined in order with pypdf. ``progress(done, total)`` is called with 0
    first, then after each chunk. The file is written readable by its owner only and appears complete or not
    at all: until it is, it has no name, so a print killed at any moment leaves nothing on disk.
    """
    chosen = LAYOUTS.get(layout)
    if chosen is None:
        raise RenderError(
            _("unknown layout {layout!r}", layout=layout), hint="use one of " + ", ".join(LAYOUTS), field="layout"
        )
    batch = tuple(cards)
    if not batch:
        raise RenderError(_("no badges to render"), hint=_("pass at least one BadgeCard"), field="cards")
    for index, card in enumerate(batch):
        if not isinstance(card, BadgeCard):
            raise RenderError(_("is a {name__}, not a BadgeCard", name__=type(card).__name__), field=f"cards[{index}]")
    text = _check_font(batch)  # one font subset for every chunk of the batch
    font = cjk_font()
    total = len(batch)
    if progress is not None:
        progress(0, total)
    size = CHUNK_SIZE - CHUNK_SIZE % chosen.per_page
    chunks = [batch[i : i + size] for i in range(0, total, size)]
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    writer = PdfWriter()
    pages = done = 0
    for chunk in chunks:
        data, count = _document(chunk, chosen, font, text)
        writer.append(io.BytesIO(data))
        pages += count
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    expected = sum(math.ceil(len(chunk) / chosen.per_page) for chunk in chunks)
    if pages != expected:
        raise RenderError(_("the PDF has {pages} pages, expected {expected}: a badge overflowed its page", pages=pages,
                            expected=expected),
                          hint=_("shorten the longest texts"))
    writer.add_metadata({"/Title": _document_title(batch), "/Producer": "TenderGuard (WeasyPrint, pypdf)"})
    with private_output(target) as stream:
        writer.write(stream)
    return RenderResult(path=target, pages=pages, badges=total, bytes=target.stat().st_size)
