"""Policies and identities: list, show and check policies, draw the machine, check an ID number."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs
import click

from tenderguard.policy import list_presets

if TYPE_CHECKING:

    from tenderguard.policy import Policy, Step

from tenderguard.cli.common import (
    cli,
)

__all__ = ["diagram", "identity_check", "policy", "policy_check", "policy_list", "policy_show"]


@cli.command()
@click.option("--preset", default=None, help="A built-in preset name.")
@click.option("--policy", "policy_file", default=None, metavar="FILE",
              help="A policy TOML file.")
def diagram(preset: str | None, policy_file: str | None) -> None:
    """Print the screening state machine of a policy as a Mermaid diagram."""
    from tenderguard.domain.machine import ScreeningMachine  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    if preset and policy_file:
        raise click.UsageError("give --preset or --policy, not both")
    policy = load_policy(policy_file or preset or "miyun-2020")
    click.echo(ScreeningMachine(policy).mermaid())


@cli.group()
def policy() -> None:
    """List, show and check screening policies."""


@policy.command("list")
def policy_list() -> None:
    """List the built-in presets."""
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    for name in list_presets():
        click.echo(f"{name}\t{load_policy(name).title}")


def _policy_dict(p: Policy) -> dict[str, Any]:
    def convert(_inst: Any, _field: Any, value: Any) -> Any:
        return value

    data = attrs.asdict(p, value_serializer=convert)
    data["steps"] = [{"kind": s.kind, **attrs.asdict(s)} for s in p.steps]
    data["quotas"] = {str(k): v for k, v in p.quotas.items()}
    return data


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


_ON_RISK = {"refuse": "拒绝进入", "refer": "转介(另行安排)", "record": "仅记录"}
_KEY_AREA = {"refer": "转介(另行安排)", "refuse": "拒绝进入", "screen": "照常检查"}
_SERVICES = {"separate_room": "专厅", "proxy": "全程代办", "remote": "远程开标"}
_COLOURS = {"green": "绿码", "yellow": "黄码", "red": "红码"}
_OTHER_SESSION = {"flag": "照常检查,标记并报告监督人员", "refuse": "拒绝进入,并报告监督人员"}


def _step_settings(step: Step) -> list[str]:
    """A step's settings, one Chinese line each (a confirm or questions step has none of its own)."""
    from tenderguard.policy import (  # noqa: PLC0415 - each command imports what it uses
        DeclarationStep,
        HealthCodeStep,
        MaskStep,
        NucleicTestStep,
        QuestionsStep,
        TemperatureStep,
    )
    if isinstance(step, MaskStep):
        return [f"口罩不合格时当场更换: {_yes(step.replace_allowed)}"]
    if isinstance(step, TemperatureStep):
        return [f"发热阈值: ≥ {step.threshold:.1f} °C(含)",
                f"有效读数: {step.plausible_min:.1f}–{step.plausible_max:.1f} °C(范围外为测温无效,重测)",
                f"发热后休息: {step.rest_minutes} 分钟后复测",
                f"复测次数: 最多 {step.remeasures} 次(仍发热则拒绝进入)",
                f"测温无效: 最多 {step.max_measuring_errors} 次",
                f"同时询问健康问题: {_yes(step.ask_questions)}"]
    if isinstance(step, QuestionsStep):
        return ["询问健康问题(见下)"]
    if isinstance(step, DeclarationStep):
        return [f"必须交表: {_yes(step.required)}", f"可当场填写: {_yes(step.fill_in_at_desk)}"]
    if isinstance(step, HealthCodeStep):
        return ["接受的健康码: " + "、".join(_COLOURS.get(c, c) for c in step.accepted)]
    if isinstance(step, NucleicTestStep):
        return [f"核酸阴性证明: {step.max_age_hours} 小时内"]
    return ["操作员确认已完成"]


def _sections(p: Policy) -> list[tuple[str, str, str]]:
    """Everything besides steps and questions: (Chinese label, value, the policy file's key)."""
    from tenderguard.domain.catalogue import reason_label, role_label  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.policy import Role  # noqa: PLC0415 - each command imports what it uses
    labels = {s.id: s.label for s in p.steps}
    rows = [(f"每单位每日限额·{role_label(role)}", "不限" if p.quota(role) is None else f"{p.quota(role)} 人",
             f"quotas.{role}") for role in Role]
    rows += [(f"开标室容量·{hall}", f"{cap} 人", f"halls.{hall}") for hall, cap in p.hall_capacity.items()]
    others = "不限" if p.default_hall_capacity is None else f"{p.default_hall_capacity} 人"
    rows.append(("开标室容量·其他开标室" if p.hall_capacity else "开标室容量", others, "default_hall_capacity"))
    rows += [
        ("重点地区人员", _KEY_AREA.get(p.key_area.action, p.key_area.action)
         + ("(" + "、".join(_SERVICES.get(s, s) for s in p.key_area.services) + ")" if p.key_area.services else ""),
         "key_area"),
        ("当日再次进场", ("允许,重复: " + ("、".join(labels.get(s, s) for s in p.reentry.steps) or "无步骤"))
         if p.reentry.allowed else "不允许", "reentry"),
        ("同一人代表两家投标人·同一场次", "拒绝进入,并报告监督人员", "—"),
        ("同一人代表两家投标人·另一场次", _OTHER_SESSION.get(p.signals.same_person_other_session,
                                                    p.signals.same_person_other_session),
         "signals.same_person_other_session"),
        ("健康数据保存", f"{p.retention.health_data_days} 天", "retention.health_data_days"),
        ("进场记录保存", f"{p.retention.attendance_days} 天", "retention.attendance_days"),
        ("保存完整身份证号", _yes(p.store_full_id), "store_full_id"),
        ("拒绝后通知单位的原因", "、".join(reason_label(r) for r in p.notices.reasons) or "无", "notices.reasons"),
        ("同时通知社区", _yes(p.notices.notify_community), "notices.notify_community"),
        ("告知代理机构具体原因", _yes(p.notices.tell_agency_reason), "notices.tell_agency_reason"),
        ("健康标识标题", p.badge.title, "badge.title"),
        ("标识颜色", f"{len(p.badge.palette)} 种,逐日轮换", "badge.palette"),
    ]
    return rows


@policy.command("show")
@click.argument("policy_spec", metavar="[PRESET|FILE]", required=False, default="miyun-2020")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def policy_show(policy_spec: str, as_json: bool) -> None:
    """Show a policy (preset or TOML file; default the configured one, else miyun-2020), every setting in Chinese.

    Steps are numbered steps[0], steps[1]… as `policy check` names them, each with its settings (threshold, rest,
    re-measures…); then the questions, quotas, hall capacities, re-entry, signals, retention and badge.
    """
    from rich.console import Console  # noqa: PLC0415 - each command imports what it uses
    from rich.table import Table  # noqa: PLC0415 - each command imports what it uses
    from rich.text import Text  # noqa: PLC0415 - each command imports what it uses

    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    p = load_policy(policy_spec)
    if as_json:
        click.echo(json.dumps(_policy_dict(p), ensure_ascii=False, indent=2))
        return
    console = Console()
    console = console if console.is_terminal else Console(width=_UNWRAPPED)
    console.print(f"{p.name} — {p.title}", markup=False, highlight=False)
    steps = Table("编号", "步骤", "类型", "设置", title=f"进场步骤 {len(p.steps)} 步", title_justify="left")
    for i, step in enumerate(p.steps):
        # A policy's own words are shown as written, never read as rich markup ([必做] stays).
        steps.add_row(*map(Text, (f"steps[{i}]", step.label, f"{step.kind}:{step.id}",
                                  "\n".join(_step_settings(step)))))
    console.print(steps)
    if p.questions:
        asked = Table("编号", "问题", "回答“是”时", "原因", title=f"健康问题 {len(p.questions)} 个",
                      title_justify="left")
        for i, q in enumerate(p.questions):
            risky = "是" if q.risk_answer else "否"
            asked.add_row(*map(Text, (f"questions[{i}]", q.text,
                                      f"答“{risky}”: {_ON_RISK.get(q.on_risk, q.on_risk)}", q.reason)))
        console.print(asked)
    else:
        console.print("健康问题: 无", markup=False, highlight=False)
    rest = Table("项目", "设置", "键", title="限额、开标室、保存期限及其他", title_justify="left")
    for label, value, key in _sections(p):
        rest.add_row(Text(label), Text(value), Text(key))
    console.print(rest)


#: Wide enough for every row of `policy show` written to a file or a pipe, each on one line.
_UNWRAPPED = 200


@policy.command("check")
@click.argument("path")
def policy_check(path: str) -> None:
    """Check a policy file; print every problem by key path."""
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    p = load_policy(path)
    click.echo(f"ok: {p.name} ({len(p.steps)} steps)")


@cli.command("id")
@click.argument("number")
@click.option("--kind", default=None, help="Document kind (resident_id, hmt_residence_permit, passport, other).")
def identity_check(number: str, kind: str | None) -> None:
    """Validate an identity document number and show it masked."""
    from tenderguard.identity import parse_document  # noqa: PLC0415 - each command imports what it uses
    doc = parse_document(number, kind)
    born = f", born {doc.birth_date}" if doc.birth_date else ""
    click.echo(f"valid {doc.kind}: {doc.masked()}{born}")
