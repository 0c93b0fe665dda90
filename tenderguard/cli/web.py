"""``tenderguard serve``: the web gate (the desk, door and board pages and the JSON API) on uvicorn."""

from __future__ import annotations

import click

from tenderguard.cli.common import _centre_options, _db_option, _keys_option, _policy_option, cli

__all__ = ["serve"]


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
    app = create_app(config, create=True)
    click.echo(f"TenderGuard web gate on http://{host}:{port}/ (database {db}); Ctrl-C stops it", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
