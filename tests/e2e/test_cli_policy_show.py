"""`policy show`: every setting of a policy in Chinese, its steps numbered as `policy check` names them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tenderguard.cli import cli

ROOT = Path(__file__).resolve().parents[2]
CUSTOM = """
name = "my-centre"
title = "本中心进场检查"

[[steps]]
id = "registration"
kind = "confirm"
label = "登记[必做]"

[[steps]]
id = "temperature"
kind = "temperature"
label = "测温"
threshold = {threshold}
rest_minutes = 10
remeasures = 1

[[steps]]
id = "questions"
kind = "questions"
label = "问询"

[[questions]]
id = "symptoms"
text = "近14天内是否有发热、干咳等症状?"
on_risk = "refuse"
reason = "symptoms"

[quotas]
bidder = 1
agency = 2

[halls]
"第三开标室" = 25

[signals]
same_person_other_session = "refuse"

[retention]
health_data_days = 14
attendance_days = 730
"""


def _tg(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _line(output: str, *words: str) -> str:
    """The one line of the output holding all of ``words``."""
    [line] = [ln for ln in output.splitlines() if all(w in ln for w in words)]
    return line


def test_the_miyun_preset_shows_every_setting_in_chinese() -> None:
    """steps[0]…steps[5] with the fever threshold, rest and re-measures; questions, quotas, halls, retention."""
    shown = _tg("policy", "show", "miyun-2020")
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert out.startswith("miyun-2020 — 密云区六步式进场检查（2020）")
    labels = ["佩戴口罩", "脚踩84消毒垫", "手喷酒精", "测温问体", "递表（健康调查表）核实", "废罩密封（丢弃）"]
    for i, label in enumerate(labels):
        assert label in _line(out, f"steps[{i}]")
    assert "发热阈值：≥ 37.3 °C（含）" in _line(out, "steps[3]")
    for setting in ("有效读数：34.0–42.5 °C", "发热后休息：5分钟后复测", "复测次数：最多2次", "同时询问健康问题：是",
                    "可当场填写：是"):
        assert setting in out
    assert "拒绝进入" in _line(out, "questions[0]", "症状", "有症状")
    assert "转介" in _line(out, "questions[1]")
    assert "3人" in _line(out, "每单位每日限额·招标代理", "quotas.agency")
    assert "1人" in _line(out, "每单位每日限额·投标人")
    assert "不限" in _line(out, "每单位每日限额·评标专家")
    assert "40人" in _line(out, "开标室容量·第一开标室")
    assert "30人" in _line(out, "开标室容量·第二开标室")
    assert "28天" in _line(out, "健康数据保存", "retention.health_data_days")
    assert "1095天" in _line(out, "进场记录保存")
    assert "照常检查，标记并报告监督人员" in _line(out, "另一场次", "signals.same_person_other_session")
    assert "佩戴口罩、手喷酒精、测温问体" in _line(out, "当日再次进场")


def test_a_policy_file_is_numbered_as_policy_check_names_its_steps(tmp_path: Path) -> None:
    """The step `policy check` calls steps[1] is steps[1] in `policy show`, with the file's own values."""
    bad = tmp_path / "bad.toml"
    bad.write_text(CUSTOM.format(threshold="45.0"), encoding="utf-8")
    checked = _tg("policy", "check", str(bad))
    assert checked.exit_code == 1
    assert "steps[1].threshold" in checked.stderr
    good = tmp_path / "my-centre.toml"
    good.write_text(CUSTOM.format(threshold="37.5"), encoding="utf-8")
    shown = _tg("policy", "show", str(good))
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert "测温" in _line(out, "steps[1]", "发热阈值：≥ 37.5 °C")
    assert "登记[必做]" in _line(out, "steps[0]")  # the policy's words, not read as markup
    assert "询问健康问题" in _line(out, "steps[2]")
    assert "发热后休息：10分钟后复测" in out
    assert "复测次数：最多1次" in out
    assert "2人" in _line(out, "招标代理")
    assert "25人" in _line(out, "开标室容量·第三开标室")
    assert "14天" in _line(out, "健康数据保存")
    assert "730天" in _line(out, "进场记录保存")
    assert "拒绝进入" in _line(out, "另一场次")


@pytest.mark.parametrize("preset", ["miyun-2020", "health-code", "badge-only"])
def test_every_preset_shows_and_json_is_unchanged(preset: str) -> None:
    """Each preset shows all its steps; --json still gives the policy's fields."""
    shown = _tg("policy", "show", preset)
    assert shown.exit_code == 0, shown.output
    data = json.loads(_tg("policy", "show", preset, "--json").stdout)
    assert data["name"] == preset
    for i, step in enumerate(data["steps"]):
        assert step["label"] in _line(shown.stdout, f"steps[{i}]")


def test_without_a_name_it_shows_the_configured_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`policy show` alone shows the policy of tenderguard.toml, else miyun-2020."""
    monkeypatch.chdir(tmp_path)
    assert _tg("policy", "show").stdout.startswith("miyun-2020 — ")
    (tmp_path / "tenderguard.toml").write_text('policy = "badge-only"\n', encoding="utf-8")
    assert _tg("policy", "show").stdout.startswith("badge-only — ")
    assert "健康问题：无" in _tg("policy", "show").stdout
