"""``tenderguard serve``: the web gate (the desk, door and board pages and the JSON API) on uvicorn."""

from __future__ import annotations

from pathlib import Path

import click

from tenderguard.cli.common import _centre_options, _db_option, _gate, _keys_option, _policy_option, _store, cli
from tenderguard.i18n import _

__all__ = ["door", "door_link", "serve"]


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for the desks' tablets on the centre's network).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
@_db_option
@_keys_option
@_policy_option
@_centre_options
def serve(host: str, port: int, db: str, keys: str, policy_spec: str, centre_code: str, centre_name: str) -> None:
    """Run the web gate on this database until stopped (Ctrl-C); several servers on one PostgreSQL act as desks."""
    import uvicorn  # noqa: PLC0415 - each command imports what it uses

    from tenderguard.domain.model import Centre  # noqa: PLC0415
    from tenderguard.services.wiring import GateConfig  # noqa: PLC0415
    from tenderguard.web import create_app  # noqa: PLC0415

    config = GateConfig(db=db, centre=Centre(code=centre_code, name=centre_name), policy=policy_spec, keys=keys)
    app = create_app(config, create=True, settle=True)
    click.echo(_("TenderGuard web gate on http://{host}:{port}/ (database {db}); Ctrl-C stops it", host=host, port=port,
                 db=db), err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@cli.group("door")
def door() -> None:
    """The hall door's devices."""


@door.command("link")
@click.argument("name")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True,
              help="Where the devices reach the server (as they open it: http://192.168.1.10:8000, https://…).")
@click.option("--png", type=click.Path(dir_okay=False), default=None, help="Also write the link's QR code as PNG.")
@_db_option
@_keys_option
@_centre_options
def door_link(name: str, base_url: str, png: str | None, db: str, keys: str, centre_code: str,
              centre_name: str) -> None:
    """Print a one-time link (and its QR code) that signs a door device in as account NAME, valid for a day."""
    import segno  # noqa: PLC0415 - each command imports what it uses

    from tenderguard.domain.model import Centre  # noqa: PLC0415
    from tenderguard.keys import load_session_secret  # noqa: PLC0415
    from tenderguard.records.files import private_output  # noqa: PLC0415
    from tenderguard.web.devices import door_link_token  # noqa: PLC0415

    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        token = door_link_token(_gate(store, "badge-only"), load_session_secret(keys), name)
    url = f"{base_url.rstrip('/')}/door/link/{token}"
    code = segno.make(url, error="m")
    click.echo(url)
    code.terminal(compact=True)
    if png is not None:
        with private_output(Path(png)) as out:
            code.save(out, kind="png", scale=6)
    click.echo(_("note: the link signs one device in, once, within a day; keep it like a password"), err=True)
