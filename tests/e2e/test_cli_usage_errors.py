"""A usage mistake on the command line is one line in the catalogue's language, exit 2; --help still works."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner, Result

from tenderguard.cli import cli

CJK = re.compile("[\u4e00-\u9fff]")


def run(*args: str, lang: str | None = None) -> Result:
    """Run ``tenderguard ARGS`` in this process, in English when ``lang`` says so."""
    return CliRunner(env={"LANG": lang} if lang else None).invoke(cli, list(args), prog_name="tenderguard")


def _one_line(result: Result) -> str:
    """The only line a usage mistake writes, on standard error."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    return line


@pytest.mark.parametrize(("args", "expected"), [
    (["badge", "verify", "--nope"], "错误：没有--nope这个选项（用法见tenderguard badge verify --help）"),
    (["--nope"], "错误：没有--nope这个选项（用法见tenderguard --help）"),
    (["report", "--dat", "2026-11-23"],
     "错误：没有--dat这个选项，是不是--date、--db、--format？（用法见tenderguard report --help）"),
    (["report", "--date", "明天", "--out", "r.csv"],
     "错误：--date要写成YYYY-MM-DD格式的日期（用法见tenderguard report --help）"),
    (["export", "--format", "pdf"], "错误：--format只能是csv、xlsx之一（用法见tenderguard export --help）"),
    (["badge", "verify"], "错误：缺少CODE（用法见tenderguard badge verify --help）"),
    (["id", "110101199003070011", "extra"], "错误：多出了参数：extra，请去掉（用法见tenderguard id --help）"),
])
def test_a_usage_mistake_is_one_chinese_line(args: list[str], expected: str) -> None:
    """An unknown option, a malformed or missing value, an extra argument: one Chinese line, no usage text."""
    assert _one_line(run(*args)) == expected


def test_an_unknown_command_lists_the_commands_there_are() -> None:
    """`tenderguard badge nosuch` names the mistake and the group's commands, in Chinese."""
    line = _one_line(run("badge", "nosuch"))
    assert line.startswith("错误：没有nosuch这个命令，可用的命令：")
    assert "verify" in line
    assert "Usage" not in line


def test_the_commands_own_usage_mistakes_read_the_same_way() -> None:
    """A mistake a command finds itself (an unmasked export without --operator) is one line in the same frame."""
    line = _one_line(run("export", "--date", "2026-11-23", "--out", "x.csv", "--unmasked"))
    assert line.startswith("错误：")
    assert line.endswith("（用法见tenderguard export --help）")
    assert "--operator" in line


def test_lang_en_gives_clicks_english_line() -> None:
    """With LANG=en the same mistake is click's English line, still one line and exit 2."""
    line = _one_line(run("badge", "verify", "--nope", lang="en_US.UTF-8"))
    assert line == "Error: No such option '--nope'. (see tenderguard badge verify --help)"
    assert not CJK.search(line)


def test_help_still_works() -> None:
    """--help and -h print the (English) usage and exit 0; `tenderguard` alone shows the commands."""
    for args in (["--help"], ["badge", "verify", "-h"]):
        shown = run(*args)
        assert shown.exit_code == 0, shown.output
        assert shown.stdout.startswith("Usage: tenderguard")
    alone = run()
    assert "Commands:" in alone.output
