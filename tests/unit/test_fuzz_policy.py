"""Fuzzing policies and times: any TOML-shaped data is a Policy or one PolicyError; times keep their day."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from gatekit import PRESETS, Harness, policy_data
from hypothesis import given, settings
from hypothesis import strategies as st

from tenderguard.domain.model import SHANGHAI, Centre
from tenderguard.errors import PolicyError
from tenderguard.policy import Policy, parse_policy

TOML_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


@settings(max_examples=300)
@given(st.sampled_from(PRESETS), st.data(), TOML_VALUES)
def test_a_mutated_preset_is_a_policy_or_one_policy_error(preset: str, data: st.DataObject, value: Any) -> None:
    """Replace any one value of a preset with anything: parsing gives a Policy or a PolicyError with key paths."""
    raw = copy.deepcopy(policy_data(preset))
    path = data.draw(st.sampled_from(_paths(raw)))
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    outcome: Policy | PolicyError
    try:
        outcome = parse_policy(raw, source="fuzz")
    except PolicyError as exc:
        outcome = exc
    if isinstance(outcome, PolicyError):
        assert outcome.problems
        assert all(isinstance(p, str) and m for p, m in outcome.problems)
    else:
        assert isinstance(outcome, Policy)


@given(st.dictionaries(st.text(max_size=12), TOML_VALUES, max_size=6))
def test_arbitrary_tables_never_crash_the_parser(raw: dict[str, Any]) -> None:
    """Random top-level tables are refused with a PolicyError, never another exception."""
    refused: PolicyError | None = None
    try:
        parse_policy(raw)
    except PolicyError as exc:
        refused = exc
    assert refused is None or refused.problems


@given(st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 1, 1)),  # noqa: DTZ001 - naive bounds, as hypothesis wants
       st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York", "Pacific/Kiritimati"]))
def test_any_instant_falls_on_its_shanghai_calendar_day(moment: dt.datetime, zone: str) -> None:
    """An aware time in any zone (across midnight in some) is counted on the centre's own calendar day."""
    aware = moment.replace(tzinfo=ZoneInfo(zone))
    centre = Centre(code="MY", name="密云区公共资源交易中心")
    assert centre.day_of(aware) == aware.astimezone(SHANGHAI).date()


@given(st.floats(min_value=90.0, max_value=110.0))
def test_fahrenheit_looking_readings_are_measuring_errors_not_fevers(reading: float) -> None:
    """A reading like 98.6 (°F typed at a °C desk) is never a fever: it is recorded as a measuring error."""
    h = Harness()
    view = h.run(h.desk.arrive(h.arrival()), until="temperature")
    view = h.desk.measure(view.id, reading)
    assert view.reason != "fever"
    assert h.screening(view).fevers == 0
    assert h.screening(view).records[-1].action == "temperature:measuring_error"
