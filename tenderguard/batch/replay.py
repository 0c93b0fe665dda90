"""Replaying a batch file through a desk: one result per line, resumable, each line retried on a lost race."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from tenderguard.batch.records import SERIAL, BatchRecord, one_of_each, parse_record, parse_time
from tenderguard.domain.model import BidSession, ManualClock
from tenderguard.errors import CommitUnknownError, ConflictError, InvalidInputError, NotFoundError, TenderGuardError
from tenderguard.i18n import _
from tenderguard.policy import (
    DeclarationStep,
    HealthCodeStep,
    MaskStep,
    NucleicTestStep,
    QuestionsStep,
    TemperatureStep,
)
from tenderguard.services import Desk, Gate, ScreeningView

__all__ = ["LINE_ATTEMPTS", "run_batch"]

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
            obj = json.loads(text, object_pairs_hook=one_of_each)
        except json.JSONDecodeError as exc:
            yield _result(number, None, outcome="invalid", reason="invalid", badge=None,
                          message=_("line: not valid JSON ({msg} at column {colno})", msg=exc.msg, colno=exc.colno))
            continue
        except RecursionError:
            yield _result(number, None, outcome="invalid", reason="invalid", badge=None,
                          message=_("line: nested too deeply (a line is one flat object of fields)"))
            continue
        except ValueError as exc:  # e.g. an integer of thousands of digits
            yield _result(number, None, outcome="invalid", reason="invalid", badge=None,
                          message=_("line: a value cannot be read ({str_part})", str_part=str(exc)[:120]))
            continue
        if _has_surrogates(text):
            yield _result(number, None, outcome="invalid", reason="invalid", badge=None,
                          message=_("line: not valid UTF-8 text (save the file as UTF-8)"))
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
                       message=_("session {session} is not registered: import the day's sessions first (tenderguard "
                                 "import), or run with --register-sessions", session=record.arrival.session))
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
    if not isinstance(serial, str) or not SERIAL.fullmatch(serial):
        raise InvalidInputError(
            "exit", _("{serial!r} is not a badge serial", serial=serial), hint=_("e.g. MY-20261123-0007")
        )
    clock.set(parse_time(obj.get("at"), "at"))
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
        warn(_("session {code} was not registered: registered it on first use for {day_of} in hall {hall}", code=code,
               day_of=gate.centre.day_of(record.arrival.at), hall=hall))
    return True
