"""A batch line read and checked against the policy: the arrival and the desk's inputs for each step."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from tenderguard.domain.model import Arrival, aware
from tenderguard.domain.screening import DECLARATION_STATES, MASK_CONDITIONS
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _
from tenderguard.identity import parse_document
from tenderguard.policy import (
    DeclarationStep,
    HealthCodeStep,
    MaskStep,
    NucleicTestStep,
    Policy,
    QuestionsStep,
    TemperatureStep,
)

__all__ = ["ARRIVAL_FIELDS", "BatchRecord", "parse_arrival", "parse_record"]

#: A badge serial as printed (``MY-20261123-0007``).
SERIAL = re.compile(r"[A-Za-z0-9_./-]{1,64}-\d{8}-\d{4,6}")

#: The fields of an arrival (a batch line's first part; the JSON API's ``POST /api/v1/screenings``).
ARRIVAL_FIELDS = ("session", "role", "name", "id_number", "document_kind", "company", "credit_code", "phone",
                  "key_area", "at")
#: The arrival's fields that are text (or absent).
_TEXT_FIELDS = ARRIVAL_FIELDS[:-2]
_KNOWN = frozenset({*ARRIVAL_FIELDS, "mask", "temperatures", "answers", "declaration", "health_code", "test_at",
                    "test_negative", "hall", "replaces", "reason", "override"})
#: The fields of a line's supervisor's override (``{"release": ..., "reason": ..., "supervisor": ...}``).
_OVERRIDE_FIELDS = frozenset({"release", "reason", "supervisor", "reverses"})


@attrs.frozen
class BatchRecord:
    """One validated arrival line: the arrival and the desk's inputs for each step."""

    arrival: Arrival
    mask: str = "ok"
    temperatures: tuple[float, ...] = ()
    answers: Mapping[str, bool] = attrs.field(factory=dict)
    declaration: str = "complete"
    health_code: str | None = None
    test_at: dt.datetime | None = None
    test_negative: bool = True
    hall: str | None = None
    replaces: str | None = None
    reason: str | None = None
    #: A supervisor's override (see ``Desk.supervisor_override``): release, reason, supervisor, reverses.
    override: Mapping[str, str] | None = None


def _override(value: Any) -> Mapping[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - _OVERRIDE_FIELDS or not all(isinstance(v, str)
                                                                              for v in value.values()):
        raise InvalidInputError("override", _("is not an object of texts: release, reason, supervisor (reverses)"),
                                hint='e.g. {"release": "hall_full", "reason": "…", "supervisor": "李强"}')
    for field in ("release", "reason", "supervisor"):
        if not value.get(field, "").strip():
            raise InvalidInputError(f"override.{field}", _("is required"))
    return dict(value)


#: No reading is larger (a number beyond it is a typo, and would not even convert to a float).
_MAX_READING = 1000


def one_of_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose fields each appear once (``{"session": …, "session": …}`` is refused, not the last wins)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the field {key!r} appears twice")
        found[key] = value
    return found


def parse_time(value: Any, field: str) -> dt.datetime:
    if not isinstance(value, str):
        raise InvalidInputError(
            field, _("{value!r} is not an ISO time", value=value), hint="e.g. 2026-11-23T09:00:00+08:00"
        )
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(field, _("{value!r} is not an ISO time", value=value),
                                hint="e.g. 2026-11-23T09:00:00+08:00") from None
    return aware(parsed, field=field)


def _choice(obj: Mapping[str, Any], field: str, choices: tuple[str, ...], default: str) -> str:
    value = obj.get(field, default)
    if value not in choices:
        raise InvalidInputError(field, _("{value!r} is not one of {items}", value=value, items=_(", ").join(choices)))
    return str(value)


def _bool(obj: Mapping[str, Any], field: str, default: bool) -> bool:
    value = obj.get(field, default)
    if not isinstance(value, bool):
        raise InvalidInputError(field, _("{value!r} is not true or false", value=value))
    return value


def _check_texts(obj: Mapping[str, Any], fields: Iterable[str]) -> None:
    for field in fields:
        if obj.get(field) is not None and not isinstance(obj[field], str):
            raise InvalidInputError(field, _("{obj_part!r} is not a text", obj_part=obj[field]))


def _check_arrival_fields(obj: Mapping[str, Any]) -> None:
    """The arrival's required fields are there and its text fields are text."""
    for field in ("session", "name", "id_number", "at"):
        if field not in obj:
            raise InvalidInputError(field, _("is required"))
    _check_texts(obj, _TEXT_FIELDS)


def parse_arrival(obj: Mapping[str, Any]) -> Arrival:
    """The arrival of a JSON object (``session``, ``name``, ``id_number``, ``at`` required); InvalidInputError."""
    _check_arrival_fields(obj)
    return _arrival_of(obj)


def _arrival_of(obj: Mapping[str, Any]) -> Arrival:
    return Arrival(
        session=obj["session"], role=obj.get("role") or "bidder", name=obj["name"],
        document=parse_document(obj["id_number"], obj.get("document_kind")), at=parse_time(obj["at"], "at"),
        company=obj.get("company"),
        credit_code=obj.get("credit_code"), phone=obj.get("phone"), key_area=_bool(obj, "key_area", False),
    )


def parse_record(obj: Any, policy: Policy) -> BatchRecord:
    """Validate one batch line against the policy; raises :class:`InvalidInputError` naming the field."""
    if not isinstance(obj, dict):
        raise InvalidInputError("line", _("is not a JSON object"), hint=_("write one {...} object per line"))
    unknown = sorted(set(obj) - _KNOWN)
    if unknown:
        raise InvalidInputError(unknown[0], _("unknown field"), hint=_("known fields: {items}",
                                                                    items=_(", ").join(sorted(_KNOWN))))
    _check_arrival_fields(obj)
    _check_texts(obj, ("health_code", "hall", "replaces", "reason"))
    steps = policy.steps
    kinds = {type(s) for s in steps}
    temperatures: tuple[float, ...] = ()
    if TemperatureStep in kinds:
        raw = obj.get("temperatures")
        if not isinstance(raw, list) or not raw:
            raise InvalidInputError("temperatures", _("is required: a list of readings in °C"),
                                    hint=_("policy {policy_name} measures temperature, e.g. [36.5]",
                                           policy_name=policy.name))
        for i, value in enumerate(raw):
            if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > _MAX_READING \
                    or not math.isfinite(value):
                shown = f"{value!r}"[:20]
                raise InvalidInputError(f"temperatures[{i}]", _("{shown} is not a temperature in °C", shown=shown))
        temperatures = tuple(float(v) for v in raw)
    answers: dict[str, bool] = {q.id: q.safe_answer for q in policy.questions}
    given = obj.get("answers", {})
    if not isinstance(given, dict):
        raise InvalidInputError("answers", _("is not an object of question id → true/false"))
    for qid, value in given.items():
        if qid not in answers:
            raise InvalidInputError(f"answers.{qid}", _("is not a question of the policy"),
                                    hint=_("questions: {value}", value=', '.join(answers) or 'none'))
        if not isinstance(value, bool):
            raise InvalidInputError(f"answers.{qid}", _("{value!r} is not true or false", value=value))
        answers[qid] = value
    health_code = None
    if HealthCodeStep in kinds:
        health_code = _choice(obj, "health_code", ("green", "yellow", "red"), "")
    test_at = None
    if NucleicTestStep in kinds and obj.get("test_at") is not None:
        test_at = parse_time(obj["test_at"], "test_at")
    if obj.get("replaces") and not (obj.get("reason") or "").strip():
        raise InvalidInputError("reason", _("a substitution (replaces) needs a reason"))
    return BatchRecord(
        arrival=_arrival_of(obj),
        mask=_choice(obj, "mask", MASK_CONDITIONS, "ok") if MaskStep in kinds else "ok",
        temperatures=temperatures,
        answers=answers if QuestionsStep in kinds or any(isinstance(s, TemperatureStep) and s.ask_questions
                                                         for s in steps) else {},
        declaration=_choice(obj, "declaration", DECLARATION_STATES, "complete") if DeclarationStep in kinds
        else "complete",
        health_code=health_code,
        test_at=test_at,
        test_negative=_bool(obj, "test_negative", True),
        hall=obj.get("hall"),
        replaces=obj.get("replaces"),
        reason=obj.get("reason"),
        override=_override(obj.get("override")),
    )
