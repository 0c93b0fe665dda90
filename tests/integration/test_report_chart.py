"""The daily report's hourly chart stays readable when every arrival falls in one hour (PDF page 2, its pixels)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from gatekit import COMPANIES, PEOPLE, Harness
from PIL import Image
from pypdf import PdfReader

from tenderguard.reports.chart import CHART_MM, WORKING_HOURS, hourly_chart, scale
from tenderguard.reports.figures import DailyReport
from tenderguard.reports.writers import render_report_html, write_report_pdf

PDFTOPPM = shutil.which("pdftoppm")
#: The bars' colour (daily.css: #3b6db3).
BAR = (0x3B, 0x6D, 0xB3)


@pytest.mark.parametrize(("tallest", "expected"), [(1, (1, 1)), (3, (3, 1)), (4, (4, 1)), (7, (8, 2)),
                                                   (12, (15, 5)), (37, (40, 10)), (50, (50, 10)), (101, (150, 50))])
def test_the_vertical_scale_is_round_with_at_most_five_steps(tallest: int, expected: tuple[int, int]) -> None:
    """The axis's top is a multiple of a 1-2-5 step at or above the busiest hour, in five steps or fewer."""
    top, step = scale(tallest)
    assert (top, step) == expected
    assert top >= tallest
    assert top // step <= 5


@pytest.fixture(scope="module")
def one_hour() -> DailyReport:
    """Four bidders admitted between 08:30 and 08:39: every arrival in the 08:00 hour."""
    h = Harness("miyun-2020")
    for person, company in zip(PEOPLE[:4], COMPANIES[:4], strict=True):
        h.admit(person, company)
        h.clock.advance(minutes=3)
    report, problems = h.gate.daily_report(h.clock.now().date())
    assert problems == []
    assert [(x.label, x.arrivals) for x in report.hourly] == [("08:00", 4)]
    return report


def test_one_hour_of_arrivals_is_one_column_among_the_working_hours(one_hour: DailyReport) -> None:
    """The chart spans 08:00 to 17:00 with one bar, its height its share of a round top, ticks 1 to 4."""
    chart = hourly_chart(one_hour)
    assert chart is not None
    labels = [c.label for c in chart.columns]
    assert labels == [f"{hour:02d}:00" for hour in range(WORKING_HOURS[0], WORKING_HOURS[1] + 1)]
    assert [c.arrivals for c in chart.columns if c.arrivals] == [4]
    assert chart.columns[0].height == CHART_MM
    assert [t.value for t in chart.ticks] == [4, 3, 2, 1]
    html = render_report_html(one_hour)
    for axis in ("纵轴", "横轴", "到达人次", "到达时段"):
        assert axis in html


def test_an_evening_arrival_widens_the_span(one_hour: DailyReport) -> None:
    """Arrivals outside the working hours add their hour to the chart instead of being cut off."""
    import attrs  # noqa: PLC0415 - only this test reshapes a report

    late = attrs.evolve(one_hour.hourly[0], hour=one_hour.hourly[0].hour.replace(hour=19))
    chart = hourly_chart(attrs.evolve(one_hour, hourly=(*one_hour.hourly, late)))
    assert chart is not None
    assert [c.label for c in chart.columns][-1] == "19:00"
    assert [c.label for c in chart.columns if c.arrivals] == ["08:00", "19:00"]


def test_the_pdf_page_2_chart_has_labelled_axes_and_a_narrow_bar(one_hour: DailyReport, tmp_path: Path) -> None:
    """Page 2 prints the axes' names, the hours and the ticks; the one bar takes a small part of the plot's width."""
    pdf = write_report_pdf(one_hour, tmp_path / "report.pdf")
    reader = PdfReader(pdf)
    chart_page = next(i for i, page in enumerate(reader.pages) if "分时段到达人次" in page.extract_text())
    assert chart_page == 1  # page 2
    text = "".join(reader.pages[chart_page].extract_text().split())
    for expected in ("纵轴", "横轴", "08:00", "12:00", "17:00"):
        assert expected in text, expected
    if PDFTOPPM is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    prefix = tmp_path / "page2"
    subprocess.run([PDFTOPPM, "-r", "100", "-png", "-f", "2", "-l", "2", "-singlefile", str(pdf), str(prefix)],
                   check=True, timeout=60)
    page = Image.open(f"{prefix}.png").convert("RGB")
    width = page.size[0]
    raw = page.tobytes()
    columns = {(i // 3) % width for i in range(0, len(raw), 3)
               if all(abs(raw[i + k] - BAR[k]) <= 12 for k in range(3))}
    assert columns, "no bar drawn"
    bar_width = max(columns) - min(columns) + 1
    assert bar_width < 0.06 * width  # about 7 mm of a 210 mm page, not the whole plot
    assert min(columns) < width // 4  # the 08:00 column, at the left of the plot
