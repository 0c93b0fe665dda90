"""The hall door's scanner page: badges verified in the browser (offline too), scans uploaded once per nonce.

``/door`` is the page; ``/door/config`` and ``/door/revocations`` give what the page verifies with (the centre, the
public key, today's date, the signed revocation list); ``POST /door/scans`` records the scans the page made, each
once per nonce; ``/door/sw.js`` is the service worker that keeps the page working without the network.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Annotated

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from tenderguard.domain.door import DoorScanUpload
from tenderguard.errors import InvalidInputError, TenderGuardError
from tenderguard.keys import PUBLIC_KEY_FILE, load_public_key, load_signing_key
from tenderguard.web.pages import page
from tenderguard.web.security import WebUser, gate_app, requires

__all__ = ["MAX_SCANS", "router"]

router = APIRouter(prefix="/door")
Door = Annotated[WebUser, Depends(requires("door", "supervisor"))]
#: The most scans one upload may carry (a device that was offline for a long time uploads in several).
MAX_SCANS = 500
_NO_STORE = {"Cache-Control": "no-store"}


def _raw_public_key(request: Request) -> bytes:
    key = load_public_key(gate_app(request).keys / PUBLIC_KEY_FILE)
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@router.get("")
def door_page(request: Request, user: Door) -> HTMLResponse:
    """The scanner page (its verdicts are made by ``/static/door.js``)."""
    return page(request, "web/door/page.html", user)


@router.get("/config")
def config(request: Request, _user: Door) -> JSONResponse:
    """What the page verifies with: the centre's code, its public key (raw, base64url) and the server's day."""
    opened = gate_app(request)
    now = opened.gate.clock.now()
    key = base64.urlsafe_b64encode(_raw_public_key(request)).rstrip(b"=").decode("ascii")
    return JSONResponse({"centre": opened.centre.code, "centre_name": opened.centre.name, "public_key": key,
                         "today": opened.centre.day_of(now).isoformat(), "server_time": now.isoformat()},
                        headers=_NO_STORE)


@router.get("/revocations")
def revocations(request: Request, _user: Door) -> Response:
    """Today's revocation list, signed with the centre's key."""
    opened = gate_app(request)
    signed = opened.gate.revocations().to_json(load_signing_key(opened.keys))
    return Response(signed, media_type="application/json", headers=_NO_STORE)


@router.post("/scans")
async def scans(request: Request, user: Door) -> JSONResponse:
    """Record the scans uploaded (a JSON list), each once per nonce; answers each, the same on every upload.

    A scan that cannot be read is answered with its error (and not recorded): sending it again would not help.
    """
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise InvalidInputError("scans", "is not JSON") from None
    if not isinstance(body, list) or len(body) > MAX_SCANS:
        raise InvalidInputError("scans", f"is not a JSON list of at most {MAX_SCANS} scans")
    opened = gate_app(request)
    key = load_public_key(opened.keys / PUBLIC_KEY_FILE)
    answers: list[dict[str, object]] = []
    for item in body:
        nonce = item.get("nonce") if isinstance(item, dict) else None
        try:
            upload = DoorScanUpload.of(item)
        except TenderGuardError as exc:
            answers.append({"nonce": nonce, "error": exc.message})
            continue
        recorded = opened.gate.record_door_scans([upload], door=user.name, public_key=key)
        answers.extend(scan.answer() for scan in recorded)
    return JSONResponse({"answers": answers, "received_at": dt.datetime.now(dt.UTC).isoformat()},
                        headers=_NO_STORE)


@router.get("/sw.js")
def service_worker() -> FileResponse:
    """The door's service worker, allowed to control ``/door`` (a scope above its own folder)."""
    return FileResponse(Path(__file__).resolve().parent / "static" / "door-sw.js", media_type="text/javascript",
                        headers={"Service-Worker-Allowed": "/door", "Cache-Control": "no-cache"})
