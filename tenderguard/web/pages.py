"""The HTML pages: login, logout and each role's start page (the desk, the door and the board build on it)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape

from tenderguard.errors import AuthenticationError
from tenderguard.i18n import format_date
from tenderguard.render.environment import render_template
from tenderguard.web.security import WebUser, gate_app, requires

__all__ = ["ROLE_PAGES", "page", "router"]

router = APIRouter()

#: Each role's pages: (path, label), the first being where the role starts.
ROLE_PAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "desk": (("/desk", "入口登记"),),
    "door": (("/door", "门口验证"),),
    "supervisor": (("/board", "监督看板"), ("/desk", "入口登记")),
    "office": (("/board", "监督看板"),),
    "admin": (("/board", "监督看板"), ("/desk", "入口登记"), ("/door", "门口验证")),
}
_ROLE_NAMES = {"desk": "入口登记员", "door": "门口验证员", "supervisor": "监督人员", "office": "办公室",
               "admin": "管理员"}


def page(request: Request, template: str, user: WebUser | None = None, **context: Any) -> HTMLResponse:
    """A page of ``templates/web/`` with what every page shows (the centre, who is logged in)."""
    opened = gate_app(request)
    html = render_template(template, centre_name=opened.centre.name, user=user,
                           role_name=_ROLE_NAMES.get(user.role, user.role) if user else "", **context)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _safe_next(target: str) -> str:
    """Only a path of this site (never ``//host`` or a URL) is followed after login."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    """The login form."""
    return page(request, "web/login.html", next=_safe_next(next))


@router.post("/login")
def login(request: Request, name: Annotated[str, Form()], password: Annotated[str, Form()],
          next: Annotated[str, Form()] = "/") -> Response:
    """Check the account; on success start the session and send the browser on (htmx follows HX-Redirect)."""
    address = request.client.host if request.client else "?"
    by_name, by_address = request.app.state.login_limits
    login_name = name.strip()
    wait = max(by_name.wait(login_name), by_address.wait(address))
    if wait > 0:
        minutes = max(1, round(wait / 60))
        return HTMLResponse(f"登录失败次数过多，请{minutes}分钟后再试", status_code=200,
                            headers={"Retry-After": str(round(wait))})
    try:
        account = gate_app(request).gate.authenticate(name.strip(), password)
    except AuthenticationError:
        by_name.failed(login_name)
        by_address.failed(address)
        gate_app(request).gate.record_login(login_name, succeeded=False, address=address)
        return HTMLResponse(str(escape("用户名或密码错误")))
    by_name.succeeded(login_name)
    gate_app(request).gate.record_login(account.name, succeeded=True, address=address)
    request.session.clear()
    request.session["operator"] = account.name
    target = _safe_next(next)
    if target == "/":
        target = ROLE_PAGES.get(str(account.role), (("/", ""),))[0][0]
    return Response(status_code=204, headers={"HX-Redirect": target})


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return Response(status_code=204, headers={"HX-Redirect": "/login"})


@router.get("/")
def home(request: Request, user: Annotated[WebUser, Depends(requires())]) -> Response:
    """The role's start page."""
    links = [{"href": href, "label": label} for href, label in ROLE_PAGES.get(user.role, ())]
    if len(links) == 1:
        return RedirectResponse(links[0]["href"], status_code=303)
    today = gate_app(request).centre.day_of(dt.datetime.now(dt.UTC))
    return page(request, "web/home.html", user, links=links, today=format_date(today))
