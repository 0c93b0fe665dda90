"""`tenderguard notify refusals`: each letter as text and PDF, and a line for each community letter not written."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader

from tenderguard.cli import cli

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "arrivals.jsonl"


def _day(tmp_path: Path) -> tuple[Path, Path]:
    """The sample queue screened on a SQLite day, and a policy that also tells the community."""
    db = tmp_path / "day.db"
    policy = tmp_path / "community.toml"
    preset = (resources.files("tenderguard") / "presets" / "miyun-2020.toml").read_text(encoding="utf-8")
    policy.write_text(preset + "\n[refusal_notices]\nnotify_community = true\n", encoding="utf-8")
    screened = CliRunner().invoke(cli, ["screen", "--register-sessions", "--batch", str(SAMPLE), "--db", str(db)])
    assert screened.exit_code in (0, 3), screened.output
    return db, policy


def test_letters_are_written_as_text_and_pdf_and_a_missing_residence_is_named(tmp_path: Path) -> None:
    """The fever refusal's company letter in .txt and .pdf with its 文号; no residence: one line, no community one."""
    db, policy = _day(tmp_path)
    out = tmp_path / "letters"
    args = ["notify", "refusals", "--date", "2026-11-23", "--out", str(out), "--db", str(db), "--policy", str(policy)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert [n.rsplit("-", 2)[1:] for n in names] == [["0001", "company.pdf"], ["0001", "company.txt"]]
    reference = "〔2026〕MY健通字第0001号"
    [line] = [line for line in result.stdout.splitlines() if reference in line]
    assert names[0].rsplit("-", 2)[0] in line  # the session
    assert "*" in line  # the person, masked
    pdf = "".join("".join(page.extract_text().split()) for page in PdfReader(out / names[0]).pages)
    for expected in (reference, "2026年11月23日", "盖章处", "签发人"):
        assert expected in pdf
    again = CliRunner().invoke(cli, args)  # made again: the same number, the same files
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in out.iterdir()) == names
