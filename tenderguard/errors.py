"""Every error TenderGuard raises derives from :class:`TenderGuardError`.

Each message says what was wrong and how to fix it, so the CLI can print it as one line and a host system can
show it to the desk operator unchanged. Messages come from TenderGuard's catalogue (:mod:`tenderguard.i18n`):
Simplified Chinese by default, English with ``LANG=en``; they are written in the language in force when the
error is raised.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence

from tenderguard.i18n import N_, _

__all__ = [
    "FIELD_NAMES",
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
    "SessionStatusError",
    "StorageError",
    "TenderGuardError",
    "TooEarlyError",
    "TooLongError",
]


#: The patterns that join a message's parts (catalogue msgids).
_WITH_HINT = N_("{message} ({hint})")
_NAMED = N_("{field}: {message}")
_SCREENING = N_("screening {screening} (state {state!r}): {message}")

#: A Chinese character: a message holding one is Chinese prose (a message still in English has none of its own).
_HAN = re.compile("[\u3400-\u9fff]")
#: A value quoted in a message (a name typed, a file's text): not the message's own words.
_QUOTED = re.compile("'[^']*'|\"[^\"]*\"|“[^”]*”")


def _glue(pattern: str, prose: str, **values: object) -> str:
    """``pattern`` filled in: from the catalogue around Chinese prose, as written around a message in English.

    A message some code raises without the catalogue keeps its English punctuation, so no line mixes the two.
    """
    return _(pattern, **values) if _HAN.search(_QUOTED.sub("", prose)) else pattern.format(**values)


class TenderGuardError(Exception):
    """Base of every error raised by TenderGuard; catch this one to catch them all."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(_glue(_WITH_HINT, message, message=message, hint=hint) if hint else message)


#: The inputs an :class:`InvalidInputError` names most, and what a clerk calls them.
FIELD_NAMES: Mapping[str, str] = {
    "name": N_("name"), "id_number": N_("ID number"), "document": N_("ID number"), "role": N_("role"),
    "company": N_("company"), "credit_code": N_("credit code"), "phone": N_("phone"),
    "temperature": N_("temperature"), "celsius": N_("temperature"), "test_at": N_("test time"),
    "session": N_("session"), "password": N_("password"),
}


class InvalidInputError(TenderGuardError, ValueError):
    """Raised when a value given to a public entry point is malformed: an ID number, a phone, a reading, a field.

    ``field`` names the offending input (``id_number``, ``temperatures[1]``…) so a form or a batch file can point
    at it; ``detail`` is what is wrong with it, without the name. In Chinese the message names a field of
    :data:`FIELD_NAMES` as a clerk calls it (``身份证号：…``), in English by its key (``id_number: …``).
    """

    def __init__(self, field: str, message: str, *, hint: str | None = None) -> None:
        self.field = field
        self.detail = message
        chinese = _HAN.search(_QUOTED.sub("", message)) is not None
        named = _(FIELD_NAMES[field]) if chinese and field in FIELD_NAMES else field
        super().__init__(_glue(_NAMED, message, field=named, message=message), hint=hint)


class TooLongError(InvalidInputError):
    """Raised when a text is longer than its field allows; ``length`` is how long it is, ``limit`` the most allowed.

    A form or an import names the problem by these numbers rather than by reading the message.
    """

    def __init__(self, field: str, message: str, *, length: int, limit: int, hint: str | None = None) -> None:
        self.length = length
        self.limit = limit
        super().__init__(field, message, hint=hint)


class PolicyError(TenderGuardError):
    """Raised when a policy (preset or TOML file) is invalid; lists every problem by its key path."""

    def __init__(self, problems: Iterable[tuple[str, str]], *, source: str | None = None,
                 hint: str | None = None) -> None:
        self.problems: Sequence[tuple[str, str]] = tuple(problems)
        self.source = source
        head = _("invalid policy {source}", source=source) if source else _("invalid policy")
        lines = _("; ").join(_("{field}: {message}", field=path, message=msg) if path else msg
                             for path, msg in self.problems)
        super().__init__(_("{field}: {message}", field=head, message=lines),
                         hint=hint if hint is not None else _("correct the listed keys and load the policy again"))


class NotFoundError(TenderGuardError, LookupError):
    """Raised when a session, agency, screening or badge that an operation names does not exist."""


class ScreeningError(TenderGuardError):
    """Raised when a screening cannot take the action asked of it (closed, missing a measurement…)."""

    def __init__(self, screening_id: str, state: str, message: str, *, hint: str | None = None) -> None:
        self.screening_id = screening_id
        self.state = state
        super().__init__(_glue(_SCREENING, message, screening=screening_id,
                               state=state, message=message), hint=hint)


class InvalidTransitionError(ScreeningError):
    """Raised when a step is taken out of order: the screening's state does not allow it."""

    def __init__(self, screening_id: str, state: str, action: str, expected: Sequence[str]) -> None:
        self.action = action
        self.expected = tuple(expected)
        wanted = _(", ").join(self.expected) if self.expected else _("nothing (the screening is closed)")
        super().__init__(
            screening_id,
            state,
            _("cannot {action} now", action=action),
            hint=_("expected: {actions}", actions=wanted),
        )


class SessionStatusError(TenderGuardError):
    """Raised when a session's status does not allow what was asked.

    Screening for a cancelled session, or for a postponed one on its old day; changing a session that has opened
    or was cancelled, or one whose hall already holds admitted people.
    """


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
        super().__init__(_glue(_NAMED, message, field=path, message=message), hint=hint)


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
        super().__init__(_glue(_NAMED, message, field=field, message=message) if field else message,
                         hint=hint)


class FontCoverageError(RenderError):
    """Raised when the font has no glyph for characters to print; ``missing`` lists them instead of printing tofu."""

    def __init__(self, font: str, missing: Iterable[str], *, field: str | None = None) -> None:
        self.font = font
        self.missing: Sequence[str] = tuple(sorted(set(missing)))
        shown = _(", ").join(f"U+{ord(char):04X} {char}" for char in self.missing)
        super().__init__(
            _("the font {font} cannot draw {characters}", font=font, characters=shown),
            hint=_("replace these characters, or install a font that has them"),
            field=field,
        )
