"""Signing a door device in without a password: a one-time link (``tenderguard door link NAME``).

The link carries the door account's name and a random nonce, signed with the server's session key and valid for a
day. Opened once, it signs the device in as that account (which stays signed in, as after a login); the nonce is then
spent — a second opening is refused — and the sign-in is audited like a login.
"""

from __future__ import annotations

import secrets
from typing import Any

import itsdangerous
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _
from tenderguard.services.gate import Gate
from tenderguard.web.security import gate_app

__all__ = ["LINK_SECONDS", "door_link_token", "router"]

router = APIRouter(prefix="/door")

#: How long a device link may wait to be opened.
LINK_SECONDS = 24 * 3600
_SALT = "tenderguard door link"


def _serializer(secret: bytes) -> itsdangerous.URLSafeTimedSerializer:
    return itsdangerous.URLSafeTimedSerializer(secret.hex(), salt=_SALT)


def door_link_token(gate: Gate, secret: bytes, name: str) -> str:
    """A one-time sign-in token for the door account ``name`` (it must exist, be enabled and have the door role)."""
    with gate.uow_factory() as uow:
        account = uow.operators.get(name)
    if account is None or account.disabled or str(account.role) != "door":
        raise InvalidInputError("name", _("{name!r} is not an enabled door account", name=name),
                                hint=_("add one with `tenderguard operator add NAME --role door`"))
    payload: dict[str, Any] = {"name": account.name, "nonce": secrets.token_urlsafe(16)}
    return str(_serializer(secret).dumps(payload))


def _refused(message: str) -> HTMLResponse:
    return HTMLResponse(f"<p>{message}</p>", status_code=403)


@router.get("/link/{token}")
def open_link(request: Request, token: str) -> Response:
    """Sign this device in as the link's door account, once."""
    opened = gate_app(request)
    try:
        payload = _serializer(request.app.state.session_secret).loads(token, max_age=LINK_SECONDS)
        name, nonce = str(payload["name"]), str(payload["nonce"])
    except itsdangerous.SignatureExpired:
        return _refused("此登录链接已过期，请向管理员重新索取")
    except (itsdangerous.BadData, KeyError, TypeError):
        return _refused("此登录链接无效")
    with opened.gate.uow_factory() as uow:
        account = uow.operators.get(name)
    if account is None or account.disabled or str(account.role) != "door":
        return _refused("此账户不能使用门口验证")
    if opened.gate.idempotent(name, f"door-link:{nonce}", "door-link") is not None:
        return _refused("此登录链接已使用过，每个链接只能使用一次")
    address = request.client.host if request.client else "?"
    opened.gate.record_login(name, succeeded=True, address=f"{address} (device link)")
    request.session.clear()
    request.session["operator"] = name
    return RedirectResponse("/door", status_code=303)

