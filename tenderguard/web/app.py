"""The FastAPI application: one gate opened for the server's lifetime, sessions, CSRF, pages, API, static files."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette_csrf.middleware import CSRFMiddleware

from tenderguard.domain.clock import Clock
from tenderguard.errors import TenderGuardError
from tenderguard.i18n import DEFAULT_LANGUAGE, use_language
from tenderguard.keys import load_session_secret
from tenderguard.services.wiring import GateConfig, open_gate, settled
from tenderguard.web import api, board, desk, devices, door, pages
from tenderguard.web.security import MAX_FAILURES, Forbidden, LoginLimiter, LoginRequired

__all__ = ["STATIC_DIR", "create_app"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: How long a login lasts: one working day.
SESSION_SECONDS = 12 * 3600


class _ChinesePages:
    """The web gate's pages are Chinese: every message a request produces comes from the Chinese catalogue."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with use_language(DEFAULT_LANGUAGE):
            await self.app(scope, receive, send)


def create_app(config: GateConfig, *, clock: Clock | None = None, create: bool = False,
               settle: bool = False) -> FastAPI:
    """The web gate on ``config``'s database (created first with ``create``), the clock injectable for tests.

    ``settle`` (the server process): once started, leave its start-up objects out of the garbage collector's full
    passes (:func:`~tenderguard.services.wiring.settled`).
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with open_gate(config, create=create, clock=clock) as opened, \
                settled() if settle else contextlib.nullcontext():
            app.state.gate_app = opened
            yield

    app = FastAPI(title="TenderGuard", summary="The health-screening gate of a trading centre on bid-opening days",
                  lifespan=lifespan, openapi_url="/api/openapi.json", docs_url="/api/docs", redoc_url=None)
    secret = load_session_secret(config.keys)
    # Added last runs first: the session is read before the CSRF check, which guards every unsafe request that a
    # browser's cookie could authenticate (the API authenticates with a bearer token instead).
    app.add_middleware(CSRFMiddleware, secret=secret.hex(), cookie_samesite="strict",
                       exempt_urls=[re.compile(r"^/api/")])
    app.add_middleware(SessionMiddleware, secret_key=secret.hex(), session_cookie="tenderguard_session",
                       max_age=SESSION_SECONDS, same_site="strict", https_only=False)
    # Failed logins: an account waits after 5 within 5 minutes; an address (a desk network behind one router may
    # hold several tablets) after 20.
    app.add_middleware(_ChinesePages)
    app.state.login_limits = (LoginLimiter(), LoginLimiter(max_failures=4 * MAX_FAILURES))
    app.state.session_secret = secret
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(desk.router)
    app.include_router(board.router)
    app.include_router(door.router)
    app.include_router(devices.router)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "AuthenticationError", "message": "需要登录或令牌"}, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(_request: Request, exc: Forbidden) -> Response:
        return JSONResponse({"error": "Forbidden", "message": str(exc)}, status_code=403)

    @app.exception_handler(TenderGuardError)
    async def refused(_request: Request, exc: TenderGuardError) -> Response:
        return api.error_response(exc)

    return app
