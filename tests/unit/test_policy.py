"""Unit tests of tenderguard.policy: the built-in presets, and loading errors reported by their key path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from gatekit import HALL_1, HALL_2, policy_data

from tenderguard.errors import PolicyError
from tenderguard.policy import (
    ConfirmStep,
    DeclarationStep,
    HealthCodeStep,
    MaskStep,
    NucleicTestStep,
    Policy,
    Role,
    TemperatureStep,
    list_presets,
    load_policy,
    load_preset,
    parse_policy,
)

#: These tests read the English wording of the messages (the catalogue's msgids); test_i18n checks the Chinese.
pytestmark = pytest.mark.usefixtures("english_module")

SIX_STEPS = ("mask", "shoe_disinfection", "hand_sanitiser", "temperature", "declaration", "mask_disposal")


def problems_of(data: dict[str, Any]) -> dict[str, str]:
    """Parse invalid data and return its problems as {key path: message} (the last message per path)."""
    with pytest.raises(PolicyError) as info:
        parse_policy(data)
    return dict(info.value.problems)


def miyun_data() -> dict[str, Any]:
    """A deep copy of the miyun-2020 preset's TOML data, to be altered by a test."""
    return copy.deepcopy(policy_data("miyun-2020"))


# --- presets ----------------------------------------------------------------------------------------------


def test_three_presets_are_built_in() -> None:
    """list_presets names the three presets shipped beside the module, sorted."""
    assert list_presets() == ["badge-only", "health-code", "miyun-2020"]


@pytest.mark.parametrize("name", ["miyun-2020", "health-code", "badge-only"])
def test_each_preset_loads_by_name_and_through_load_policy(name: str) -> None:
    """Each preset loads with load_preset and load_policy alike, and keeps its own name."""
    by_preset = load_preset(name)
    assert by_preset.name == name
    assert load_policy(name) == by_preset
    assert by_preset.title.strip()


def test_miyun_has_the_six_steps_in_order() -> None:
    """miyun-2020 runs 口罩, 脚踩84, 手喷酒精, 测温问体, 递表, 废罩 in that order, each of the right kind."""
    policy = load_preset("miyun-2020")
    assert tuple(s.id for s in policy.steps) == SIX_STEPS
    kinds = [type(s) for s in policy.steps]
    assert kinds == [MaskStep, ConfirmStep, ConfirmStep, TemperatureStep, DeclarationStep, ConfirmStep]
    temperature = policy.step("temperature")
    assert isinstance(temperature, TemperatureStep)
    assert (temperature.threshold, temperature.rest_minutes, temperature.remeasures) == (37.3, 5, 2)
    assert temperature.ask_questions
    assert policy.health_checks


def test_miyun_quotas_halls_and_reentry() -> None:
    """One bidder per company, 2 tenderers, 3 agency staff; the two halls' capacities; three re-entry steps."""
    policy = load_preset("miyun-2020")
    assert policy.quota(Role.BIDDER) == 1
    assert policy.quota(Role.TENDERER) == 2
    assert policy.quota(Role.AGENCY) == 3
    assert policy.quota(Role.EXPERT) is None
    assert (policy.capacity(HALL_1), policy.capacity(HALL_2), policy.capacity("第九开标室")) == (40, 30, None)
    assert [s.id for s in policy.reentry_steps()] == ["mask", "hand_sanitiser", "temperature"]
    assert {q.id for q in policy.questions} == {"symptoms", "key_area_travel", "contact"}


def test_health_code_preset_adds_code_and_test_before_the_six_steps() -> None:
    """health-code checks the code colour and a 48 h nucleic test, then runs the six steps in order."""
    policy = load_preset("health-code")
    ids = [s.id for s in policy.steps]
    assert ids[:2] == ["health_code", "nucleic_test"]
    assert tuple(ids[2:]) == SIX_STEPS
    code = policy.step("health_code")
    test = policy.step("nucleic_test")
    assert isinstance(code, HealthCodeStep)
    assert code.accepted == ("green",)
    assert isinstance(test, NucleicTestStep)
    assert test.max_age_hours == 48
    assert policy.health_checks


def test_badge_only_has_no_health_checks() -> None:
    """badge-only only registers people: no temperature, questions or declaration."""
    policy = load_preset("badge-only")
    assert not policy.health_checks
    assert all(isinstance(s, ConfirmStep) for s in policy.steps)
    assert policy.questions == ()
    assert policy.key_area.action == "screen"


def test_health_checks_is_true_as_soon_as_one_health_step_is_added() -> None:
    """A confirm-only policy has no health checks; adding a temperature step gives it health checks."""
    steps: list[dict[str, Any]] = [{"id": "registration", "kind": "confirm", "label": "登记"}]
    plain = parse_policy({"name": "plain", "title": "登记", "steps": steps})
    assert not plain.health_checks
    measured = parse_policy({"name": "measured", "title": "测温", "steps": [
        *steps, {"id": "temperature", "kind": "temperature", "label": "测温"}]})
    assert measured.health_checks


# --- errors by key path -----------------------------------------------------------------------------------


def test_threshold_above_plausible_range_is_reported_by_key_path() -> None:
    """A threshold of 45.0 °C is above the plausible maximum and named as steps[3].threshold."""
    data = miyun_data()
    data["steps"][3]["threshold"] = 45.0
    with pytest.raises(PolicyError) as info:
        parse_policy(data)
    assert "steps[3].threshold: 45.0 is above 42.5" in str(info.value)
    assert info.value.problems == (("steps[3].threshold", "45.0 is above 42.5"),)


def test_threshold_below_plausible_range_is_reported() -> None:
    """A threshold under the plausible minimum is refused too."""
    data = miyun_data()
    data["steps"][3]["threshold"] = 30
    assert problems_of(data)["steps[3].threshold"] == "30.0 is below 34.0"


@pytest.mark.parametrize(
    ("where", "key"),
    [((), "colour"), (("steps", 0), "colour"), (("quotas",), "visitor"), (("reentry",), "when"),
     (("questions", 1), "answer")],
)
def test_unknown_keys_are_reported(where: tuple[str | int, ...], key: str) -> None:
    """A key the loader does not know (a typo) is reported with its full path, never ignored."""
    data = miyun_data()
    table: Any = data
    for part in where:
        table = table[part]
    table[key] = 1
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".")
    expected = f"{path}.{key}" if path else key
    assert problems_of(data)[expected] == "unknown key"


@pytest.mark.parametrize(
    ("step", "key", "value", "message"),
    [
        (3, "threshold", "high", "'high' is not a number"),
        (3, "remeasures", True, "True is not a whole number"),
        (3, "rest_minutes", 5.5, "5.5 is not a whole number"),
        (0, "replace_allowed", "yes", "'yes' is not true or false"),
        (0, "label", 7, "7 is not a string"),
    ],
)
def test_wrong_types_are_reported(step: int, key: str, value: Any, message: str) -> None:
    """A value of the wrong TOML type is reported by its path with what was expected."""
    data = miyun_data()
    data["steps"][step][key] = value
    assert problems_of(data)[f"steps[{step}].{key}"] == message


def test_several_problems_are_reported_in_one_error() -> None:
    """Every problem of a file is listed in the same PolicyError, not only the first one."""
    data = miyun_data()
    data["steps"][3]["threshold"] = 45.0
    data["steps"][0]["kind"] = "gloves"
    data["colour"] = "red"
    data["retention"]["health_data_days"] = 0
    problems = problems_of(data)
    assert {"steps[3].threshold", "steps[0].kind", "colour", "retention.health_data_days"} <= set(problems)
    assert "gloves" in problems["steps[0].kind"]


def test_unknown_step_kind_lists_the_kinds() -> None:
    """An unknown kind names every valid kind."""
    data = miyun_data()
    data["steps"][1]["kind"] = "spray"
    message = problems_of(data)["steps[1].kind"]
    for kind in ("confirm", "declaration", "health_code", "mask", "nucleic_test", "questions", "temperature"):
        assert kind in message


@pytest.mark.parametrize("bidders", [0, 2, -1])
def test_bidder_quota_other_than_one_is_refused(bidders: int) -> None:
    """一公司一人: quotas.bidder of 0 (or anything but 1) is refused by its key path."""
    data = miyun_data()
    data["quotas"]["bidder"] = bidders
    assert "quotas.bidder" in problems_of(data)


def test_other_role_quota_below_one_is_refused() -> None:
    """A tenderer quota of 0 is refused (leave the key out for no limit)."""
    data = miyun_data()
    data["quotas"]["tenderer"] = 0
    assert problems_of(data)["quotas.tenderer"].startswith("0 is below 1")


def test_missing_bidder_quota_defaults_to_one() -> None:
    """Leaving quotas.bidder out keeps the rule of one bidder per company."""
    data = miyun_data()
    del data["quotas"]["bidder"]
    assert parse_policy(data).quota(Role.BIDDER) == 1


def test_unknown_reentry_step_is_refused() -> None:
    """A re-entry step id that is not a step of the policy is reported under reentry.steps[i]."""
    data = miyun_data()
    data["reentry"]["steps"] = ["mask", "lunch_break"]
    problems = problems_of(data)
    assert problems["reentry.steps[1]"] == "'lunch_break' is not a step of this policy"
    assert "reentry.steps[0]" not in problems


def test_duplicate_step_ids_are_refused() -> None:
    """Two steps with one id are refused at the later one."""
    data = miyun_data()
    data["steps"][2]["id"] = "mask"
    assert problems_of(data)["steps[2].id"] == "'mask' is used by an earlier step"


@pytest.mark.parametrize("reserved", ["arrived", "admitted", "refused", "referred", "abandoned"])
def test_machine_state_names_are_reserved(reserved: str) -> None:
    """A step may not take a state name of the machine itself."""
    data = miyun_data()
    data["steps"][1]["id"] = reserved
    data["reentry"]["steps"] = []
    assert "reserved" in problems_of(data)["steps[1].id"]


def test_cleared_is_reserved_like_the_other_machine_states() -> None:
    """'cleared' is a state of the machine too, so a step named so must be refused when the policy loads."""
    data = miyun_data()
    data["steps"][5]["id"] = "cleared"
    assert "steps[5].id" in problems_of(data)


def test_questions_without_an_asking_step_are_refused() -> None:
    """Questions defined while no step asks them are reported."""
    data = miyun_data()
    data["steps"][3]["ask_questions"] = False
    assert "no step asks them" in problems_of(data)["questions"]


def test_hall_capacity_below_one_is_refused() -> None:
    """A default hall capacity of 0 is refused by its key."""
    data = miyun_data()
    data["default_hall_capacity"] = 0
    assert problems_of(data)["default_hall_capacity"] == "0 is below 1"


def test_bad_hall_capacity_is_reported_by_its_toml_key() -> None:
    """A hall capacity of 0 in [halls] is reported as halls.第一开标室, the key the file actually has."""
    data = miyun_data()
    data["halls"][HALL_1] = 0
    assert f"halls.{HALL_1}" in problems_of(data)


def test_key_area_unknown_service_is_reported() -> None:
    """An unknown key-area service is named by its index."""
    data = miyun_data()
    data["key_area"]["services"] = ["proxy", "shuttle_bus"]
    assert "shuttle_bus" in problems_of(data)["key_area.services[1]"]


def test_missing_steps_is_reported() -> None:
    """A policy without [[steps]] says the key is required."""
    data = miyun_data()
    del data["steps"]
    assert problems_of(data)["steps"].startswith("is required")


# --- files and presets by name ----------------------------------------------------------------------------


def test_unknown_preset_name_is_refused() -> None:
    """An unknown preset name is refused and the message lists the presets."""
    with pytest.raises(PolicyError, match="no preset named 'shanghai-2021'") as info:
        load_preset("shanghai-2021")
    assert "miyun-2020" in str(info.value)
    with pytest.raises(PolicyError, match="neither a preset"):
        load_policy("shanghai-2021")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    """A path to no file is refused with the path in the message."""
    missing = tmp_path / "密云-missing.toml"
    with pytest.raises(PolicyError) as info:
        load_policy(missing)
    assert str(missing) in str(info.value)


def test_bad_toml_syntax_is_refused(tmp_path: Path) -> None:
    """A file that is not TOML is refused as such, naming the file as the source."""
    path = tmp_path / "broken.toml"
    path.write_text('name = "broken"\n[[steps]\nid = "mask"\n', encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid TOML") as info:
        load_policy(path)
    assert info.value.source == str(path)


def test_invalid_file_names_its_source_and_key(tmp_path: Path) -> None:
    """An invalid value in a file is reported with the file as source and the key path."""
    text = (Path(__file__).parents[2] / "tenderguard" / "presets" / "miyun-2020.toml").read_text(encoding="utf-8")
    path = tmp_path / "custom.toml"
    path.write_text(text.replace("threshold = 37.3", "threshold = 45.0"), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(str(path))
    assert info.value.source == str(path)
    assert "steps[3].threshold: 45.0 is above 42.5" in str(info.value)


def test_custom_policy_file_with_health_code_and_fewer_steps_works(tmp_path: Path) -> None:
    """A centre's own file may add a health-code step and drop shoe disinfection and mask disposal."""
    path = tmp_path / "changping.toml"
    path.write_text(
        """
name = "changping-2021"
title = "昌平区健康码入场"

[[steps]]
id = "health_code"
kind = "health_code"
label = "查验健康码"
accepted = ["green", "yellow"]

[[steps]]
id = "mask"
kind = "mask"
label = "佩戴口罩"
replace_allowed = false

[[steps]]
id = "temperature"
kind = "temperature"
label = "测温"
threshold = 37.5

[quotas]
bidder = 1
expert = 5

[reentry]
steps = ["health_code"]
""",
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert [s.id for s in policy.steps] == ["health_code", "mask", "temperature"]
    code = policy.step("health_code")
    assert isinstance(code, HealthCodeStep)
    assert code.accepted == ("green", "yellow")
    mask = policy.step("mask")
    assert isinstance(mask, MaskStep)
    assert not mask.replace_allowed
    assert policy.quota(Role.EXPERT) == 5
    assert policy.quota(Role.TENDERER) is None
    assert [s.id for s in policy.reentry_steps()] == ["health_code"]


def test_reentry_steps_follow_procedure_order_not_listing_order() -> None:
    """Re-entry steps listed out of order are still run in the order of the procedure."""
    data = miyun_data()
    data["reentry"]["steps"] = ["temperature", "mask"]
    policy: Policy = parse_policy(data)
    assert [s.id for s in policy.reentry_steps()] == ["mask", "temperature"]


def test_temperature_step_fever_and_plausibility() -> None:
    """The threshold is inclusive and an implausible reading is never a fever."""
    step = TemperatureStep(id="temperature", label="测温")
    assert step.is_fever(37.3)
    assert not step.is_fever(37.29)
    assert step.is_plausible(34.0)
    assert step.is_plausible(42.5)
    assert not step.is_fever(45.0)
    assert not step.is_plausible(33.99)
