"""The ``tenderguard desk`` command: the interactive entrance desk on a terminal.

Registered in :mod:`tenderguard.cli` with ``cli.add_command(desk_command)``; it opens the database, the ID-hash
key and the policy exactly as the other commands do, with the helpers of :mod:`tenderguard.cli.common`.
"""

from __future__ import annotations

import click

from tenderguard.errors import TenderGuardError
from tenderguard.i18n import _, use_language

__all__ = ["desk_command"]


@click.command("desk", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--session", required=True, help="The bid session screened at this desk (registered for today).")
@click.option("--desk", "desk_name", required=True, help="This desk's name (recorded on every step).")
@click.option("--operator", required=True, help="The operator on duty (recorded on every step).")
@click.option("--lang", type=click.Choice(["zh_CN", "zh", "en"]), default=None,
              help="The desk's language: Simplified Chinese or English [default: from LANG, else Chinese].")
@click.option("--plain", is_flag=True, help="Plain line-by-line prompts (for terminals the editor cannot drive).")
@click.option("--policy", "policy_spec", default="miyun-2020", show_default=True, metavar="PRESET|FILE",
              help="A policy preset or a policy TOML file.")
@click.option("--db", "db", envvar="TENDERGUARD_DB", default="sqlite:///tenderguard.db", show_default=True,
              metavar="URL", help="Database URL or a SQLite file path [env TENDERGUARD_DB].")
@click.option("--keys", "keys", envvar="TENDERGUARD_KEYS", default="tenderguard-keys", show_default=True,
              metavar="DIR", type=click.Path(file_okay=False), help="Folder of the centre's secrets "
              "[env TENDERGUARD_KEYS].")
@click.option("--centre-code", default="MY", show_default=True, help="The centre's code (badge serial prefix).")
@click.option("--centre-name", default="公共资源交易中心", show_default=True, help="The centre's name.")
def desk_command(  # noqa: PLR0917 - click passes every option as a parameter
    session: str, desk_name: str, operator: str, lang: str | None, plain: bool, policy_spec: str, db: str, keys: str,
    centre_code: str, centre_name: str,
) -> None:
    """Screen arrivals interactively at an entrance desk; q quits, a abandons the current screening."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415 - keep `--help` fast

    from tenderguard.cli.common import Failure, _secret  # noqa: PLC0415 - keep `--help` fast
    from tenderguard.desk.app import run_desk  # noqa: PLC0415
    from tenderguard.desk.terminal import open_terminal  # noqa: PLC0415
    from tenderguard.domain.model import Centre  # noqa: PLC0415
    from tenderguard.policy import load_policy  # noqa: PLC0415
    from tenderguard.services.wiring import gate_on, open_store, settled  # noqa: PLC0415

    with use_language(lang):
        try:
            policy = load_policy(policy_spec)
            centre = Centre(code=centre_code, name=centre_name)
            with open_store(db, centre) as store:
                gate = gate_on(store, policy, secret=_secret(keys))
                gate.session(session)  # fail before the first prompt when the session is not registered
                with settled():  # no long garbage-collector pause between a clerk's actions
                    run_desk(gate, session=session, desk=desk_name, operator=operator,
                             terminal=open_terminal(plain=plain))
        except TenderGuardError as exc:
            raise Failure(str(exc)) from None
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise Failure(_("database error: {detail}", detail=detail)) from None
