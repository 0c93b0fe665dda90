"""The audit draft's payload is what a JSON column gives back, however it is converted."""

from __future__ import annotations

import datetime as dt
import enum
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tenderguard.records.audit import AuditDraft, canonical


class _Colour(enum.StrEnum):
    GREEN = "green"


_SCALARS = st.one_of(
    st.text(), st.integers(), st.booleans(), st.none(), st.dates(),
    st.floats(allow_nan=False), st.just(_Colour.GREEN),
    st.datetimes(timezones=st.just(dt.UTC)),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                       | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


def _round_trip(payload: dict[Any, Any]) -> Any:
    return json.loads(canonical(payload))


@given(st.dictionaries(st.text(max_size=8), _VALUES, max_size=6) | st.dictionaries(st.integers(), _VALUES, max_size=3))
def test_payload_equals_the_json_round_trip(payload: dict[Any, Any]) -> None:
    """Any payload a desk may record comes out of the draft exactly as from a JSON round trip, types included."""
    draft = AuditDraft(at=dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC), kind="step", payload=payload)
    expected = _round_trip(payload)
    assert draft.payload == expected
    assert canonical(draft.payload) == canonical(expected)
    assert [type(v) for v in draft.payload.values()] == [type(v) for v in expected.values()]


def test_badge_payload_keeps_its_date_as_iso_text() -> None:
    """A badge event's day is stored as ISO text, as a JSON column returns it."""
    draft = AuditDraft(at=dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC), kind="badge_issued",
                       payload={"credit_code": "91350100M000100Y43", "day": dt.date(2026, 11, 23), "n": 1})
    assert draft.payload == {"credit_code": "91350100M000100Y43", "day": "2026-11-23", "n": 1}
