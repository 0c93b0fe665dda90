"""The gate's operator accounts, and the replies kept so that a request repeated with its key runs once.

An :class:`Operator` logs in to the web gate by name and password (kept only as an Argon2 hash) or calls its API
with a token (kept only as a SHA-256 hash); its :class:`OperatorRole` says which pages and calls it may use. An
:class:`IdempotentReply` is what a request sent with an ``Idempotency-Key`` was answered: a retry of the same
request gets the same answer instead of screening a person twice.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

import attrs

from tenderguard.domain.clock import aware
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _
from tenderguard.identity import validate_person_name

__all__ = ["ROLE_NAMES", "IdempotentReply", "Operator", "OperatorRole", "as_role", "check_idempotency_key"]


class OperatorRole(enum.StrEnum):
    """What an operator does at the gate, and so which pages and calls it may use."""

    DESK = "desk"
    DOOR = "door"
    SUPERVISOR = "supervisor"
    OFFICE = "office"
    ADMIN = "admin"


#: The roles as the centre's staff name them (Simplified Chinese).
ROLE_NAMES: Mapping[OperatorRole, str] = {
    OperatorRole.DESK: "入口登记员",
    OperatorRole.DOOR: "门口验证员",
    OperatorRole.SUPERVISOR: "监督人员",
    OperatorRole.OFFICE: "办公室",
    OperatorRole.ADMIN: "管理员",
}


def as_role(value: OperatorRole | str) -> OperatorRole:
    """The role named (``desk``…), else InvalidInputError on ``role``."""
    try:
        return OperatorRole(value)
    except ValueError:
        raise InvalidInputError("role", _("{value!r} is not a role", value=value),
                                hint=_("use one of {items}", items=_(", ").join(OperatorRole))) from None


def _login_name(value: str) -> str:
    return validate_person_name(value, field="name")


def _created_at(value: dt.datetime) -> dt.datetime:
    return aware(value, field="created_at")


@attrs.define
class Operator:
    """An operator account: the login name (王芳, wangfang…), its role and password hash, whether it is disabled."""

    name: str = attrs.field(converter=_login_name)
    role: OperatorRole = attrs.field(converter=as_role)
    password_hash: str = attrs.field(repr=False)
    created_at: dt.datetime = attrs.field(converter=_created_at)
    disabled: bool = False

    @property
    def role_name(self) -> str:
        """The role as the centre names it (入口登记员…)."""
        return ROLE_NAMES[self.role]


def check_idempotency_key(value: str) -> str:
    """An ``Idempotency-Key`` as given: 1 to 100 printable ASCII characters, else InvalidInputError."""
    if not isinstance(value, str) or not 0 < len(value) <= 100 or not (value.isascii() and value.isprintable()):
        raise InvalidInputError("Idempotency-Key", _("must be 1-100 printable ASCII characters"),
                                hint=_("send a UUID, for example"))
    return value


def _key(_instance: Any, _attribute: attrs.Attribute[Any], value: str) -> None:
    check_idempotency_key(value)


@attrs.frozen
class IdempotentReply:
    """The answer kept for an operator's request key; ``status`` None while the first request still runs."""

    operator: str
    key: str = attrs.field(validator=_key)
    #: The SHA-256 (hex) of what was asked, to tell a retry from another request reusing the key.
    request_hash: str
    status: int | None
    body: Mapping[str, Any] | None
    created_at: dt.datetime = attrs.field(converter=_created_at)
