"""The bidder sign-in sheet as a PDF (text, pixels, pages) and as XLSX, and made by the gate on each store."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import attrs
import openpyxl
import pytest
from gatekit import COMPANIES, HALL_1, PEOPLE, SESSION, Harness, HarnessFactory
from PIL import Image, ImageOps
from pypdf import PdfReader

from tenderguard.domain.model import SHANGHAI, Centre
from tenderguard.reports.signin import Replaced, SigninRow, SigninSession, SigninSheet
from tenderguard.reports.signin_writers import COLUMNS, render_signin_html, write_signin_pdf, write_signin_xlsx

PDFTOPPM = shutil.which("pdftoppm")
OPENING = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)
CENTRE = Centre(code="MY", name="密云区公共资源交易中心")
HOSTILE = "<b>北京标记</b>有限公司"
SURNAMES = "张李王刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
TRADES = ("建设工程", "市政工程", "园林绿化", "水利工程", "医疗器械", "机电设备", "建筑装饰", "环境科技")


def _row(n: int) -> SigninRow:
    """Company ``n`` of the day: its Chinese name, a credit-code-shaped number, a masked name, a serial."""
    name = f"北京{TRADES[n % len(TRADES)]}有限公司第{n}分公司"
    replaced = (Replaced(badge="MY-20261123-0999", representative="欧阳**"),) if n == 3 else ()
    return SigninRow(company=HOSTILE if n == 5 else name, credit_code=f"91110228MA00A{n:04d}X",
                     representative=f"{SURNAMES[n % len(SURNAMES)]}*", badge=f"MY-20261123-{n:04d}",
                     arrived_at=OPENING - dt.timedelta(minutes=90) + dt.timedelta(minutes=n), replaced=replaced)


def sheet_of(count: int) -> SigninSheet:
    """A sheet of ``count`` companies for session MY-2026-118."""
    session = SigninSession(code=SESSION, project="京沈客专密云站市政配套道路顺潮街道路工程施工", opens_at=OPENING,
                            hall=HALL_1, agency="北京正信招标代理有限公司", agency_code="ZX")
    return SigninSheet(centre=CENTRE, session=session, rows=tuple(_row(n) for n in range(1, count + 1)),
                       made_at=OPENING + dt.timedelta(minutes=10))


@dataclass(frozen=True)
class Written:
    """A sheet written once as PDF for several tests."""

    sheet: SigninSheet
    path: Path
    reader: PdfReader

    def text(self, page: int | None = None) -> str:
        """The extracted text of one page, or of all, without line breaks."""
        pages = self.reader.pages if page is None else [self.reader.pages[page]]
        return "".join(p.extract_text().replace("\n", "") for p in pages)


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """Eight companies: one page."""
    sheet = sheet_of(8)
    path = write_signin_pdf(sheet, tmp_path_factory.mktemp("short") / "signin.pdf")
    return Written(sheet, path, PdfReader(path))


@pytest.fixture(scope="module")
def long(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """Sixty companies: several pages."""
    sheet = sheet_of(60)
    path = write_signin_pdf(sheet, tmp_path_factory.mktemp("long") / "signin.pdf")
    return Written(sheet, path, PdfReader(path))


def rasterise(pdf: Path, page: int, folder: Path) -> Image.Image:
    """Page ``page`` (1-based) of ``pdf`` as a 100 dpi PNG, drawn by poppler's pdftoppm."""
    if PDFTOPPM is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    prefix = folder / f"{pdf.stem}-p{page}"
    subprocess.run([PDFTOPPM, "-r", "100", "-png", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                    str(prefix)], check=True, timeout=60)
    return Image.open(f"{prefix}.png")


def test_the_pdf_holds_the_title_session_headers_and_every_row(short: Written) -> None:
    """Title, centre, project, session, hall, agency, opening time, the six headers, companies, names, serials."""
    text = short.text()
    for expected in ("投标人签到表", CENTRE.name, short.sheet.session.project, SESSION, HALL_1,
                     "北京正信招标代理有限公司", "2026年11月23日", "09:30", *COLUMNS,
                     "招标代理机构（签字）", "监督人员（签字）", "第 1 页 共 1 页"):
        assert expected in text.replace("投 标 人 签 到 表", "投标人签到表"), expected
    for row in short.sheet.rows:
        assert row.badge in text
        assert row.credit_code in text
        assert row.representative in text
        assert f"{row.arrived_at.astimezone(SHANGHAI):%H:%M}" in text
    squeezed = "".join(text.split())  # a wrapped name comes out with a space where it wrapped
    assert all(row.company in squeezed for row in short.sheet.rows)
    assert "<b>北京标记</b>有限公司" in squeezed  # markup is printed as text
    assert "换人：接替欧阳**(MY-20261123-0999)" in squeezed
    assert len(short.reader.pages) == 1


def test_the_pdf_is_private_and_its_page_is_not_blank(short: Written, tmp_path: Path) -> None:
    """The file is readable by its owner only; poppler draws a page with ink on it (text and table lines)."""
    assert stat.S_IMODE(os.stat(short.path).st_mode) == 0o600
    page = rasterise(short.path, 1, tmp_path)
    width, height = page.size
    assert width < height  # A4 portrait
    grey = ImageOps.grayscale(page)
    dark = sum(grey.histogram()[:128])
    assert dark > 0.01 * width * height
    top = grey.crop((0, 0, width, height // 4))
    assert ImageOps.invert(top).getbbox() is not None  # the heading area holds ink


def test_sixty_companies_flow_over_pages_with_the_header_on_each(long: Written) -> None:
    """Sixty rows take two pages or more; each page repeats the column headers; every serial printed once."""
    pages = long.reader.pages
    assert len(pages) >= 2
    for index in range(len(pages)):
        text = long.text(index)
        assert all(header in text for header in COLUMNS), index
        assert f"第 {index + 1} 页 共 {len(pages)} 页" in text
    whole = long.text()
    for row in long.sheet.rows:
        assert whole.count(row.badge) == 1, row.badge
    assert "监督人员（签字）" in long.text(len(pages) - 1)


def test_the_last_page_of_a_long_sheet_is_drawn(long: Written, tmp_path: Path) -> None:
    """The last page (rows, then the signatures) is drawn with ink."""
    page = rasterise(long.path, len(long.reader.pages), tmp_path)
    assert ImageOps.invert(ImageOps.grayscale(page)).getbbox() is not None


def test_an_empty_session_prints_a_sheet_saying_so(tmp_path: Path) -> None:
    """No bidder admitted: the sheet says so, with the headers and the signature lines."""
    html = render_signin_html(sheet_of(0))
    assert "本场次没有准予进入的投标人" in html
    text = PdfReader(write_signin_pdf(sheet_of(0), tmp_path / "empty.pdf")).pages[0].extract_text()
    assert "本场次没有准予进入的投标人" in text


def test_the_xlsx_has_a_title_the_headers_and_real_date_times(tmp_path: Path) -> None:
    """Title row, the Chinese headers (and 备注), one row per company, arrival times as Excel date-times."""
    sheet = sheet_of(12)
    path = write_signin_xlsx(sheet, tmp_path / "signin.xlsx")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    book = openpyxl.load_workbook(path)
    page = book.active
    assert page is not None
    assert "投标人签到表" in str(page["A1"].value)
    assert SESSION in str(page["A3"].value)
    headers = [cell.value for cell in page[4]]
    assert headers == [*COLUMNS, "备注"]
    rows = list(page.iter_rows(min_row=5, values_only=True))
    assert len(rows) == 12
    for number, (values, row) in enumerate(zip(rows, sheet.rows, strict=True), start=1):
        assert values[0] == number
        assert values[1] == row.company
        assert values[2] == row.credit_code
        assert values[3] == row.representative
        assert isinstance(values[4], dt.datetime)
        assert values[4] == row.arrived_at.astimezone(SHANGHAI).replace(tzinfo=None)
        assert values[5] == row.badge
    assert page["E5"].number_format == "yyyy-mm-dd hh:mm"
    assert rows[2][6] == "换人：接替 欧阳**(MY-20261123-0999)"
    assert all(page.column_dimensions[letter].width >= 6 for letter in "ABCDEFG")
    assert page.column_dimensions["B"].width >= 30


def test_the_xlsx_quotes_text_a_spreadsheet_would_run(tmp_path: Path) -> None:
    """A company name starting with '=' is written as text, not as a formula."""
    sheet = sheet_of(1)
    formula = SigninSheet(centre=sheet.centre, session=sheet.session, made_at=sheet.made_at,
                          rows=(SigninRow(company="=HYPERLINK(\"http://x\")", credit_code="91110228MA00A0001X",
                                          representative="张*", arrived_at=OPENING, badge="MY-20261123-0001"),))
    page = openpyxl.load_workbook(write_signin_xlsx(formula, tmp_path / "f.xlsx")).active
    assert page is not None
    assert str(page["B5"].value).startswith("'=")


def test_the_gate_makes_the_same_sheet_on_every_store(make: HarnessFactory, tmp_path: Path) -> None:
    """Admissions and a substitution on memory, SQLite and PostgreSQL give the rows the sheet prints."""
    h: Harness = make("badge-only")
    first = h.admit(PEOPLE[0], COMPANIES[0])
    h.clock.advance(minutes=3)
    second = h.admit(PEOPLE[1], COMPANIES[1])
    h.clock.advance(minutes=3)
    assert first.badge is not None
    substitute = h.run(h.desk.substitute(h.arrival(PEOPLE[2], COMPANIES[0]), replaces=first.badge, reason="换人"))
    h.clock.set(OPENING)
    sheet = h.gate.signin_sheet(SESSION, operator="王芳")
    assert [(r.badge, r.representative) for r in sheet.rows] == [(second.badge, "李*"), (substitute.badge, "刘*")]
    assert [r.badge for r in sheet.rows[1].replaced] == [first.badge]
    text = "".join(p.extract_text() for p in PdfReader(write_signin_pdf(sheet, tmp_path / "s.pdf")).pages)
    assert substitute.badge is not None
    assert substitute.badge in text
    assert COMPANIES[0].name in text
    assert [e.kind for e in h.audit()].count("signin_sheet") == 1


def test_a_company_the_font_cannot_draw_prints_transliterated_or_by_its_code(tmp_path: Path) -> None:
    """``Łódź`` prints as ``Lódz`` (as on the badge); a name of emoji only is replaced by a note, not tofu."""
    base = sheet_of(2)
    rows = (attrs.evolve(base.rows[0], company="Łódź Construction Group"), attrs.evolve(base.rows[1], company="😀😀"))
    text = PdfReader(write_signin_pdf(attrs.evolve(base, rows=rows), tmp_path / "odd.pdf")).pages[0].extract_text()
    squeezed = "".join(text.split())
    assert "LódzConstructionGroup" in squeezed
    assert "（名称无法印出，以信用代码为准）" in squeezed
    assert rows[1].credit_code in text
