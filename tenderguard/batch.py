"""Batch mode: replay a desk's records (one JSON arrival per line) through the desk, one result per line.

Each line is validated in full before anything is stored, so a bad line becomes an ``invalid`` result naming the
field and leaves the store unchanged; the lines before and after it are processed as usual.

Input fields: ``session``, ``company``, ``credit_code``, ``role`` (default ``bidder``), ``name``, ``id_number``
(and optionally ``document_kind``), ``phone``, ``at`` (ISO time with offset), ``mask`` (``ok``/``replaced``/
``refused``), ``temperatures`` (readings in °C, in order; re-measures are taken after the policy's rest time),
``answers`` (question id → true/false; missing questions count as the no-risk answer), ``declaration``
(``complete``/``missing``/``mismatch``), ``key_area`` (bool), ``health_code`` (``green``/``yellow``/``red``),
``test_at`` (time of the nucleic-acid test, or null), ``test_negative`` (bool), ``hall`` (for a session registered
on first use), and for a substitution ``replaces`` (the handed-back badge serial) with ``reason``.
An exit is a line ``{"exit": "<badge serial>", "at": "..."}``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from tenderguard.domain.model import Arrival, BidSession, ManualClock, aware
from tenderguard.domain.screening import DECLARATION_STATES, MASK_CONDITIONS
from tenderguard.errors import CommitUnknownError, ConflictError, InvalidInputError, NotFoundError, TenderGuardError
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
from tenderguard.services import Desk, Gate, ScreeningView

__all__ = ["BatchRecord", "parse_record", "run_batch"]

#: A badge serial as printed (``MY-20261123-0007``).
_SERIAL = re.compile(r"[A-Za-z0-9_./-]{1,64}-\d{8}-\d{4,6}")

_ARRIVAL_FIELDS = ("session", "role", "name", "id_number", "document_kind", "company", "credit_code", "phone",
                   "at", "key_area")
_KNOWN = frozenset({*_ARRIVAL_FIELDS, "mask", "temperatures", "answers", "declaration", "health_code", "test_at",
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
        raise InvalidInputError("override", "is not an object of texts: release, reason, supervisor (reverses)",
                                hint='e.g. {"release": "hall_full", "reason": "…", "supervisor": "李强"}')
    for field in ("release", "reason", "supervisor"):
        if not value.get(field, "").strip():
            raise InvalidInputError(f"override.{field}", "is required")
    return dict(value)


#: No reading is larger (a number beyond it is a typo, and would not even convert to a float).
_MAX_READING = 1000


def _one_of_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose fields each appear once (``{"session": …, "session": …}`` is refused, not the last wins)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the field {key!r} appears twice")
        found[key] = value
    return found


def _time(value: Any, field: str) -> dt.datetime:
    if not isinstance(value, str):
        raise InvalidInputError(field, f"{value!r} is not an ISO time", hint="e.g. 2026-11-23T09:00:00+08:00")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(field, f"{value!r} is not an ISO time",
                                hint="e.g. 2026-11-23T09:00:00+08:00") from None
    return aware(parsed, field=field)


def _choice(obj: Mapping[str, Any], field: str, choices: tuple[str, ...], default: str) -> str:
    value = obj.get(field, default)
    if value not in choices:
        raise InvalidInputError(field, f"{value!r} is not one of {', '.join(choices)}")
    return str(value)


def _bool(obj: Mapping[str, Any], field: str, default: bool) -> bool:
    value = obj.get(field, default)
    if not isinstance(value, bool):
        raise InvalidInputError(field, f"{value!r} is not true or false")
    return value


#: The fields of an arrival (a batch line's first part; the JSON API's ``POST /api/v1/screenings``).
ARRIVAL_FIELDS = ("session", "role", "name", "id_number", "document_kind", "company", "credit_code", "phone",
                  "key_area", "at")


def parse_arrival(obj: Mapping[str, Any]) -> Arrival:
    """The arrival of a JSON object (``session``, ``name``, ``id_number``, ``at`` required); InvalidInputError."""
    for field in ("session", "name", "id_number", "at"):
        if field not in obj:
            raise InvalidInputError(field, "is required")
    for field in ARRIVAL_FIELDS[:-2]:
        if obj.get(field) is not None and not isinstance(obj[field], str):
            raise InvalidInputError(field, f"{obj[field]!r} is not a text")
    return Arrival(
        session=obj["session"], role=obj.get("role") or "bidder", name=obj["name"],
        document=parse_document(obj["id_number"], obj.get("document_kind")), at=_time(obj["at"], "at"),
        company=obj.get("company"),
        credit_code=obj.get("credit_code"), phone=obj.get("phone"), key_area=_bool(obj, "key_area", False),
    )


def parse_record(obj: Any, policy: Policy) -> BatchRecord:
    """Validate one batch line against the policy; raises :class:`InvalidInputError` naming the field."""
    if not isinstance(obj, dict):
        raise InvalidInputError("line", "is not a JSON object", hint="write one {...} object per line")
    unknown = sorted(set(obj) - _KNOWN)
    if unknown:
        raise InvalidInputError(unknown[0], "unknown field", hint=f"known fields: {', '.join(sorted(_KNOWN))}")
    for field in ("session", "name", "id_number", "at"):
        if field not in obj:
            raise InvalidInputError(field, "is required")
    for field in ("session", "role", "name", "id_number", "document_kind", "company", "credit_code", "phone",
                  "health_code", "hall", "replaces", "reason"):
        if obj.get(field) is not None and not isinstance(obj[field], str):
            raise InvalidInputError(field, f"{obj[field]!r} is not a text")
    steps = policy.steps
    kinds = {type(s) for s in steps}
    temperatures: tuple[float, ...] = ()
    if TemperatureStep in kinds:
        raw = obj.get("temperatures")
        if not isinstance(raw, list) or not raw:
            raise InvalidInputError("temperatures", "is required: a list of readings in °C",
                                    hint=f"policy {policy.name} measures temperature, e.g. [36.5]")
        for i, value in enumerate(raw):
            if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > _MAX_READING \
                    or not math.isfinite(value):
                shown = f"{value!r}"[:20]
                raise InvalidInputError(f"temperatures[{i}]", f"{shown} is not a temperature in °C")
        temperatures = tuple(float(v) for v in raw)
    answers: dict[str, bool] = {q.id: q.safe_answer for q in policy.questions}
    given = obj.get("answers", {})
    if not isinstance(given, dict):
        raise InvalidInputError("answers", "is not an object of question id → true/false")
    for qid, value in given.items():
        if qid not in answers:
            raise InvalidInputError(f"answers.{qid}", "is not a question of the policy",
                                    hint=f"questions: {', '.join(answers) or 'none'}")
        if not isinstance(value, bool):
            raise InvalidInputError(f"answers.{qid}", f"{value!r} is not true or false")
        answers[qid] = value
    health_code = None
    if HealthCodeStep in kinds:
        health_code = _choice(obj, "health_code", ("green", "yellow", "red"), "")
    test_at = None
    if NucleicTestStep in kinds and obj.get("test_at") is not None:
        test_at = _time(obj["test_at"], "test_at")
    if obj.get("replaces") and not (obj.get("reason") or "").strip():
        raise InvalidInputError("reason", "a substitution (replaces) needs a reason")
    return BatchRecord(
        arrival=parse_arrival(obj),
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


class _Replay:
    """Drives one screening through the policy's steps with a record's inputs."""

    def __init__(self, desk: Desk, clock: ManualClock, record: BatchRecord) -> None:
        self.desk, self.clock, self.record = desk, clock, record
        self.readings = list(record.temperatures)

    def run(self, view: ScreeningView) -> ScreeningView:
        del self.readings[:view.readings]  # a resumed screening already took these
        machine = self.desk.gate.machine
        while not view.closed:
            place = machine.places[view.state]
            view = self._act(view, place.step, place.phase.value)
        return view

    def _act(self, view: ScreeningView, step: Any, phase: str) -> ScreeningView:
        desk, rec, sid = self.desk, self.record, view.id
        if phase == "questions" or isinstance(step, QuestionsStep):
            return desk.answer(sid, rec.answers)
        if isinstance(step, MaskStep):
            return desk.mask(sid, rec.mask)
        if isinstance(step, TemperatureStep):
            if not self.readings:  # no further reading: the person left before the re-measure
                return desk.abandon(sid)
            if view.rest_until is not None and self.clock.now() < view.rest_until:
                self.clock.set(view.rest_until)
            return desk.measure(sid, self.readings.pop(0))
        if isinstance(step, DeclarationStep):
            return desk.declare(sid, "complete" if phase == "fill_in" else rec.declaration)
        if isinstance(step, HealthCodeStep):
            return desk.health_code(sid, rec.health_code or "green")
        if isinstance(step, NucleicTestStep):
            return desk.nucleic_test(sid, rec.test_at, negative=rec.test_negative)
        return desk.confirm(sid)


def _printable(text: str | None) -> str | None:
    """Text as it can be written out: a lone surrogate (bytes that were not UTF-8) shown as an escape."""
    if text is None:
        return None
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _result(line: int, name: str | None, view: ScreeningView | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"line": line, "name": _printable(name)}
    if "message" in extra:
        extra["message"] = _printable(extra["message"])
    if view is not None:
        out |= {"outcome": view.outcome, "reason": view.reason, "badge": view.badge, "screening": view.id,
                "session": view.session, "message": view.message}
    return out | extra


def run_batch(
    lines: Iterable[str],
    gate: Gate,
    desk: Desk,
    clock: ManualClock,
    *,
    warn: Callable[[str], None] = lambda _msg: None,
    source: str | None = None,
    register_sessions: bool = False,
) -> Iterator[dict[str, Any]]:
    """Screen every line in order, yielding one result per non-empty line; each step commits as it goes.

    A line for a session that is not registered is ``invalid`` (reason ``unknown_session``) unless
    ``register_sessions`` (then the session is registered on first use, in the hall the line names — one the
    policy lists — or else the policy's first hall).

    With ``source`` (a name for the file), every arrival is tagged with the file, its line number and a hash of
    the line: running the same file again on the same database resumes each screening from its last committed
    step and reports the ones already finished, instead of screening anybody twice.
    """
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        name: str | None = None
        try:
            obj = json.loads(text, object_pairs_hook=_one_of_each)
        except json.JSONDecodeError as exc:
            yield _result(number, None, outcome="invalid", reason="invalid", badge=None,
                          message=f"line: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:
            yield _result(number, None, outcome="invalid", reason="invalid", badge=None,
                          message="line: nested too deeply (a line is one flat object of fields)")
            continue
        except ValueError as exc:  # e.g. an integer of thousands of digits
            yield _result(number, None, outcome="invalid", reason="invalid", badge=None,
                          message=f"line: a value cannot be read ({str(exc)[:120]})")
            continue
        if _has_surrogates(text):
            yield _result(number, None, outcome="invalid", reason="invalid", badge=None,
                          message="line: not valid UTF-8 text (save the file as UTF-8)")
            continue
        if isinstance(obj, dict) and isinstance(obj.get("name"), str):
            name = obj["name"]
        ref = _line_ref(source, number, text, gate.secret)
        for attempt in range(LINE_ATTEMPTS):
            try:
                yield _screen_line(number, name, obj, gate=gate, desk=desk, clock=clock, ref=ref, warn=warn,
                                   register=register_sessions)
                break
            except (CommitUnknownError, ConflictError) as exc:
                # The database went away (or other desks kept winning): a line with a reference resumes where
                # its last commit left it, so running it again never repeats a step. Without one, say so.
                if ref is None or attempt == LINE_ATTEMPTS - 1:
                    yield _result(number, name, outcome="invalid", reason="invalid", badge=None, message=str(exc))
                    break
                time.sleep(0.05 * (attempt + 1))
            except TenderGuardError as exc:
                field = getattr(exc, "field", None)
                yield _result(number, name, outcome="invalid", reason="invalid", badge=None, message=str(exc),
                              **({"field": field} if field else {}))
                break


#: How often a line is tried when the database connection is lost under it (each try resumes the last).
LINE_ATTEMPTS = 5


def _screen_line(number: int, name: str | None, obj: Any, *, gate: Gate, desk: Desk, clock: ManualClock,
                 ref: str | None, warn: Callable[[str], None], register: bool) -> dict[str, Any]:
    """Screen (or resume) one line's arrival, or record its exit; the line's result."""
    if isinstance(obj, dict) and "exit" in obj:
        return _exit(number, obj, desk, clock, ref)
    record = parse_record(obj, gate.policy)
    clock.set(record.arrival.at)
    if not _ensure_session(gate, record, warn, register=register):
        return _result(number, name, outcome="invalid", reason="unknown_session", badge=None,
                       message=f"session {record.arrival.session} is not registered: import the day's sessions first "
                               "(tenderguard import), or run with --register-sessions")
    if record.override is not None:
        o = record.override
        view = desk.supervisor_override(record.arrival, release=o["release"], reason=o["reason"],
                                        supervisor=o["supervisor"], reverses=o.get("reverses"), source=ref)
    elif record.replaces:
        view = desk.substitute(record.arrival, replaces=record.replaces, reason=record.reason or "", source=ref)
    else:
        view = desk.arrive(record.arrival, source=ref)
    view = _Replay(desk, clock, record).run(view)
    return _result(number, name, view)


def _has_surrogates(text: str) -> bool:
    """Whether text holds lone surrogates: bytes that were not UTF-8, read with ``surrogateescape``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _line_ref(source: str | None, number: int, text: str, secret: bytes) -> str | None:
    """The reference a replayed line is stored under: the file, the line number and a keyed hash of the line.

    Keyed with the centre's ID-hash key: the stored reference tells whether a line was screened before, but with
    the masked ID and the other stored fields nobody can recover the ID number from it without the key.
    """
    if source is None:
        return None
    digest = hmac.new(secret, text.strip().encode(), hashlib.sha256).hexdigest()[:16]
    return f"{source[-150:]}:{number}:{digest}"


def _exit(number: int, obj: Mapping[str, Any], desk: Desk, clock: ManualClock, ref: str | None
          ) -> dict[str, Any]:
    serial = obj["exit"]
    if not isinstance(serial, str) or not _SERIAL.fullmatch(serial):
        raise InvalidInputError("exit", f"{serial!r} is not a badge serial", hint="e.g. MY-20261123-0007")
    clock.set(_time(obj.get("at"), "at"))
    desk.record_exit(serial, source=ref)
    return {"line": number, "exit": serial, "outcome": "exited", "reason": None, "badge": serial}


def _ensure_session(gate: Gate, record: BatchRecord, warn: Callable[[str], None], *, register: bool) -> bool:
    """Whether the line's session is registered (registering it first when ``register``)."""
    code = record.arrival.session
    try:
        gate.session(code)
    except NotFoundError:
        if not register:
            return False
        hall = record.hall or next(iter(gate.policy.hall_capacity), "开标室")  # the policy's first hall
        gate.register_session(BidSession(code=code, project_name=code, opens_at=record.arrival.at, hall=hall))
        warn(f"session {code} was not registered: registered it on first use for "
             f"{gate.centre.day_of(record.arrival.at)} in hall {hall}")
    return True
