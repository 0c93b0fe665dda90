"""The `tenderguard` command, driven with click's CliRunner: batch screening, policies, diagrams, errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tenderguard.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "arrivals.jsonl"


def _results(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_screen_batch_sample_file() -> None:
    """The sample queue yields one result per line with the outcomes the sample was written to show."""
    result = CliRunner().invoke(cli, ["screen", "--register-sessions", "--batch", str(SAMPLE)])
    assert result.exit_code == 3  # the sample ends with one invalid line on purpose
    rows = _results(result.stdout)
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(lines)
    by_line = {row["line"]: row for row in rows}
    assert by_line[2]["outcome"] == "admitted"
    assert by_line[4]["outcome"] == "refused"
    assert by_line[4]["reason"] == "fever"
    assert by_line[6]["outcome"] == "refused"
    assert by_line[6]["reason"] == "company_quota"
    assert by_line[7]["outcome"] == "referred"
    assert by_line[7]["reason"] == "key_area"
    assert by_line[10]["outcome"] == "admitted"
    assert by_line[10]["badge"] != by_line[2]["badge"]
    assert by_line[11]["badge"] == by_line[3]["badge"]  # re-entry after lunch keeps the badge
    assert by_line[12]["outcome"] == "invalid"
    assert by_line[12]["field"] == "name"
    assert "1行无效" in result.stderr


def test_screen_registers_unknown_session_with_warning(tmp_path: Path) -> None:
    """A session code seen for the first time is registered, with a warning on stderr."""
    batch = tmp_path / "one.jsonl"
    batch.write_text(json.dumps({
        "session": "NEW-1", "name": "李娜", "id_number": "11010519491231002X", "company": "北京某某公司",
        "credit_code": "91350100M000100Y43", "at": "2026-11-23T09:00:00+08:00", "temperatures": [36.5],
    }, ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["screen", "--register-sessions", "--batch", str(batch), "--policy", "miyun-2020"])
    assert result.exit_code == 0, result.output
    assert "警告：场次NEW-1未登记" in result.stderr
    assert _results(result.stdout)[0]["outcome"] == "admitted"


def test_bad_lines_do_not_stop_the_batch(tmp_path: Path) -> None:
    """Broken JSON, a temperature as text and a time without offset are invalid; later lines still run."""
    good = {"session": "S1", "name": "李娜", "id_number": "11010519491231002X", "company": "北京某某公司",
            "credit_code": "91350100M000100Y43", "at": "2026-11-23T09:00:00+08:00", "temperatures": [36.5]}
    lines = [
        "{not json",
        json.dumps(good | {"temperatures": ["hot"]}),
        json.dumps(good | {"at": "2026-11-23T09:00:00"}),
        json.dumps(good | {"declaration": "lost"}),
        json.dumps(good),
    ]
    batch = tmp_path / "mixed.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["screen", "--register-sessions", "--batch", str(batch)])
    rows = _results(result.stdout)
    assert [r["outcome"] for r in rows] == ["invalid", "invalid", "invalid", "invalid", "admitted"]
    assert rows[1]["field"] == "temperatures[0]"
    assert rows[2]["field"] == "at"
    assert "没有 UTC 偏移" in str(rows[2]["message"])
    assert rows[3]["field"] == "declaration"
    assert result.exit_code == 3


def test_policy_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    """An invalid policy file exits 1 with its key-path problems and no traceback."""
    bad = tmp_path / "bad.toml"
    preset = (ROOT / "tenderguard" / "presets" / "miyun-2020.toml").read_text(encoding="utf-8")
    bad.write_text(preset.replace("threshold = 37.3", "threshold = 45.0"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["policy", "check", str(bad)])
    assert result.exit_code == 1
    assert "steps[3].threshold：45.0高于42.5" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_policy_list_show_and_diagram() -> None:
    """Presets are listed and shown; the diagram is Mermaid with every step of the policy."""
    runner = CliRunner()
    listed = runner.invoke(cli, ["policy", "list"])
    assert listed.exit_code == 0
    assert {"miyun-2020", "health-code", "badge-only"} <= {ln.split("\t")[0] for ln in listed.stdout.splitlines()}
    shown = runner.invoke(cli, ["policy", "show", "miyun-2020", "--json"])
    data = json.loads(shown.stdout)
    assert [s["id"] for s in data["steps"]][:3] == ["mask", "shoe_disinfection", "hand_sanitiser"]
    diagram = runner.invoke(cli, ["diagram", "--preset", "health-code"])
    assert "stateDiagram-v2" in diagram.stdout
    for step in ("health_code", "nucleic_test", "temperature_rest", "declaration_fill_in", "admitted"):
        assert step in diagram.stdout


def test_identity_check_masks_and_refuses() -> None:
    """`tenderguard id` shows a valid number masked and refuses a wrong check digit with exit 1."""
    runner = CliRunner()
    ok = runner.invoke(cli, ["id", "11010519491231002X"])
    assert ok.exit_code == 0
    assert "110105********002X" in ok.stdout
    bad = runner.invoke(cli, ["id", "110105194912310021"])
    assert bad.exit_code == 1
    assert "身份证号：校验码是" in bad.stderr


def test_unknown_preset_is_a_clear_error() -> None:
    """A policy that is neither a preset nor a file is reported, naming the presets."""
    result = CliRunner().invoke(cli, ["diagram", "--preset", "nope"])
    assert result.exit_code == 1
    assert "miyun-2020" in result.stderr
