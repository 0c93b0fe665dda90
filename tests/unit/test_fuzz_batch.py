"""Fuzzing the batch reader: any line — random JSON or text — is an 'invalid' result or a screening, never a crash."""

from __future__ import annotations

import json
from typing import Any

from gatekit import Harness
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenderguard.batch import parse_record, run_batch
from tenderguard.errors import TenderGuardError

FIELDS = ["session", "company", "credit_code", "role", "name", "id_number", "phone", "at", "mask", "temperatures",
          "answers", "declaration", "key_area", "exit", "replaces", "reason", "hall", "test_at", "health_code"]
NASTY = st.sampled_from(["", " ", "<img src=file:///etc/passwd>", "\u202e张伟", "张\x00伟", "nan", "NaN", "1e309",
                         "2026-11-23T09:00", "2026-11-23T09:00:00+08:00", "张" * 300, "😀", "-1", "98.6°F"])
VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40)
    | NASTY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
RECORDS = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=10)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(RECORDS)
def test_parse_record_raises_only_the_librarys_own_errors(record: dict[str, Any]) -> None:
    """Whatever a line holds, parsing it succeeds or raises a TenderGuardError naming a field."""
    harness = Harness()
    problem: TenderGuardError | None = None
    try:
        parse_record(record, harness.policy)
    except TenderGuardError as exc:
        problem = exc
    assert problem is None or str(problem)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(RECORDS.map(lambda r: json.dumps(r, ensure_ascii=False)), st.text(max_size=60)),
                max_size=6))
def test_a_file_of_garbage_never_stops_the_batch(lines: list[str]) -> None:
    """Every non-empty line yields one result; invalid ones change nothing in the store."""
    harness = Harness()
    before = (len(harness.store.screenings), len(harness.store.admissions), len(harness.audit()))
    results = list(run_batch(lines, harness.gate, harness.desk, harness.clock))
    assert len(results) == sum(1 for line in lines if line.strip())
    if all(r.get("outcome") == "invalid" for r in results):
        assert (len(harness.store.screenings), len(harness.store.admissions),
                len(harness.audit())) == before
