"""What every command shares: the group that turns errors into one line, the options, the store and the gate."""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from tenderguard import __version__
from tenderguard.errors import TenderGuardError
from tenderguard.i18n import _, language
from tenderguard.keys import DEFAULT_KEYS_DIR
from tenderguard.policy import list_presets

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from tenderguard.domain.model import Centre
    from tenderguard.services import Gate
    from tenderguard.store.sql import SqlStore


__all__ = [
    "CONFIG_KEYS",
    "DEFAULT_CONFIG",
    "DEFAULT_DB",
    "EXIT_AUDIT_BROKEN",
    "EXIT_BADGE_INVALID",
    "EXIT_INVALID_LINES",
    "Failure",
    "Usage",
    "cli",
]


EXIT_INVALID_LINES = 3


EXIT_AUDIT_BROKEN = 4


EXIT_BADGE_INVALID = 5

#: ``badge print`` printed every badge it could and lists the others (their text cannot be printed).
EXIT_UNPRINTABLE = 6


DEFAULT_DB = "sqlite:///tenderguard.db"


class Failure(click.ClickException):
    """A command's failure, told as one line on standard error (``错误：…``, ``Error: …`` in English), exit 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the one line (no usage text, no traceback)."""
        click.echo(_("Error: {message}", message=self.format_message()), file=file, err=file is None)


class Usage(click.UsageError):
    """A usage mistake (an unknown option or command, a bad or missing value) told as one line, exit 2.

    ``错误：没有--nope这个选项（用法见 tenderguard badge --help）`` by default, in English with ``LANG=en``; the
    command's usage text is left to ``--help``.
    """

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the one line: the mistake and where to read the command's usage."""
        command = self.ctx.command_path if self.ctx is not None else "tenderguard"
        click.echo(_("Error: {message} (see {command} --help)", message=self.format_message(), command=command),
                   file=file, err=file is None)


def _param_name(param: click.Parameter | None) -> str:
    """An option as typed (``--date``), an argument by its metavar (``FILE``)."""
    if param is None:
        return _("a value")
    if isinstance(param, click.Option):
        return "/".join(param.opts)
    return param.human_readable_name


def _date_layout(layout: str) -> str:
    return layout.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD").replace("%H", "HH").replace(
        "%M", "MM").replace("%S", "SS")


def _bad_value(exc: click.BadParameter) -> str:
    """What is wrong with a value, said by the kind of value the option takes."""
    name = _param_name(exc.param)
    kind = exc.param.type if exc.param is not None else None
    if isinstance(exc, click.MissingParameter):
        return _("{param} is missing", param=name)
    if _has_chinese(exc.message):  # TenderGuard's own words (a callback's check), already in the catalogue's language
        return _("{field}: {message}", field=name, message=exc.message)
    if isinstance(kind, click.DateTime):
        return _("{param} takes a date written {layouts}", param=name,
                 layouts=_(" or ").join(_date_layout(layout) for layout in kind.formats))
    if isinstance(kind, click.Choice):
        return _("{param} takes one of {choices}", param=name, choices=_(", ").join(map(str, kind.choices)))
    if isinstance(kind, click.types.IntParamType):
        return _("{param} takes a whole number", param=name)
    if isinstance(kind, click.types.FloatParamType):
        return _("{param} takes a number", param=name)
    if isinstance(kind, click.Path | click.File):
        return _("{param}: the file or folder given cannot be used ({problem})", param=name, problem=exc.message)
    return _("{param} has a value that is not valid ({problem})", param=name, problem=exc.message)


def _has_chinese(text: str) -> bool:
    """Whether a text's own words are Chinese (TenderGuard's), a value quoted in it ('明天') left aside."""
    return any("\u4e00" <= char <= "\u9fff" for char in _QUOTED.sub("", text))


#: A value quoted in a message: not the message's own words.
_QUOTED = re.compile("'[^']*'|\"[^\"]*\"|“[^”]*”|「[^」]*」")


def _usage(exc: click.UsageError) -> click.UsageError:
    """The one-line :class:`Usage` for a usage mistake click found, said in the catalogue's language."""
    if isinstance(exc, Usage | click.exceptions.NoArgsIsHelpError):
        return exc  # already told, or `tenderguard` alone: click shows the help
    if language() == "en":
        return Usage(exc.format_message(), ctx=exc.ctx)
    if isinstance(exc, click.NoSuchOption):
        message = _("no such option {option}", option=exc.option_name)
        if exc.possibilities:
            message = _("{problem}; did you mean {options}?", problem=message,
                        options=_(", ").join(sorted(exc.possibilities)))
    elif isinstance(exc, click.BadOptionUsage):
        message = (_("{option} takes no value", option=exc.option_name) if "does not take" in exc.message
                   else _("{option} needs a value", option=exc.option_name))
    elif isinstance(exc, click.BadParameter):
        message = _bad_value(exc)
    elif exc.message.startswith("Got unexpected extra argument"):
        extra = exc.message.partition("(")[2].rpartition(")")[0]
        message = _("unexpected extra argument(s): {arguments}", arguments=extra)
    else:
        message = exc.message  # a command's own usage mistake, from the catalogue
    return Usage(message, ctx=exc.ctx)


class _Group(click.Group):
    """A click group that turns TenderGuard's errors into one line and exit code 1, usage mistakes into one line, 2.

    Its subgroups are of this class too (``group_class``), so each says an unknown command the same way.
    """

    group_class = type

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        """Parse the group's own options; a mistake in them is one line (:class:`Usage`)."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _usage(exc) from None

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        """The subcommand named first in ``args``; an unknown name is one line listing the commands there are."""
        try:
            return super().resolve_command(ctx, args)
        except click.NoSuchOption:
            raise
        except click.UsageError as exc:
            if language() == "en":
                raise Usage(exc.format_message(), ctx=ctx) from None
            raise Usage(_("no such command {name}; the commands are: {names}", name=args[0] if args else "",
                          names=_(", ").join(self.list_commands(ctx))), ctx=ctx) from None

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; a TenderGuardError becomes a ClickException (no traceback)."""
        try:
            return super().invoke(ctx)
        except TenderGuardError as exc:
            raise Failure(str(exc)) from None
        except click.UsageError as exc:
            raise _usage(exc) from None
        except UnicodeDecodeError as exc:
            raise Failure(_("a file given is not UTF-8 text (byte {byte} at {offset}): save it as UTF-8 and run the "
                            "command again", byte=f"{exc.object[exc.start]:#04x}", offset=exc.start)) from None
        except RecursionError:
            raise Failure(_("a file given is nested too deeply to read: a policy, a list or a configuration is a "
                            "few levels deep (nothing was written)")) from None
        except BrokenPipeError:
            raise  # standard output was closed by its reader (`| head`): nothing to say to anybody
        except OSError as exc:
            raise Failure(_os_error_line(exc)) from None
        except Exception as exc:
            # A database error can only come from a command that loaded SQLAlchemy: look for it only then.
            database = sys.modules.get("sqlalchemy.exc")
            if database is not None and isinstance(exc, database.ArgumentError):
                raise Failure(_("--db: {problem} (e.g. sqlite:///gate.db or postgresql+psycopg://user@host/db)",
                                problem=exc)) from None
            if database is not None and isinstance(exc, database.SQLAlchemyError):
                detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                raise Failure(_("database error: {detail} (check --db and that the server is up; nothing was "
                                "half-written)", detail=detail)) from None
            raise


def _os_error_line(exc: OSError) -> str:
    """One line for an error of the operating system: the file it is about and why, a full disk called one."""
    from tenderguard.records.files import storage_error  # noqa: PLC0415 - each command imports what it uses
    if exc.filename is None:
        return _("the system refused: {problem} (nothing was half-written)", problem=exc.strerror or exc)
    named = os.fsdecode(exc.filename)
    if exc.errno in _WRITE_ERRORS:
        return str(storage_error(exc, named))
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):  # a folder was to be made where a file is
        path = Path(named)
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            where = f"{blocker}" if str(blocker) == named else f"{named}: {blocker}"
            return _("{path} is a file, not a folder (pick another path; nothing was written)", path=where)
    return _("{path}: {problem} (check the path and its permissions)", path=named, problem=exc.strerror or exc)


#: Errors of writing a file (a full disk or quota, a read-only disk), told as such whatever command met them.
_WRITE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


def _db_url(value: str) -> str:
    """A URL as given, or a plain file path taken as a SQLite file."""
    from tenderguard.services.wiring import database_url  # noqa: PLC0415 - each command imports what it uses
    return database_url(value)


def _db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db", "db", envvar="TENDERGUARD_DB", default=DEFAULT_DB, show_default=True, metavar="URL",
        help="Database URL (sqlite:///FILE or postgresql+psycopg://…) or a SQLite file path [env TENDERGUARD_DB].",
    )(func)


def _keys_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--keys", "keys", envvar="TENDERGUARD_KEYS", default=DEFAULT_KEYS_DIR, show_default=True, metavar="DIR",
        type=click.Path(file_okay=False), help="Folder of the centre's secrets [env TENDERGUARD_KEYS].",
    )(func)


def _centre_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--centre-name", default="公共资源交易中心", show_default=True,
                        help="The centre's name.")(func)
    return click.option("--centre-code", default="MY", show_default=True,
                        help="The centre's code (badge serial prefix).")(func)


def _store(db: str, centre: Centre, *, create: bool = False) -> AbstractContextManager[SqlStore]:
    """The store of ``--db`` (:func:`~tenderguard.services.wiring.open_store`); ``create`` makes a new database."""
    from tenderguard.services.wiring import open_store  # noqa: PLC0415 - each command imports what it uses
    return open_store(db, centre, create=create)


def _secret(keys: str) -> bytes:
    from tenderguard.keys import load_id_secret  # noqa: PLC0415 - each command imports what it uses
    secret, created = load_id_secret(keys)
    if created:
        click.echo(_("note: created the ID-hash key {path} (keep it; mode 0600)", path=Path(keys) / "id-hash.key"),
                   err=True)
    return secret


def _policy_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--policy", "policy_spec", default="miyun-2020", show_default=True, metavar="PRESET|FILE",
        help=f"A preset ({', '.join(list_presets())}) or a policy TOML file.",
    )(func)


#: Settings a configuration file may give, and the option (parameter) each one sets on every command having it.
CONFIG_KEYS = {"db": "db", "keys": "keys", "policy": "policy_spec", "centre_code": "centre_code",
               "centre_name": "centre_name", "desk": "desk", "operator": "operator"}


DEFAULT_CONFIG = "tenderguard.toml"


def _config_defaults(command: click.Command, settings: dict[str, str]) -> dict[str, Any]:
    """The ``default_map`` that gives every (sub)command the configured values of the options it has."""
    found: dict[str, Any] = {}
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            nested = _config_defaults(sub, settings)
            if nested:
                found[name] = nested
        return found
    params = {p.name for p in command.params}
    return {CONFIG_KEYS[k]: v for k, v in settings.items() if CONFIG_KEYS[k] in params}


def _read_config(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise TenderGuardError(_("cannot read the configuration {path}: it is nested too deeply", path=path),
                               hint=_("a configuration is one flat table of settings")) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TenderGuardError(_("cannot read the configuration {path}: {problem}", path=path, problem=exc),
                               hint=_("fix the file or point --config elsewhere")) from None
    table = data.get("tenderguard", data)
    unknown = sorted(set(table) - set(CONFIG_KEYS))
    if unknown or not all(isinstance(v, str) for v in table.values()):
        raise TenderGuardError(_("{path}: unknown or non-text settings {settings}", path=path,
                                 settings=", ".join(unknown) or _("(a value)")),
                               hint=_("known settings: {settings} (all text)", settings=", ".join(CONFIG_KEYS)))
    return {str(k): str(v) for k, v in table.items()}


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tenderguard")
@click.option("--config", metavar="FILE", envvar="TENDERGUARD_CONFIG", default=None,
              help=f"A TOML file of defaults (db, keys, policy, centre_code, centre_name, desk, operator) "
                   f"[env TENDERGUARD_CONFIG; default ./{DEFAULT_CONFIG} if present]. Options and environment "
                   "variables win over it.")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """TenderGuard: the health-screening gate of a trading centre on bid-opening days."""
    path = Path(config) if config else Path(DEFAULT_CONFIG)
    if config is not None or path.is_file():
        ctx.default_map = _config_defaults(cli, _read_config(path))


def _now() -> dt.datetime:
    from tenderguard.domain.model import SHANGHAI  # noqa: PLC0415 - each command imports what it uses
    return dt.datetime.now(SHANGHAI)


def _gate(store: SqlStore, policy_spec: str) -> Gate:
    from tenderguard.services.wiring import gate_on  # noqa: PLC0415 - each command imports what it uses
    return gate_on(store, policy_spec)
