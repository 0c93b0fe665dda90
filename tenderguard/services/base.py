"""The attributes every part of the gate's use cases shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tenderguard.domain.machine import ScreeningMachine
from tenderguard.domain.model import (
    Centre,
    Clock,
)
from tenderguard.policy import Policy
from tenderguard.store.unit_of_work import AbstractUnitOfWork

if TYPE_CHECKING:
    pass

from tenderguard.services.bus import MessageBus

__all__ = ["GateParts"]


class GateParts:
    """What every part of the gate's use cases works with (set by :class:`~tenderguard.services.gate.Gate`)."""

    policy: Policy
    centre: Centre
    uow_factory: Callable[[], AbstractUnitOfWork]
    clock: Clock
    bus: MessageBus
    secret: bytes
    machine: ScreeningMachine

