"""Badges rendered for real with WeasyPrint: text, QR codes, layouts, fonts, and refusals of hostile input."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import string
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from cardkit import make_card, payload
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from tenderguard.errors import FontCoverageError, RenderError, TenderGuardError
from tenderguard.render import badges as badges_module
from tenderguard.render.badges import LAYOUTS, BadgeCard, RenderResult, render_badges, render_html
from tenderguard.render.environment import render_template, template_environment, templates_dir
from tenderguard.render.fetcher import TemplateFetcher
from tenderguard.render.fonts import cjk_font, missing_characters
from tenderguard.render.qr import qr_png

#: These tests read the English wording of the messages (the catalogue's msgids); test_i18n checks the Chinese.
pytestmark = pytest.mark.usefixtures("english_module")

MM = 72 / 25.4
PDFTOPPM = shutil.which("pdftoppm")
HOSTILE = "<img src=file:///etc/passwd>"


@dataclass(frozen=True)
class Rendered:
    """A PDF rendered once for several tests."""

    cards: list[BadgeCard]
    result: RenderResult
    reader: PdfReader

    def text(self, page: int | None = None) -> str:
        """The extracted text of one page, or of the whole document, with line breaks (of wrapped text) removed."""
        pages = self.reader.pages if page is None else [self.reader.pages[page]]
        return "".join(p.extract_text().replace("\n", "") for p in pages)


def as_dict(value: object) -> DictionaryObject:
    """A PDF dictionary, through its indirect reference if it is one."""
    resolved = value.get_object() if hasattr(value, "get_object") else value
    assert isinstance(resolved, DictionaryObject)
    return resolved


def rasterise(pdf: Path, page: int, folder: Path) -> Image.Image:
    """Page ``page`` (1-based) of ``pdf`` as a 200 dpi PNG, drawn by poppler's pdftoppm."""
    if PDFTOPPM is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    prefix = folder / f"{pdf.stem}-p{page}"
    subprocess.run(
        [PDFTOPPM, "-r", "200", "-png", "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(prefix)],
        check=True,
        timeout=60,
    )
    return Image.open(f"{prefix}.png")


def decoded(image: Image.Image) -> list[tuple[str, int, int]]:
    """Every QR code zxing-cpp reads on ``image``: its text and the pixel centre of its top-left corner."""
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    return [(code.text, code.position.top_left.x, code.position.top_left.y) for code in found]


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """Eleven badges on A4 sheets (two pages), the ninth a first reprint, one company with markup in its name."""
    cards = [make_card(i) for i in range(1, 12)]
    cards[8] = make_card(9, reprint=1, qr_payload=payload(cards[8].serial, 1))
    cards[10] = make_card(11, company=HOSTILE)
    out = tmp_path_factory.mktemp("sheet") / "day.pdf"
    result = render_badges(cards, out)
    return Rendered(cards, result, PdfReader(out))


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def layout_pdf(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Rendered]:
    """Three badges rendered in each layout."""
    cards = [make_card(i, colour=colour) for i, colour in ((1, "#1976d2"), (2, "#fbc02d"), (3, "#388e3c"))]
    out = tmp_path_factory.mktemp(request.param) / f"{request.param}.pdf"
    result = render_badges(cards, out, layout=request.param)
    return request.param, Rendered(cards, result, PdfReader(out))


# ------------------------------------------------------------------------------------------------ content


def test_sheet_result_counts_pages_badges_and_bytes(sheet: Rendered) -> None:
    """render_badges reports the PDF's path, its pages (8 cards a page), the badges and the file size."""
    assert sheet.result.badges == 11
    assert sheet.result.pages == 2 == len(sheet.reader.pages)
    assert sheet.result.bytes == sheet.result.path.stat().st_size > 0
    assert sheet.reader.metadata is not None
    assert sheet.reader.metadata.title == "入场健康标识 2026-11-23"


def test_sheet_text_holds_every_name_company_serial_and_date(sheet: Rendered) -> None:
    """Each card's holder, company, serial, role, hall, session, date and weekday are in the PDF's text."""
    for page, cards in ((0, sheet.cards[:8]), (1, sheet.cards[8:])):
        text = sheet.text(page)
        for card in cards:
            for value in (card.holder, card.company, card.serial, card.role, card.hall, *card.sessions):
                assert value is not None
                assert value in text, value
        assert text.count("2026-11-23 星期一") == len(cards)
        assert text.count("密云区公共资源交易中心") == len(cards)


def test_reprint_is_marked_on_its_card_only(sheet: Rendered) -> None:
    """The first reprint shows 补打 1; originals show no reprint mark."""
    assert "补打 1" not in sheet.text(0)
    page_two = sheet.text(1)
    assert page_two.count("补打 1") == 1
    assert page_two.index(sheet.cards[8].serial) > page_two.index("补打 1")  # on the reprinted card's band


def test_markup_in_a_name_is_printed_as_text(sheet: Rendered) -> None:
    """A company named <img src=file:///etc/passwd> is printed literally; nothing of /etc/passwd is loaded."""
    text = sheet.text(1)
    assert HOSTILE in text
    assert "root:" not in sheet.text()
    images = {
        name
        for page in sheet.reader.pages
        for name, xobject in as_dict(as_dict(page["/Resources"])["/XObject"]).items()
        if str(as_dict(xobject)["/Subtype"]) == "/Image"
    }
    assert len(images) == len(sheet.cards)  # the QR codes, and no other image


# ------------------------------------------------------------------------------------------------ QR codes


def test_sheet_qr_codes_decode_to_their_cards_payloads(sheet: Rendered, tmp_path: Path) -> None:
    """At 200 dpi every QR code of a full A4 page decodes to its own card's payload, in every row and column."""
    image = rasterise(sheet.result.path, 1, tmp_path)
    codes = decoded(image)
    assert len(codes) == 8
    for text, x, y in codes:
        column = 0 if x < image.width / 2 else 1
        row = int(y / image.height * 297 - 24.5) // 62  # the sheet's 62 mm rows start 24.5 mm down
        assert text == sheet.cards[row * 2 + column].qr_payload


def test_reprint_qr_code_decodes_on_the_partial_last_page(sheet: Rendered, tmp_path: Path) -> None:
    """The last page (three cards) decodes too: the reprint's code carries its reprint payload."""
    codes = decoded(rasterise(sheet.result.path, 2, tmp_path))
    assert sorted(text for text, _, _ in codes) == sorted(card.qr_payload for card in sheet.cards[8:])
    assert ".1.0800-1800." in sheet.cards[8].qr_payload


def test_fixed_mask_qr_codes_decode_for_many_payloads() -> None:
    """With the fixed mask and level M, 150 random payloads of 100–300 characters all decode exactly."""
    rng = random.Random(2026)
    alphabet = string.ascii_letters + string.digits + "|.-_:=+/"
    for _ in range(150):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(100, 301)))
        image = Image.open(BytesIO(qr_png(text, scale=3)))
        assert [code.text for code in zxingcpp.read_barcodes(image)] == [text]


# ------------------------------------------------------------------------------------------------ layouts


#: Page size in mm and page count of three cards, by layout.
PAGES = {"a4-8": (210, 297, 1), "card": (85, 54, 3), "label": (100, 70, 3)}


def test_layout_page_size_and_count(layout_pdf: tuple[str, Rendered]) -> None:
    """A4 holds all three cards on one page; card and label print one card a page, of their own size."""
    layout, rendered = layout_pdf
    width_mm, height_mm, pages = PAGES[layout]
    assert rendered.result.pages == pages == len(rendered.reader.pages)
    for page in rendered.reader.pages:
        assert float(page.mediabox.width) == pytest.approx(width_mm * MM, abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(height_mm * MM, abs=0.5)


def test_every_layout_prints_text_and_readable_codes(layout_pdf: tuple[str, Rendered], tmp_path: Path) -> None:
    """In each layout the first page's text names its badges and its QR codes decode to their payloads."""
    layout, rendered = layout_pdf
    on_first_page = rendered.cards if layout == "a4-8" else rendered.cards[:1]
    text = rendered.text(0)
    for card in on_first_page:
        assert card.serial in text
        assert card.holder in text
    codes = decoded(rasterise(rendered.result.path, 1, tmp_path))
    assert sorted(code for code, _, _ in codes) == sorted(card.qr_payload for card in on_first_page)


# ------------------------------------------------------------------------------------------------ fonts


def _fonts(reader: PdfReader) -> list[DictionaryObject]:
    """The font dictionaries used by the pages (descendant CID fonts included)."""
    fonts: list[DictionaryObject] = []
    for page in reader.pages:
        for reference in as_dict(as_dict(page["/Resources"])["/Font"]).values():
            font = as_dict(reference)
            fonts.append(font)
            fonts.extend(as_dict(descendant) for descendant in font.get("/DescendantFonts", []))
    return fonts


def test_fonts_are_embedded_subsets_of_the_chosen_cjk_font(sheet: Rendered) -> None:
    """Every font is embedded (a font file in its descriptor), subset (ABCDEF+ prefix) and the chosen family."""
    family = cjk_font().family.replace(" ", "-")
    embedded = [font for font in _fonts(sheet.reader) if "/FontDescriptor" in font]
    assert embedded
    for font in embedded:
        descriptor = as_dict(font["/FontDescriptor"])
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
        prefix, _, name = str(font["/BaseFont"]).lstrip("/").partition("+")
        assert len(prefix) == 6
        assert prefix.isupper()
        assert family in name
    names = {str(font["/BaseFont"]) for font in embedded}
    if cjk_font().bold is not None:  # Noto Sans CJK: a real bold face for names and dates
        assert any(name.endswith("-Bold") for name in names)
        assert any(not name.endswith("-Bold") for name in names)


def test_character_missing_from_the_font_is_named(tmp_path: Path) -> None:
    """An emoji or a CJK Extension B character the font lacks raises FontCoverageError naming it; no PDF."""
    assert missing_characters("张\U0001f600\U00020000") == ["\U0001f600", "\U00020000"]
    out = tmp_path / "tofu.pdf"
    out.write_bytes(b"yesterday's sheet")
    cards = [make_card(1), make_card(2, holder="张\U0001f600", company="北京\U00020000建设有限公司")]
    with pytest.raises(FontCoverageError) as caught:
        render_badges(cards, out)
    error = caught.value
    assert isinstance(error, RenderError)
    assert isinstance(error, TenderGuardError)
    assert error.field == f"{cards[1].serial} company, {cards[1].serial} holder"
    assert error.missing == ("\U0001f600", "\U00020000")
    assert "U+1F600 \U0001f600, U+20000 \U00020000" in str(error)
    assert error.font == cjk_font().family
    assert out.read_bytes() == b"yesterday's sheet"  # nothing written over the old file
    with pytest.raises(FontCoverageError, match="U\\+1F600 \U0001f600"):
        render_badges([make_card(3, holder="王\U0001f600")], out)


# ------------------------------------------------------------------------------------------------ refused input


@pytest.mark.parametrize(
    "char",
    ["\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f"],
)
@pytest.mark.parametrize("field", ["holder", "company", "hall", "role"])
def test_bidi_marks_are_refused_naming_the_field(char: str, field: str) -> None:
    """Right-to-left overrides, embeddings, isolates and marks are refused with the field and code point."""
    with pytest.raises(RenderError) as caught:
        make_card(1, **{field: f"公司{char}ABC"})
    assert caught.value.field == field
    assert f"U+{ord(char):04X}" in str(caught.value)
    assert "bidirectional" in str(caught.value)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\n", "\t", "\x1b", "\x7f", "\u2028", "\ufeff", "\u200b"])
def test_control_characters_are_refused_naming_the_field(char: str) -> None:
    """Control, format and separator characters are refused; a session names its index."""
    with pytest.raises(RenderError) as caught:
        make_card(1, sessions=("MY-01", f"MY{char}02"))
    assert caught.value.field == "sessions[1]"
    assert f"U+{ord(char):04X}" in str(caught.value)


def test_overlong_text_is_refused_not_cut() -> None:
    """A 200-character company (or holder) is refused with its length and the limit, never silently cut."""
    with pytest.raises(RenderError, match=r"company: is 200 characters long; at most 100 fit") as caught:
        make_card(1, company="某" * 200)
    assert caught.value.field == "company"
    assert caught.value.hint is not None
    with pytest.raises(RenderError, match="holder: is 13 characters"):
        make_card(1, holder="张" * 13)


def test_longest_accepted_texts_fit_one_card_per_page(tmp_path: Path) -> None:
    """Every field at its longest still fits its card: one page per card, all of the text printed."""
    card = make_card(
        1,
        centre_name="北京市密云区公共资源交易中心分中心东区",
        title="入场健康标识临时证件",
        company="中" * 48,
        holder="欧阳**Alexand",
        role="招标代理机构人员",
        hall="第一开标室（东楼三层三零一号）",
        sessions=("MY-20261123-01", "MY-20261123-02", "密云区某道路施工"),
        reprint=99,
        serial="MYABC-20261123-000000007",
    )
    result = render_badges([card, make_card(2, company=None)], tmp_path / "long.pdf", layout="card")
    assert result.pages == 2
    text = PdfReader(result.path).pages[0].extract_text().replace("\n", "")
    for value in (card.centre_name, card.title, card.holder, card.hall, "补打 99", card.serial):
        assert value in text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"colour": "#d32f2"}, "colour"),
        ({"weekday": "星期二"}, "weekday"),
        ({"day": dt.datetime(2026, 11, 23, 9, 0)}, "day"),  # noqa: DTZ001  # the type is what is refused
        ({"reprint": -1}, "reprint"),
        ({"reprint": True}, "reprint"),
        ({"serial": "MY 2026"}, "serial"),
        ({"holder": "   "}, "holder"),
        ({"sessions": ("A", "B", "C", "D", "E")}, "sessions"),
        ({"sessions": ("某" * 20, "某" * 20, "某")}, "sessions"),
        ({"qr_payload": "x" * 301}, "qr_payload"),
    ],
)
def test_badge_card_refuses_malformed_values(changes: dict[str, Any], field: str) -> None:
    """Malformed colours, weekdays, days, reprint counts, serials, blank names and session lists are refused."""
    with pytest.raises(RenderError) as caught:
        make_card(1, **changes)
    assert caught.value.field == field


def test_render_badges_refuses_unknown_layout_and_empty_batch(tmp_path: Path) -> None:
    """An unknown layout and an empty batch are RenderErrors, before anything is written."""
    with pytest.raises(RenderError, match="unknown layout 'a5'"):
        render_badges([make_card(1)], tmp_path / "x.pdf", layout="a5")
    with pytest.raises(RenderError, match="no badges"):
        render_badges([], tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


# ------------------------------------------------------------------------------------------------ the fetcher


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "file://localhost/etc/passwd",
        "file://example.com/etc/passwd",
        "http://example.invalid/badge.css",
        "https://example.invalid/logo.png",
        "ftp://example.invalid/x",
        "gopher://example.invalid/",
        "javascript:alert(1)",
        "data:text/html,<script>1</script>",
        "data:image/png;base64,iVBORw0KGgo=",
    ],
)
def test_fetcher_refuses_files_outside_templates_network_and_foreign_data(url: str) -> None:
    """file:// outside the templates folder, every network scheme and data: URLs not made by us are refused."""
    with pytest.raises(RenderError, match="refused"):
        TemplateFetcher()(url)


def test_fetcher_refuses_a_path_escaping_the_templates_folder() -> None:
    """A file:// URL climbing out of the templates folder with ../ is refused after resolving the path."""
    escape = (templates_dir() / "badges").as_uri() + "/../../../../../../etc/passwd"
    with pytest.raises(RenderError, match="outside the templates folder"):
        TemplateFetcher()(escape)


def test_fetcher_serves_template_files_and_its_own_data() -> None:
    """Files inside the templates folder and data: URLs registered with the fetcher load."""
    fetcher = TemplateFetcher()
    css = fetcher((templates_dir() / "badges" / "badge.css").as_uri())
    assert css.content_type == "text/css"
    assert b".card" in css.read()
    url = fetcher.register(b"\x89PNG fake", "image/png")
    assert url.startswith("data:image/png;base64,")
    response = fetcher(url)
    assert response.read() == b"\x89PNG fake"
    assert response.content_type == "image/png"


@pytest.mark.parametrize(
    "html",
    [
        '<img src="file:///etc/passwd">',
        '<link rel="stylesheet" href="http://example.invalid/x.css"><p>x</p>',
        '<p style="background: url(file:///etc/shadow)">x</p>',
        '<img src="../../../../../../etc/passwd">',
    ],
)
def test_document_naming_a_forbidden_resource_is_not_rendered(html: str, tmp_path: Path) -> None:
    """HTML that names a file outside the templates or a network resource stops with RenderError."""
    out = tmp_path / "hostile.pdf"
    with pytest.raises(RenderError, match="refused"):
        render_html(f"<!DOCTYPE html><html><body>{html}</body></html>", out, layout=LAYOUTS["card"])


# ------------------------------------------------------------------------------------------------ templates


def test_environment_autoescapes_and_refuses_undefined_names() -> None:
    """The one Jinja environment escapes markup and turns undefined names into RenderError."""
    assert template_environment().from_string("{{ name }}").render(name=HOSTILE) == (
        "&lt;img src=file:///etc/passwd&gt;"
    )
    with pytest.raises(RenderError, match="undefined"):
        render_template("badges/sheet.html", layout="a4-8")
    with pytest.raises(RenderError, match="not found"):
        render_template("badges/no-such.html")


def test_templates_folder_is_found() -> None:
    """The templates folder holds the badge sheet, its stylesheets and crop marks."""
    folder = templates_dir() / "badges"
    names = ("sheet.html", "badge.css", "crop-marks.svg", "crop-sheet.svg", *(x.stylesheet for x in LAYOUTS.values()))
    for name in names:
        assert (folder / name).is_file(), name


# ------------------------------------------------------------------------------------------------ batches


def test_progress_is_reported_from_zero_to_total(tmp_path: Path) -> None:
    """progress(done, total) starts at 0 and ends at the total, never going back."""
    calls: list[tuple[int, int]] = []
    render_badges([make_card(i) for i in range(1, 4)], tmp_path / "p.pdf", progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 3)
    assert calls[-1] == (3, 3)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_a_batch_of_several_documents_is_joined_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch rendered as several documents (chunks) comes out joined, in order, complete, readable, 0600."""
    monkeypatch.setattr(badges_module, "CHUNK_SIZE", 16)
    cards = [make_card(i) for i in range(1, 43)]
    calls: list[tuple[int, int]] = []
    report: Callable[[int, int], None] = lambda done, total: calls.append((done, total))  # noqa: E731
    result = render_badges(cards, tmp_path / "parallel.pdf", progress=report)
    assert (result.pages, result.badges) == (6, 42)
    assert len(calls) == 4  # before, then once a chunk
    assert calls[0] == (0, 42)
    assert calls[-1] == (42, 42)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    reader = PdfReader(result.path)
    for page_number, page in enumerate(reader.pages):
        text = page.extract_text()
        serials = [card.serial for card in cards[page_number * 8 : page_number * 8 + 8]]
        assert all(serial in text for serial in serials)
    codes = decoded(rasterise(result.path, 6, tmp_path))
    assert sorted(code for code, _, _ in codes) == sorted(card.qr_payload for card in cards[40:])
    assert result.path.stat().st_mode & 0o777 == 0o600
