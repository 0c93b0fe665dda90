"""Policies and identities: list, show and check policies, draw the machine, check an ID number."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs
import click

from tenderguard.policy import list_presets

if TYPE_CHECKING:

    from tenderguard.policy import Policy

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


@policy.command("show")
@click.argument("spec")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def policy_show(spec: str, as_json: bool) -> None:
    """Show a policy (preset name or TOML file): its steps, quotas and retention."""
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    p = load_policy(spec)
    if as_json:
        click.echo(json.dumps(_policy_dict(p), ensure_ascii=False, indent=2))
        return
    click.echo(f"{p.name} — {p.title}")
    for i, step in enumerate(p.steps, start=1):
        click.echo(f"  {i}. {step.label} [{step.kind}:{step.id}]")
    quotas = ", ".join(f"{r}≤{n}" for r, n in p.quotas.items() if n is not None)
    click.echo(f"  quotas per organisation per day: {quotas}")
    click.echo(f"  questions: {len(p.questions)}; re-entry repeats: {', '.join(p.reentry.steps) or 'nothing'}")
    click.echo(f"  retention: health data {p.retention.health_data_days} days, "
               f"attendance {p.retention.attendance_days} days")


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
