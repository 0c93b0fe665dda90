"""The day's health badges (健康标识) as PDF: an A4 sheet of 8 cards, single cards, or labels.

:func:`render_badges` validates every card, checks that the font can draw every character, then lays the cards
out with Jinja (``templates/badges/sheet.html``) and WeasyPrint, in this process, :data:`CHUNK_SIZE` cards to a
document, joined in order with pypdf. Figures: ``benchmarks/README.md``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
from pypdf import PdfWriter
from weasyprint import CSS, HTML  # type: ignore[import-untyped]
from weasyprint.urls import FatalURLFetchingError  # type: ignore[import-untyped]

from tenderguard.errors import FontCoverageError, RenderError
from tenderguard.i18n import _
from tenderguard.records.files import private_output
from tenderguard.render.badge_card import WEEKDAYS, BadgeCard
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
from tenderguard.render.qr import qr_png

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

#: Text the template itself prints, checked against the font with the cards' text.
_LABELS = "身份：开标室：场次：、补打 0123456789-"

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
