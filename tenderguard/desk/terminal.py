"""How the desk talks to the operator: a prompt_toolkit terminal, or a plain one for dumb terminals and tests.

Both forget what was typed when told to (:meth:`Terminal.forget`), so the up-arrow never brings back the last
person's name or ID number, and :meth:`Terminal.clear` wipes the screen and the scroll-back.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Protocol, TextIO

__all__ = ["CLEAR_SCREEN", "PlainTerminal", "PromptTerminal", "Terminal", "open_terminal"]

#: Cursor home, erase the screen, erase the scroll-back (xterm and most emulators).
CLEAR_SCREEN = "\x1b[H\x1b[2J\x1b[3J"

#: prompt_toolkit styles of the desk's message kinds.
_STYLES = {
    "ok": "bold fg:ansibrightgreen",
    "bad": "bold fg:ansibrightred",
    "warn": "bold fg:ansiyellow",
    "title": "bold",
    "dim": "fg:ansigray",
}


class Terminal(Protocol):
    """What the desk needs from a terminal."""

    def ask(self, prompt: str) -> str:
        """Show a prompt and return the line typed (EOFError at end of input, KeyboardInterrupt on Ctrl-C)."""
        ...

    def say(self, text: str, kind: str = "") -> None:
        """Show a line; ``kind`` is ``ok``, ``bad``, ``warn``, ``title``, ``dim`` or plain."""
        ...

    def clear(self) -> None:
        """Wipe the screen and its scroll-back."""
        ...

    def forget(self) -> None:
        """Drop the input history (before the next person)."""
        ...


class PlainTerminal:
    """Line by line through two callables: works on any pseudo-terminal, a pipe, or a test's lists."""

    def __init__(self, prompt_fn: Callable[[str], str] | None = None, output: Callable[[str], None] | None = None,
                 clear: Callable[[], None] | None = None, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._output = output or self._write
        self._prompt_fn = prompt_fn or self._input
        self._clear = clear or (lambda: self._output(CLEAR_SCREEN))

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()

    def _input(self, prompt: str) -> str:
        self._write(prompt)
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\r\n")

    def ask(self, prompt: str) -> str:
        """Show a prompt and read one line."""
        return self._prompt_fn(prompt)

    def say(self, text: str, kind: str = "") -> None:
        """Write a line (the kind is not shown)."""
        del kind
        self._output(text + "\n")

    def clear(self) -> None:
        """Write the clear-screen sequence."""
        self._clear()

    def forget(self) -> None:
        """Nothing is remembered."""


class PromptTerminal:
    """prompt_toolkit's line editor (Chinese input methods, editing keys) with a fresh history per person."""

    def __init__(self) -> None:
        from prompt_toolkit import PromptSession  # noqa: PLC0415 - only on a real terminal
        from prompt_toolkit.history import InMemoryHistory  # noqa: PLC0415

        def new() -> PromptSession[str]:
            return PromptSession(history=InMemoryHistory())

        self._new = new
        self._session = new()

    def ask(self, prompt: str) -> str:
        """Read a line with the editor."""
        return self._session.prompt(prompt)

    def say(self, text: str, kind: str = "") -> None:
        """Print a line in the kind's style."""
        from prompt_toolkit import print_formatted_text  # noqa: PLC0415
        from prompt_toolkit.formatted_text import FormattedText  # noqa: PLC0415

        print_formatted_text(FormattedText([(_STYLES.get(kind, ""), text)]))

    def clear(self) -> None:
        """Erase the screen and the scroll-back."""
        output = self._session.app.output
        output.write_raw(CLEAR_SCREEN)
        output.flush()

    def forget(self) -> None:
        """Start a new session: the previous person's input is gone from the history."""
        self._session = self._new()


def open_terminal(*, plain: bool = False) -> Terminal:
    """prompt_toolkit on an interactive terminal, else (or with ``plain``, ``TERM=dumb``) the plain terminal."""
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if plain or not interactive or os.environ.get("TERM", "dumb") in ("", "dumb"):
        return PlainTerminal()
    try:
        return PromptTerminal()
    except Exception:  # any console prompt_toolkit cannot drive: fall back to plain lines
        return PlainTerminal()
