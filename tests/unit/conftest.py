"""Fixtures of the unit tests: gates wired to each built-in preset over an in-memory store."""

from __future__ import annotations

import pytest
from gatekit import HEALTH_PRESETS, PRESETS, Harness


@pytest.fixture
def miyun() -> Harness:
    """A gate running the 密云 six-step preset."""
    return Harness("miyun-2020")


@pytest.fixture
def health() -> Harness:
    """A gate running the health-code preset (health code and nucleic test before the six steps)."""
    return Harness("health-code")


@pytest.fixture
def badge_only() -> Harness:
    """A gate running the badge-only preset (registration, no health checks)."""
    return Harness("badge-only")


@pytest.fixture(params=PRESETS)
def any_preset(request: pytest.FixtureRequest) -> Harness:
    """A gate for each built-in preset."""
    return Harness(str(request.param))


@pytest.fixture(params=HEALTH_PRESETS)
def with_health(request: pytest.FixtureRequest) -> Harness:
    """A gate for each preset that takes temperatures and asks the questions."""
    return Harness(str(request.param))
