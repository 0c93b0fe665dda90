"""Policies and identities: list, show and check policies, draw the machine, check an ID number."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs
import click

from tenderguard.i18n import N_, _, format_date, ngettext
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
        raise click.UsageError(_("give --preset or --policy, not both"))
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
    return _("yes") if flag else _("no")


_ON_RISK = {"refuse": N_("refuse entry"), "refer": N_("refer (arranged separately)"), "record": N_("record only")}
_KEY_AREA = {"refer": N_("refer (arranged separately)"), "refuse": N_("refuse entry"), "screen": N_("screen as usual")}
_SERVICES = {"separate_room": N_("separate room"), "proxy": N_("proxy by staff"), "remote": N_("remote bid opening")}
_COLOURS = {"green": N_("green"), "yellow": N_("yellow"), "red": N_("red")}
_OTHER_SESSION = {"flag": N_("screen as usual, flag it and tell the supervisor"),
                  "refuse": N_("refuse entry and tell the supervisor")}


def _named(table: dict[str, str], code: str) -> str:
    """A code's name from one of the tables above, in the current language; an unknown code as itself."""
    return _(table[code]) if code in table else code


def _step_settings(step: Step) -> list[str]:
    """A step's settings, one line each (a confirm or questions step has none of its own)."""
    from tenderguard.policy import (  # noqa: PLC0415 - each command imports what it uses
        DeclarationStep,
        HealthCodeStep,
        MaskStep,
        NucleicTestStep,
        QuestionsStep,
        TemperatureStep,
    )
    if isinstance(step, MaskStep):
        return [_("a bad mask is replaced at the desk: {answer}", answer=_yes(step.replace_allowed))]
    if isinstance(step, TemperatureStep):
        return [_("fever threshold: ≥ {threshold:.1f} °C (inclusive)", threshold=step.threshold),
                _("plausible readings: {low:.1f}–{high:.1f} °C (outside: a measuring error, measure again)",
                  low=step.plausible_min, high=step.plausible_max),
                _("rest after a fever: re-measure after {minutes} min", minutes=step.rest_minutes),
                _("re-measures: at most {count} (refused if still a fever)", count=step.remeasures),
                _("measuring errors: at most {count}", count=step.max_measuring_errors),
                _("health questions asked here too: {answer}", answer=_yes(step.ask_questions))]
    if isinstance(step, QuestionsStep):
        return [_("asks the health questions (below)")]
    if isinstance(step, DeclarationStep):
        return [_("the form is required: {answer}", answer=_yes(step.required)),
                _("may be filled in at the desk: {answer}", answer=_yes(step.fill_in_at_desk))]
    if isinstance(step, HealthCodeStep):
        return [_("health codes accepted: {colours}", colours=_(", ").join(_named(_COLOURS, c) for c in step.accepted))]
    if isinstance(step, NucleicTestStep):
        return [_("negative nucleic-acid test: within {hours} h", hours=step.max_age_hours)]
    return [_("the operator confirms it is done")]


def _people(count: int | None) -> str:
    return _("no limit") if count is None else _("{count} people", count=count)


def _sections(p: Policy) -> list[tuple[str, str, str]]:
    """Everything besides steps and questions: (label, value, the policy file's key)."""
    from tenderguard.domain.catalogue import reason_label, role_label  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.policy import Role  # noqa: PLC0415 - each command imports what it uses
    labels = {s.id: s.label for s in p.steps}
    rows = [(_("daily places per organisation · {role}", role=role_label(role)), _people(p.quota(role)),
             f"quotas.{role}") for role in Role]
    rows += [(_("hall capacity · {hall}", hall=hall), _people(cap), f"halls.{hall}")
             for hall, cap in p.hall_capacity.items()]
    rows.append((_("hall capacity · other halls") if p.hall_capacity else _("hall capacity"),
                 _people(p.default_hall_capacity), "default_hall_capacity"))
    action = _named(_KEY_AREA, p.key_area.action)
    if p.key_area.services:
        action = _("{action} ({services})", action=action,
                   services=_(", ").join(_named(_SERVICES, s) for s in p.key_area.services))
    steps = _(", ").join(labels.get(s, s) for s in p.reentry.steps) or _("no steps")
    rows += [
        (_("people from a key area"), action, "key_area"),
        (_("entering again the same day"), _("allowed, repeating: {steps}", steps=steps) if p.reentry.allowed
         else _("not allowed"), "reentry"),
        (_("one person for two bidders · same session"), _("refuse entry and tell the supervisor"), "—"),
        (_("one person for two bidders · another session"),
         _named(_OTHER_SESSION, p.signals.same_person_other_session), "signals.same_person_other_session"),
        (_("health data kept"), _("{days} days", days=p.retention.health_data_days), "retention.health_data_days"),
        (_("attendance records kept"), _("{days} days", days=p.retention.attendance_days),
         "retention.attendance_days"),
        (_("the full ID number is kept"), _yes(p.store_full_id), "store_full_id"),
        (_("refusal reasons the company is told of"),
         _(", ").join(reason_label(r) for r in p.notices.reasons) or _("none"), "notices.reasons"),
        (_("the community is told too"), _yes(p.notices.notify_community), "notices.notify_community"),
        (_("the agency is told the reason"), _yes(p.notices.tell_agency_reason), "notices.tell_agency_reason"),
        (_("health badge title"), p.badge.title, "badge.title"),
        (_("badge colours"), _("{count} colours, one a day in turn", count=len(p.badge.palette)), "badge.palette"),
    ]
    return rows


@policy.command("show")
@click.argument("policy_spec", metavar="[PRESET|FILE]", required=False, default="miyun-2020")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def policy_show(policy_spec: str, as_json: bool) -> None:
    """Show a policy (preset or TOML file; default the configured one, else miyun-2020), every setting explained.

    Steps are numbered steps[0], steps[1]… as `policy check` names them, each with its settings (threshold, rest,
    re-measures…); then the questions, quotas, hall capacities, re-entry, signals, retention and badge.
    """
    from rich.console import Console  # noqa: PLC0415 - each command imports what it uses
    from rich.table import Table  # noqa: PLC0415 - each command imports what it uses
    from rich.text import Text  # noqa: PLC0415 - each command imports what it uses

    from tenderguard.domain.catalogue import reason_label  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    p = load_policy(policy_spec)
    if as_json:
        click.echo(json.dumps(_policy_dict(p), ensure_ascii=False, indent=2))
        return
    console = Console()
    console = console if console.is_terminal else Console(width=_UNWRAPPED)
    console.print(f"{p.name} — {p.title}", markup=False, highlight=False)
    steps = Table(_("number"), _("step"), _("kind"), _("settings"),
                  title=ngettext("{n} entry step", "{n} entry steps", len(p.steps)), title_justify="left")
    for i, step in enumerate(p.steps):
        # A policy's own words are shown as written, never read as rich markup ([必做] stays).
        steps.add_row(*map(Text, (f"steps[{i}]", step.label, f"{step.kind}:{step.id}",
                                  "\n".join(_step_settings(step)))))
    console.print(steps)
    if p.questions:
        asked = Table(_("number"), _("question"), _("on the risky answer"), _("reason"),
                      title=ngettext("{n} health question", "{n} health questions", len(p.questions)),
                      title_justify="left")
        for i, q in enumerate(p.questions):
            asked.add_row(*map(Text, (f"questions[{i}]", q.text,
                                      _("answer “{answer}”: {action}", answer=_yes(q.risk_answer),
                                        action=_named(_ON_RISK, q.on_risk)), reason_label(q.reason))))
        console.print(asked)
    else:
        console.print(_("health questions: none"), markup=False, highlight=False)
    rest = Table(_("item"), _("setting"), _("key"), title=_("places, halls, retention and the rest"),
                 title_justify="left")
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
    click.echo(_("ok: {p_name} ({length} steps)", p_name=p.name, length=len(p.steps)))


@cli.command("id")
@click.argument("number")
@click.option("--kind", default=None, help="Document kind (resident_id, hmt_residence_permit, passport, other).")
def identity_check(number: str, kind: str | None) -> None:
    """Validate an identity document number and show it masked."""
    from tenderguard.identity import parse_document  # noqa: PLC0415 - each command imports what it uses
    doc = parse_document(number, kind)
    born = _(", born {day}", day=format_date(doc.birth_date)) if doc.birth_date else ""
    click.echo(_("valid {kind}: {doc}{born}", kind=doc.kind, doc=doc.masked(), born=born))
