"""Every error TenderGuard raises derives from :class:`TenderGuardError`.

Each message says what was wrong and how to fix it, so the CLI can print it as one line and a host system can
show it to the desk operator unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

__all__ = [
    "AuthenticationError",
    "CommitUnknownError",
    "ConflictError",
    "FontCoverageError",
    "InvalidInputError",
    "InvalidTransitionError",
    "KeyMismatchError",
    "NotFoundError",
    "OverrideError",
    "PolicyError",
    "RenderError",
    "ScreeningError",
    "StorageError",
    "TenderGuardError",
    "TooEarlyError",
]


class TenderGuardError(Exception):
    """Base of every error raised by TenderGuard; catch this one to catch them all."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} ({hint})" if hint else message)


class InvalidInputError(TenderGuardError, ValueError):
    """Raised when a value given to a public entry point is malformed: an ID number, a phone, a reading, a field.

    ``field`` names the offending input (``id_number``, ``temperatures[1]``…) so a form or a batch file can point
    at it.
    """

    def __init__(self, field: str, message: str, *, hint: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}", hint=hint)


class PolicyError(TenderGuardError):
    """Raised when a policy (preset or TOML file) is invalid; lists every problem by its key path."""

    def __init__(self, problems: Iterable[tuple[str, str]], *, source: str | None = None,
                 hint: str = "correct the listed keys and load the policy again") -> None:
        self.problems: Sequence[tuple[str, str]] = tuple(problems)
        self.source = source
        head = f"invalid policy {source}" if source else "invalid policy"
        lines = "; ".join(f"{path}: {msg}" if path else msg for path, msg in self.problems)
        super().__init__(f"{head}: {lines}", hint=hint)


class NotFoundError(TenderGuardError, LookupError):
    """Raised when a session, agency, screening or badge that an operation names does not exist."""


class ScreeningError(TenderGuardError):
    """Raised when a screening cannot take the action asked of it (closed, missing a measurement…)."""

    def __init__(self, screening_id: str, state: str, message: str, *, hint: str | None = None) -> None:
        self.screening_id = screening_id
        self.state = state
        super().__init__(f"screening {screening_id} (state {state!r}): {message}", hint=hint)


class InvalidTransitionError(ScreeningError):
    """Raised when a step is taken out of order: the screening's state does not allow it."""

    def __init__(self, screening_id: str, state: str, action: str, expected: Sequence[str]) -> None:
        self.action = action
        self.expected = tuple(expected)
        wanted = ", ".join(self.expected) if self.expected else "nothing (the screening is closed)"
        super().__init__(
            screening_id,
            state,
            f"cannot {action} now",
            hint=f"expected: {wanted}",
        )


class OverrideError(TenderGuardError):
    """Raised when an operator override is incomplete (no reason) or does not apply to the situation."""


class KeyMismatchError(TenderGuardError):
    """Raised when a desk or command brings another ID-hash key than the one the database was started with."""


class AuthenticationError(TenderGuardError):
    """Raised when a login or a token is refused.

    The message is the same whatever was wrong (no such account, a wrong password, a disabled account, an unknown
    or revoked token), so it tells nobody which accounts exist.
    """


class CommitUnknownError(TenderGuardError):
    """Raised when the database connection was lost while committing: the operation may or may not be saved.

    Never repeat the operation blindly: look at the record first (a batch resumes its line, which finds out).
    """


class StorageError(TenderGuardError):
    """Raised when a file or the database cannot be written where it was asked (a full disk, a read-only place).

    ``path`` names the file or folder; nothing half-written is left under its name.
    """

    def __init__(self, path: str, message: str, *, hint: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}", hint=hint)


class TooEarlyError(TenderGuardError):
    """Raised when a record that tells who bids is asked for before the session's opening (Bidding Law art. 22).

    ``session`` is the session's code and ``opens_at`` its opening time: ask again once it has passed.
    """

    def __init__(self, session: str, opens_at: dt.datetime, message: str, *, hint: str | None = None) -> None:
        self.session = session
        self.opens_at = opens_at
        super().__init__(message, hint=hint)


class ConflictError(TenderGuardError):
    """Raised when two desks changed the same record at once and this operation lost; retry it."""


class RenderError(TenderGuardError):
    """Raised when a document cannot be rendered: a template, a resource, the font or a value to print is wrong.

    ``field`` names the offending value when one is to blame (``company``, ``sessions[1]``…), as
    :class:`InvalidInputError` does for the desk's input.
    """

    def __init__(self, message: str, *, hint: str | None = None, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message, hint=hint)


class FontCoverageError(RenderError):
    """Raised when the font has no glyph for characters to print; ``missing`` lists them instead of printing tofu."""

    def __init__(self, font: str, missing: Iterable[str], *, field: str | None = None) -> None:
        self.font = font
        self.missing: Sequence[str] = tuple(sorted(set(missing)))
        shown = ", ".join(f"U+{ord(char):04X} {char}" for char in self.missing)
        super().__init__(
            f"the font {font} cannot draw {shown}",
            hint="replace these characters, or install a font that has them",
            field=field,
        )
