"""Who is at the screen: the login session, the roles each page needs, the login rate limit.

A clerk logs in with the account made by ``tenderguard operator add``; the signed session cookie holds the account
name only, and every request checks the account is still enabled. A page names the roles it serves; the API takes
a bearer token instead (``tenderguard operator token``). Failed logins are counted per account and per address:
after :data:`MAX_FAILURES` within :data:`WINDOW` the next attempts wait.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

import attrs
from fastapi import Request

from tenderguard.errors import AuthenticationError
from tenderguard.services.wiring import GateApp

__all__ = ["MAX_FAILURES", "WINDOW", "Forbidden", "LoginLimiter", "LoginRequired", "WebUser", "gate_app",
           "requires"]

MAX_FAILURES = 5
WINDOW = 300.0


class LoginRequired(Exception):
    """Raised when a page or the API is asked for without a login or a valid token."""


class Forbidden(Exception):
    """Raised when the logged-in account's role may not use a page or an API call."""


@attrs.frozen
class WebUser:
    """The account behind a request: its name (recorded as the operator of everything it does) and role."""

    name: str
    role: str


def gate_app(request: Request) -> GateApp:
    """The gate the server opened."""
    opened: GateApp = request.app.state.gate_app
    return opened


def _session_user(request: Request) -> WebUser | None:
    name = request.session.get("operator")
    if not isinstance(name, str):
        return None
    gate = gate_app(request).gate
    with gate.uow_factory() as uow:
        account = uow.operators.get(name)
    if account is None or account.disabled:
        request.session.clear()
        return None
    return WebUser(name=account.name, role=str(account.role))


def _token_user(request: Request) -> WebUser | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        account = gate_app(request).gate.operator_for_token(token.strip())
    except AuthenticationError:
        return None
    return WebUser(name=account.name, role=str(account.role))


def requires(*roles: str) -> Callable[[Request], WebUser]:
    """A dependency: the request's account (session or bearer token) when its role is one of ``roles``."""

    def dependency(request: Request) -> WebUser:
        user = _token_user(request) if request.url.path.startswith("/api/") else _session_user(request)
        if user is None:
            raise LoginRequired
        if roles and user.role not in roles and user.role != "admin":
            raise Forbidden(f"角色“{user.role}”不能使用此功能")
        return user

    return dependency


class LoginLimiter:
    """Failed logins per key (account name, address) in a sliding window; thread-safe, per server process."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures, self.window, self.clock = max_failures, window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures[key]
        while found and now - found[0] > self.window:
            found.popleft()
        return found

    def wait(self, *keys: str) -> float:
        """Seconds to wait before another attempt may be made for any of ``keys`` (0: go ahead)."""
        now = self.clock()
        with self._lock:
            waits = [found[0] + self.window - now for key in keys
                     if len(found := self._recent(key, now)) >= self.max_failures]
        return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        """Count a failed attempt against each of ``keys``."""
        now = self.clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of ``keys`` after a successful login."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
