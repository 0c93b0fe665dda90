"""The ``tenderguard`` command: a thin click CLI over the library, one module per group of commands.

``common`` holds what every command shares (the error handling, the options, the store and the gate); ``day``,
``records``, ``reminders``, ``sessions``, ``badges``, ``policy``, ``operators``, ``webhooks`` and ``web``
(``serve``) the commands; the interactive desk lives in :mod:`tenderguard.desk`. Each command imports what it
uses, so the command starts fast.
"""

from __future__ import annotations

import signal

from tenderguard.cli import (  # noqa: F401 - each registers its commands
    badges,
    day,
    operators,
    policy,
    records,
    reminders,
    sessions,
    signin,
    web,
    webhooks,
)
from tenderguard.cli.common import cli
from tenderguard.desk.command import desk_command

__all__ = ["cli", "main"]

cli.add_command(desk_command)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    """Entry point of the ``tenderguard`` console script.

    SIGTERM and SIGHUP end a command as an error would: what it was writing is dropped (nothing half-written
    stays on disk) and its temporary files are removed.
    """
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _exit_on_signal)
    cli(prog_name="tenderguard")


if __name__ == "__main__":
    main()
