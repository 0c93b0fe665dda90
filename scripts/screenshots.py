"""Make the README's example pictures of printed documents: a refusal letter and a bidder sign-in sheet.

    .venv/bin/python scripts/screenshots.py                  # writes docs/images/refusal-letter.png, signin-sheet.png
    .venv/bin/python scripts/screenshots.py --out DIR --pdf  # elsewhere, keeping the PDFs beside the pictures

Both documents are made the way a centre makes them — a fever refusal screened at an in-memory gate whose policy
tells the community (the residence recorded at the desk), its letters as PDF; a session's sign-in sheet from its
admitted bidders — and their first page is drawn by poppler's ``pdftoppm`` at 80 dpi. Names and numbers are
made up (valid check digits, no real person).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import attrs

from tenderguard import Agency, BidSession, Centre, Gate, InMemoryStore, ManualClock, load_preset
from tenderguard.domain.model import SHANGHAI, Arrival
from tenderguard.factories import credit_code, resident_id
from tenderguard.notices.letter_pdf import write_letter_pdf
from tenderguard.policy import RefusalNotices
from tenderguard.reports.signin_writers import write_signin_pdf

ROOT = Path(__file__).resolve().parent.parent
CENTRE = Centre(code="MY", name="密云区公共资源交易中心")
SESSION = "MY-2026-118"
OPENS = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)
COMPANIES = ("北京市密云建设工程有限公司", "北京顺潮市政工程有限公司", "北京燕山园林绿化有限公司",
             "北京京密水利工程有限公司", "北京鼓楼建筑装饰有限公司", "北京怀柔路桥工程有限公司")
PEOPLE = ("张伟", "王秀英", "李娜", "刘洋", "陈静", "杨帆")
DPI = "80"


def _gate() -> tuple[Gate, ManualClock]:
    """A gate of the example centre on miyun-2020 telling the community, with one agency-run session."""
    clock = ManualClock(dt.datetime(2026, 11, 23, 8, 40, tzinfo=SHANGHAI))
    policy = attrs.evolve(load_preset("miyun-2020"), notices=RefusalNotices(notify_community=True))
    gate = Gate(policy=policy, centre=CENTRE, uow_factory=InMemoryStore(CENTRE).unit_of_work, clock=clock,
                secret=b"tenderguard-screenshots-secret-32")
    gate.register_agency(Agency(code="ZX", name="北京正信招标代理有限公司"))
    gate.register_session(BidSession(code=SESSION, project_name="京沈客专密云站市政配套道路顺潮街道路工程施工",
                                     opens_at=OPENS, hall="第一开标室", agency="ZX"))
    return gate, clock


def _screen(gate: Gate, clock: ManualClock, n: int, celsius: float) -> str:
    """Screen bidder ``n`` through every step at ``celsius`` (a fever is re-measured until it is refused)."""
    desk = gate.desk("A", "王芳")
    view = desk.arrive(Arrival(session=SESSION, role="bidder", name=PEOPLE[n], document=resident_id(n + 1),
                               company=COMPANIES[n], credit_code=credit_code(n + 1), at=clock.now()))
    for _ in range(30):
        if view.closed:
            break
        names = {action.split("(")[0] for action in view.expected}
        if "mask" in names:
            view = desk.mask(view.id, "ok")
        elif "measure" in names:
            clock.advance(minutes=6)
            view = desk.measure(view.id, celsius)
        elif "answer" in names:
            view = desk.answer(view.id, {q.id: False for q in gate.policy.questions})
        elif "declare" in names:
            view = desk.declare(view.id, "complete")
        else:
            view = desk.confirm(view.id)
    clock.advance(minutes=2)
    return view.id


def make_documents(folder: Path) -> dict[str, Path]:
    """Write the refusal letter (to the company) and the sign-in sheet as PDFs into ``folder``; their paths."""
    gate, clock = _gate()
    refused = _screen(gate, clock, 5, 38.6)
    gate.record_residence(refused, "鼓楼街道沿湖社区", actor=gate.desk("A", "王芳").actor)
    for n in range(len(COMPANIES) - 1):
        _screen(gate, clock, n, 36.5)
    [notice] = gate.refusal_notices(OPENS.date(), operator="王芳")
    letter = next(letter for letter in notice.letters if letter.recipient == "company")
    clock.set(max(clock.now(), OPENS + dt.timedelta(minutes=5)))  # a sign-in sheet is made after the opening
    sheet = gate.signin_sheet(SESSION, operator="王芳")
    return {"refusal-letter": write_letter_pdf(letter, folder / "refusal-letter.pdf"),
            "signin-sheet": write_signin_pdf(sheet, folder / "signin-sheet.pdf")}


def first_page_png(pdf: Path, png: Path, *, dpi: str = DPI) -> Path:
    """The PDF's first page drawn by poppler's pdftoppm as ``png``."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise SystemExit("pdftoppm is missing: install poppler-utils (bash scripts/run.sh setup)")
    subprocess.run([pdftoppm, "-r", dpi, "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),  # noqa: S603 - poppler, our own files
                    str(png.with_suffix(""))], check=True, timeout=120)
    return png


def main(argv: list[str] | None = None) -> int:
    """Write the pictures (and with ``--pdf`` the PDFs) into ``--out``; print where they went."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="the folder to write to")
    parser.add_argument("--pdf", action="store_true", help="keep the PDFs beside the pictures")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tenderguard-screenshots-") as scratch:
        folder = args.out if args.pdf else Path(scratch)
        for name, pdf in make_documents(folder).items():
            print(first_page_png(pdf, args.out / f"{name}.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
