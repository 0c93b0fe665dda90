"""Refusal letters on every store: the residence kept and purged, stable 文号, and the letters as PDF (text, pixels)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import subprocess
from pathlib import Path

import attrs
import openpyxl
import pytest
from gatekit import CENTRE, COMPANIES, MORNING, PEOPLE, SECRET, Harness, HarnessFactory
from PIL import Image, ImageOps
from pypdf import PdfReader

from tenderguard import Gate, ManualClock
from tenderguard.domain.model import SHANGHAI, Agency, BidSession
from tenderguard.notices.letter_pdf import write_refusal_letters
from tenderguard.notices.refusals import RefusalNotice
from tenderguard.policy import Policy, RefusalNotices, load_policy

PDFTOPPM = shutil.which("pdftoppm")
RESIDENCE = "鼓楼街道沿湖社区"
AGENCY_SESSION = "MY-2026-130"


def _policy() -> Policy:
    """miyun-2020 telling the community, the agency told only 健康原因."""
    return attrs.evolve(load_policy("miyun-2020"), notices=RefusalNotices(notify_community=True))


def _refuse(h: Harness) -> str:
    """Register the agency's session and refuse one bidder for fever; the screening's id."""
    h.gate.register_agency(Agency(code="ZX", name="北京正信招标代理有限公司"))
    h.gate.register_session(BidSession(code=AGENCY_SESSION, project_name="密云区污水管网改造工程",
                                       opens_at=MORNING + dt.timedelta(hours=2), hall="第一开标室", agency="ZX"))
    view = h.run(h.desk.arrive(h.arrival(PEOPLE[0], COMPANIES[0], session=AGENCY_SESSION)), until="temperature")
    while not view.closed:
        view = h.desk.measure(view.id, 38.6)
        h.clock.advance(minutes=30)
    assert view.reason == "fever"
    assert view.asks_residence
    return view.id


def test_the_residence_and_the_number_are_stored_and_read_back(make: HarnessFactory, tmp_path: Path) -> None:
    """Recorded at one gate, read by a fresh gate on the same database: one community letter, the same 文号.

    The residence is for that letter only: an export, even unmasked, never holds it.
    """
    h = make(_policy())
    refused = _refuse(h)
    h.gate.record_residence(refused, RESIDENCE, actor=h.desk.actor)
    day = h.clock.now().date()
    [first] = h.gate.refusal_notices(day)
    assert first.reference == "〔2026〕MY健通字第0001号"
    later = ManualClock(h.clock.now() + dt.timedelta(days=2))
    other = Gate(policy=_policy(), centre=CENTRE, uow_factory=h.store.unit_of_work, clock=later, secret=SECRET)
    [again] = other.refusal_notices(day)
    assert again.reference == first.reference
    assert [letter.text for letter in again.letters] == [letter.text for letter in first.letters]
    community = next(letter for letter in again.letters if letter.recipient == "community")
    assert f"{RESIDENCE}：" in community.text
    assert other.desk("B", "李娜").view(refused).residence_given
    other.export(day, str(tmp_path / "day.csv"), unmasked=True, operator="王芳")
    other.export(day, str(tmp_path / "day.xlsx"), fmt="xlsx", unmasked=True, operator="王芳")
    sheet = openpyxl.load_workbook(tmp_path / "day.xlsx").worksheets[0]
    cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row]
    assert RESIDENCE not in (tmp_path / "day.csv").read_text(encoding="utf-8-sig") + "".join(cells)


def test_a_refusal_of_a_session_postponed_since_keeps_its_letters_and_their_opening(make: HarnessFactory) -> None:
    """Refused on 11-23, the session postponed twice since: the 11-23 letters name it, its 10:30 opening, that day."""
    h = make(_policy())
    _refuse(h)
    day = h.clock.now().date()
    h.gate.postpone_session(AGENCY_SESSION, dt.datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI), operator="王芳")
    h.gate.postpone_session(AGENCY_SESSION, dt.datetime(2026, 11, 27, 14, 0, tzinfo=SHANGHAI), operator="王芳")
    [notice] = h.gate.refusal_notices(day)
    assert (notice.session, notice.refused_on, notice.reference) == (AGENCY_SESSION, day, "〔2026〕MY健通字第0001号")
    assert [letter.recipient for letter in notice.letters] == ["company", "agency"]  # no residence recorded
    for letter in notice.letters:
        assert "“密云区污水管网改造工程”（场次MY-2026-130，2026年11月23日10时30分开标" in letter.text
        assert "11月27日" not in letter.text
        assert letter.blocks()[-1].endswith("2026年11月23日")
    assert h.gate.refusal_notices(dt.date(2026, 11, 27)) == []


def test_serials_count_on_through_the_year_and_start_again_the_next(make: HarnessFactory) -> None:
    """A refusal notified on a later day of 2026 gets 0002; one of 2027 starts at 0001 again."""
    h = make(_policy())
    _refuse(h)
    assert [n.serial for n in h.gate.refusal_notices(h.clock.now().date())] == [1]
    with h.uow() as uow:
        following = uow.screenings.next_letter_serial("MY", 2026)
        next_year = uow.screenings.next_letter_serial("MY", 2027)
        uow.commit()
    assert (following, next_year) == (2, 1)


def test_the_purge_clears_the_residence_with_the_health_data(make: HarnessFactory) -> None:
    """Past the health-data period the residence is gone, like the readings; the letter number stays."""
    h = make(_policy())
    refused = _refuse(h)
    h.gate.record_residence(refused, RESIDENCE, actor=h.desk.actor)
    h.gate.refusal_notices(h.clock.now().date())
    h.gate.purge(today=h.clock.now().date() + dt.timedelta(days=40))
    with h.uow() as uow:
        found = uow.screenings.get(refused)
    assert found is not None
    assert (found.residence, found.letter_serial, found.reason) == (None, 1, "health")
    assert not h.desk.view(refused).asks_residence


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> tuple[RefusalNotice, Path]:
    """The three letters of one refusal written as text and PDF."""
    h = Harness(_policy())
    refused = _refuse(h)
    h.gate.record_residence(refused, RESIDENCE, actor=h.desk.actor)
    [notice] = h.gate.refusal_notices(h.clock.now().date())
    folder = tmp_path_factory.mktemp("letters")
    write_refusal_letters(notice, folder)
    return notice, folder


def _text(pdf: Path) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(pdf).pages)


def test_each_letter_is_written_as_text_and_pdf_named_by_session_and_serial(
        letters: tuple[RefusalNotice, Path]) -> None:
    """Six owner-only files: {session}-0001-{company,community,agency}.{txt,pdf}, each PDF one A4 page."""
    _notice, folder = letters
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(f"{AGENCY_SESSION}-0001-{r}.{ext}" for r in ("agency", "community", "company")
                           for ext in ("pdf", "txt"))
    for path in folder.iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for pdf in folder.glob("*.pdf"):
        [page] = PdfReader(pdf).pages
        assert round(float(page.mediabox.width) / 72 * 25.4) == 210


def test_the_pdf_has_the_letterhead_number_date_stamp_area_and_only_the_masked_name(
        letters: tuple[RefusalNotice, Path]) -> None:
    """Centre, 〔2026〕MY健通字第0001号, 2026年11月23日, 盖章处, 签发人; 张* never 张伟; the agency's 健康原因."""
    notice, folder = letters
    masked = notice.holder
    for letter in notice.letters:
        text = _text(folder / letter.pdf_filename)
        for expected in ("密云区公共资源交易中心", "〔2026〕MY健通字第0001号", "2026年11月23日", "盖章处", "签发人",
                         masked, letter.blocks()[0]):
            assert expected in text, (letter.recipient, expected)
        assert PEOPLE[0].name not in text
    assert "健康原因" in _text(folder / f"{AGENCY_SESSION}-0001-agency.pdf")
    assert "体温" not in _text(folder / f"{AGENCY_SESSION}-0001-agency.pdf")
    assert RESIDENCE in _text(folder / f"{AGENCY_SESSION}-0001-community.pdf")


def _page(pdf: Path, folder: Path) -> Image.Image:
    """The first page at 60 dpi, drawn by poppler's pdftoppm."""
    if PDFTOPPM is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    prefix = folder / pdf.stem
    subprocess.run([PDFTOPPM, "-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(prefix)],
                   check=True, timeout=60)
    return Image.open(f"{prefix}.png").convert("RGB")


def test_the_letter_page_is_drawn_with_a_red_letterhead_and_stamp_area(letters: tuple[RefusalNotice, Path],
                                                                       tmp_path: Path) -> None:
    """Poppler draws ink on the page; red ink at the top (the letterhead) and further down (the stamp area)."""
    notice, folder = letters
    page = _page(folder / notice.letters[0].pdf_filename, tmp_path)
    width, height = page.size
    assert width < height
    assert ImageOps.invert(ImageOps.grayscale(page)).getbbox() is not None

    def red(box: tuple[int, int, int, int]) -> int:
        raw = page.crop(box).tobytes()
        return sum(1 for i in range(0, len(raw), 3) if raw[i] > 150 and raw[i + 1] < 90 and raw[i + 2] < 90)

    assert red((0, 0, width, height // 5)) > 50  # the centre's name in red over its red rule
    assert red((width // 3, height // 2, width, height)) > 10  # the dashed stamp circle
