"""Every text a badge accepts stays inside its box on the card: nothing is clipped or drawn over another line."""

from __future__ import annotations

from typing import Any

import pytest
from cardkit import make_card
from weasyprint import HTML  # type: ignore[import-untyped]

from tenderguard.render import badges as rb
from tenderguard.render.environment import render_template, templates_dir
from tenderguard.render.fetcher import TemplateFetcher
from tenderguard.render.fonts import cjk_font, font_configuration, print_stylesheet
from tenderguard.render.printable import COMPANY_MAX, HALL_MAX, HOLDER_MAX

#: The card's footer (date, serial) is the bottom 12 mm of 54 mm; CSS pixels are 96 to the inch.
_FOOTER_TOP = (54 - 12) / 25.4 * 96


def _blocks(card: rb.BadgeCard) -> dict[str, tuple[float, float, float]]:
    """Each text block of the card (by class): its top, its bottom, and the bottom of its last line."""
    fetcher = TemplateFetcher()
    view = rb._card_view(card, fetcher, 0)
    html = render_template("badges/sheet.html", pages=[[view]], per_page=1, layout="card", document_title="t",
                           colours=[(card.colour, "#fff")])
    text = "".join(t for _, t in card.printed_text())
    sheets = [*rb._stylesheets(rb.LAYOUTS["card"]), print_stylesheet([rb._LABELS, text], cjk_font())]
    document = HTML(string=html, base_url=(templates_dir() / "badges").as_uri() + "/", url_fetcher=fetcher)
    page: Any = document.render(font_config=font_configuration(), stylesheets=sheets).pages[0]._page_box
    found: dict[str, tuple[float, float, float]] = {}
    for box in page.descendants():
        element = getattr(box, "element", None)
        if element is None or box.element_tag != "p" or type(box).__name__ != "BlockBox":
            continue
        lines = [c.position_y + c.margin_height() for c in box.descendants() if type(c).__name__ == "LineBox"]
        found[element.get("class").split()[0]] = (box.position_y, box.position_y + box.margin_height(), max(lines))
    return found


@pytest.mark.parametrize("company", [
    "中" * 16, "中" * 38, "中" * 48, "中" * 49, "中" * COMPANY_MAX, "W" * COMPANY_MAX,
    "Beijing Great Wall Engineering Consulting and Construction Management Company Limited, Miyun Branch",
], ids=lambda company: f"{len(company)}x{company[0]}")
def test_a_company_name_up_to_the_gates_limit_stays_in_its_box(company: str) -> None:
    """Up to 100 characters, Chinese or Latin, the company wraps in smaller type within its two-line box."""
    blocks = _blocks(make_card(1, company=company[:COMPANY_MAX]))
    _top, bottom, last_line = blocks["co"]
    assert last_line <= bottom + 0.5, f"the company's lines end at {last_line:.1f}px, its box at {bottom:.1f}px"
    assert blocks["nm"][0] >= bottom - 0.5


@pytest.mark.parametrize(("holder", "hall"), [
    ("张" * HOLDER_MAX, "第一开标室"), ("W" * HOLDER_MAX, "H" * HALL_MAX), ("张*", "开" * HALL_MAX),
], ids=["12 Chinese", "12 Latin, 24 Latin", "24 Chinese"])
def test_the_longest_holder_and_hall_stay_above_the_footer(holder: str, hall: str) -> None:
    """A 12-character holder keeps one line; a 24-character hall wraps in smaller type above the footer."""
    blocks = _blocks(make_card(1, holder=holder, hall=hall, company="中" * COMPANY_MAX))
    _top, bottom, last_line = blocks["nm"]
    assert last_line <= bottom + 0.5
    assert blocks["mt"][2] <= _FOOTER_TOP, f"the hall ends at {blocks['mt'][2]:.1f}px, the footer starts at " \
        f"{_FOOTER_TOP:.1f}px"
