"""The README's pictures: scripts/screenshots.py makes a refusal letter and a sign-in sheet, drawn by pdftoppm."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image, ImageOps
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    """scripts/screenshots.py, loaded as a module."""
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Each document's PDF and the PNG of its first page."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    script = _script()
    folder = tmp_path_factory.mktemp("screenshots")
    return {name: (pdf, script.first_page_png(pdf, folder / f"{name}.png"))
            for name, pdf in script.make_documents(folder).items()}


def _text(pdf: Path) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(pdf).pages)


def _inked(png: Path) -> Image.Image:
    """The picture, checked to be an A4 portrait page with ink on it."""
    page = Image.open(png)
    width, height = page.size
    assert 1.3 < height / width < 1.5  # A4 portrait
    grey = ImageOps.grayscale(page)
    assert sum(grey.histogram()[:160]) > 0.005 * width * height
    return grey


def test_the_refusal_letter_picture_shows_letterhead_number_date_stamp_area_and_a_masked_name(
        made: dict[str, tuple[Path, Path]]) -> None:
    """The letter's text: centre, 文号, date, 盖章处, 签发人, 杨* (never 杨帆); its page drawn, with ink at the top."""
    pdf, png = made["refusal-letter"]
    text = _text(pdf)
    for expected in ("密云区公共资源交易中心", "〔2026〕MY健通字第0001号", "2026年11月23日", "盖章处", "签发人",
                     "杨*", "北京怀柔路桥工程有限公司：", "关于贵单位人员未能进入开标现场的通报"):
        assert expected in text, expected
    assert "杨帆" not in text
    grey = _inked(png)
    width, height = grey.size
    assert ImageOps.invert(grey.crop((0, 0, width, height // 5))).getbbox() is not None  # the letterhead


def test_the_signin_sheet_picture_shows_the_headers_and_the_companies(made: dict[str, tuple[Path, Path]]) -> None:
    """The sheet's text: title, the six column headers, a company and its masked representative; its page drawn."""
    pdf, png = made["signin-sheet"]
    text = _text(pdf)
    for expected in ("投标人签到表", "序号", "投标单位", "统一社会信用代码", "代表（签字）", "到场时间", "健康标识编号",
                     "北京市密云建设工程有限公司", "张*", "MY-20261123-0001"):
        assert expected in text, expected
    assert "北京怀柔路桥工程有限公司" not in text  # refused: not on the sheet
    _inked(png)


def test_the_readme_shows_the_pictures_the_script_makes() -> None:
    """docs/images holds both pictures and the README links them."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("refusal-letter", "signin-sheet"):
        assert (ROOT / "docs" / "images" / f"{name}.png").is_file()
        assert f"docs/images/{name}.png" in readme
