"""Where and how the centre sends email: :class:`SmtpSettings`, from code or from ``TENDERGUARD_SMTP_*`` variables.

Every field is checked when the settings are made, and an error names the field or the environment variable at
fault. :class:`MailError`, raised when sending fails, lives here too so that :mod:`tenderguard.notices.mail` and
its callers share one definition. The password is never shown in a ``repr`` or put in an error message.
"""

from __future__ import annotations

import email.policy
import math
import os
import re
from collections.abc import Callable, Mapping
from email.headerregistry import Address
from pathlib import Path
from typing import Any, Final, Literal, NoReturn, cast

import attrs

from tenderguard.errors import InvalidInputError, TenderGuardError
from tenderguard.i18n import _

__all__ = [
    "DEFAULT_PORTS",
    "ENV_PREFIX",
    "MailError",
    "Security",
    "SmtpSettings",
    "has_line_break",
    "parse_address",
]

Security = Literal["starttls", "ssl", "none"]
_SECURITIES: Final = ("starttls", "ssl", "none")
#: The usual port for each kind of connection: submission with STARTTLS, SMTPS, plain SMTP.
DEFAULT_PORTS: Final[Mapping[str, int]] = {"starttls": 587, "ssl": 465, "none": 25}
#: Every environment variable :meth:`SmtpSettings.from_env` reads starts with this.
ENV_PREFIX: Final = "TENDERGUARD_SMTP_"
_HOST = re.compile(r"^[A-Za-z0-9._:\[\]-]+\Z")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class MailError(TenderGuardError):
    """Raised when an email cannot be sent; ``transient`` is True when sending it again later may succeed.

    Transient: the server could not be reached or timed out, dropped the connection, or answered with a 4xx
    reply (421 service not available, 450/451/452 try again later, 454 temporary authentication failure).
    Permanent: a 5xx reply (535 wrong user name or password, 550/553 recipient or sender refused), a
    certificate that does not verify, TLS or authentication the server does not offer. ``code`` is the server's
    reply code when it gave one. A send that failed after the whole message went out (the connection dropped
    before the server's final reply) is transient but may have been delivered: send it again with the same
    Message-ID.
    """

    def __init__(self, message: str, *, transient: bool, code: int | None = None, hint: str | None = None) -> None:
        self.transient = transient
        self.code = code
        super().__init__(message, hint=hint)


def _hidden(value: str | None) -> str:
    """How the password shows in a repr: whether there is one, never what it is."""
    return "None" if value is None else "'***'"


def _check_host(value: str) -> str | None:
    if not value.strip():
        return _("is empty; give the mail server's host name")
    if not _HOST.match(value):
        return _("{value!r} is not a host name or IP address", value=value)
    return None


def _check_port(value: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        return _("{value!r} is not a port number (1–65535)", value=value)
    return None


def _check_security(value: str) -> str | None:
    if value not in _SECURITIES:
        return _("{value!r} is not one of {choices}", value=value, choices=_(", ").join(_SECURITIES))
    return None


def _check_timeout(value: float) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        return _("{value!r} is not a positive number of seconds", value=value)
    return None


def _check_credential(value: str | None) -> str | None:
    """Why a user name or password cannot be sent (never showing it), or None."""
    if value is not None and not value.isascii():
        return _("has characters outside ASCII, which smtplib cannot send in AUTH; use an ASCII one")
    return None


def has_line_break(value: str) -> bool:
    """Whether a value holds a line break (CR, LF) or a NUL, which no single-line header field may hold."""
    return any(char in value for char in "\r\n\x00")


def parse_address(value: str) -> Address:
    """The one address in ``value``, display name optional; ValueError says why it is not one."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(_("is empty"))
    if has_line_break(value):
        raise ValueError(_("must be on one line; remove the line breaks"))
    try:
        header = email.policy.default.header_factory("to", value)
    except (ValueError, IndexError, TypeError) as exc:  # the header parser's own failures on malformed input
        raise ValueError(_("{value!r} is not an email address ({reason})", value=value, reason=exc)) from None
    addresses: tuple[Address, ...] = getattr(header, "addresses", ())
    if len(addresses) != 1:
        raise ValueError(_("{value!r} must be exactly one email address", value=value))
    [address] = addresses
    if header.defects or not address.username or "." not in address.domain.strip("."):
        raise ValueError(_("{value!r} is not a valid email address", value=value))
    return address


def _check_address(value: str) -> str | None:
    try:
        parse_address(value)
    except ValueError as exc:
        return str(exc)
    return None


def _validator(check: Callable[[Any], str | None]) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    """An attrs validator that raises :class:`InvalidInputError` naming the attribute when ``check`` objects."""

    def validate(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        problem = check(value)
        if problem is not None:
            raise InvalidInputError(attribute.name, problem)

    return validate


def _default_port(settings: SmtpSettings) -> int:
    return DEFAULT_PORTS.get(settings.security, 25)


@attrs.frozen(kw_only=True)
class SmtpSettings:
    """Where and how to send email: the server, the kind of connection, the login and the sender.

    ``security`` is ``"starttls"`` (connect in plain, then upgrade; port 587 by default), ``"ssl"`` (TLS from the
    first byte, port 465) or ``"none"`` (no encryption, port 25: only for a relay inside the centre's network,
    since a password would cross it in clear). Certificates are checked against ``ca_file`` when given (it then
    replaces the system's store) and against the system's store otherwise; ``verify=False`` turns checking off,
    for a test server only. ``sender`` is the ``From`` address, optionally with a display name such as
    ``密云区公共资源交易中心 <notice@centre.example>``. The repr shows whether there is a password, never the
    password.
    """

    host: str = attrs.field(validator=_validator(_check_host))
    sender: str = attrs.field(validator=_validator(_check_address))
    security: Security = attrs.field(default="starttls", validator=_validator(_check_security))
    port: int = attrs.field(
        default=attrs.Factory(_default_port, takes_self=True),
        validator=_validator(_check_port),
    )
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=_hidden)
    timeout: float = attrs.field(default=30.0, validator=_validator(_check_timeout))
    ca_file: Path | None = attrs.field(default=None, converter=attrs.converters.optional(Path))
    verify: bool = True

    def __attrs_post_init__(self) -> None:
        """Check the login: a user name and a password together, or neither."""
        if self.username is not None and not self.username:
            raise InvalidInputError("username", _("is empty"), hint=_("leave it unset to send without logging in"))
        if self.username and not self.password:
            raise InvalidInputError("password", _("is missing while a username is set"),
                                    hint=_("set the password, or unset the username to send without logging in"))
        if self.password and not self.username:
            raise InvalidInputError("username", _("is missing while a password is set"),
                                    hint=_("set the username the server expects"))
        for field in ("username", "password"):
            problem = _check_credential(getattr(self, field))
            if problem is not None:
                raise InvalidInputError(field, problem)

    @property
    def sender_address(self) -> Address:
        """The sender as a parsed address: display name, user name and domain."""
        return parse_address(self.sender)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> SmtpSettings:
        """Settings from ``TENDERGUARD_SMTP_*`` variables; an error names the variable that is missing or wrong.

        ``HOST`` and ``SENDER`` are required. ``SECURITY`` (``starttls``, ``ssl`` or ``none``; default
        ``starttls``), ``PORT`` (default by security: 587, 465, 25), ``USER``, ``PASSWORD`` or ``PASSWORD_FILE``
        (a file holding the password, e.g. a container secret; one trailing newline is ignored), ``TIMEOUT``
        (seconds, default 30), ``CA_FILE`` and ``VERIFY`` (``true``/``false``, default ``true``) are optional.
        """
        env = _Environment(environ)
        host = env.required("HOST", _check_host, hint=_("set it to the SMTP server's name, e.g. smtp.centre.example"))
        sender = env.required("SENDER", _check_address,
                              hint=_("set it to the From address, e.g. 密云区公共资源交易中心 <notice@centre.example>"))
        security = (env.get("SECURITY") or "starttls").lower()
        env.check("SECURITY", _check_security(security))
        username, password = env.login()
        return cls(
            host=host,
            port=env.port(DEFAULT_PORTS[security]),
            security=cast(Security, security),
            username=username,
            password=password,
            sender=sender,
            timeout=env.timeout(30.0),
            ca_file=env.ca_file(),
            verify=env.verify(),
        )


class _Environment:
    """Reads the ``TENDERGUARD_SMTP_*`` variables; each error names the variable at fault."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def get(self, name: str) -> str | None:
        """The variable's value without surrounding spaces, or None when it is unset or blank."""
        value = self.environ.get(ENV_PREFIX + name)
        return value.strip() if value is not None and value.strip() else None

    def fail(self, name: str, problem: str, hint: str | None = None) -> NoReturn:
        """Raise the problem against the variable."""
        raise InvalidInputError(ENV_PREFIX + name, problem, hint=hint)

    def check(self, name: str, problem: str | None, hint: str | None = None) -> None:
        """Raise the problem, if there is one, against the variable."""
        if problem is not None:
            self.fail(name, problem, hint)

    def required(self, name: str, check: Callable[[str], str | None], *, hint: str) -> str:
        """A variable that must be set and pass ``check``."""
        value = self.get(name)
        if value is None:
            self.fail(name, _("is not set"), hint)
        self.check(name, check(value))
        return value

    def port(self, default: int) -> int:
        """PORT, or the default for the kind of connection."""
        text = self.get("PORT")
        if text is None:
            return default
        if not text.isascii() or not text.isdigit():
            self.fail("PORT", _("{value!r} is not a port number (1–65535)", value=text))
        self.check("PORT", _check_port(int(text)))
        return int(text)

    def timeout(self, default: float) -> float:
        """TIMEOUT in seconds, or the default."""
        text = self.get("TIMEOUT")
        if text is None:
            return default
        try:
            value = float(text)
        except ValueError:
            self.fail("TIMEOUT", _("{value!r} is not a number of seconds", value=text))
        self.check("TIMEOUT", _check_timeout(value))
        return value

    def verify(self) -> bool:
        """VERIFY: true unless set to false, no, off or 0."""
        text = (self.get("VERIFY") or "true").lower()
        if text not in _TRUE | _FALSE:
            self.fail("VERIFY", _("{value!r} is not true or false", value=text))
        return text in _TRUE

    def ca_file(self) -> Path | None:
        """CA_FILE, which must name an existing file."""
        text = self.get("CA_FILE")
        if text is None:
            return None
        if not Path(text).is_file():
            self.fail("CA_FILE", _("{path} is not a file", path=text),
                      hint=_("give the PEM file of the CA that signed the server's certificate"))
        return Path(text)

    def login(self) -> tuple[str | None, str | None]:
        """USER and the password (from PASSWORD or PASSWORD_FILE): both or neither."""
        username = self.get("USER")
        self.check("USER", _check_credential(username))
        password = self.environ.get(ENV_PREFIX + "PASSWORD") or None
        password_file = self.get("PASSWORD_FILE")
        if password is not None and password_file is not None:
            self.fail("PASSWORD_FILE", _("and {variable} are both set", variable=f"{ENV_PREFIX}PASSWORD"),
                      hint=_("keep only one of them"))
        if password_file is not None:
            try:
                password = Path(password_file).read_text(encoding="utf-8").removesuffix("\n").removesuffix("\r")
            except (OSError, UnicodeDecodeError) as exc:
                self.fail("PASSWORD_FILE",
                          _("cannot read {path}: {reason}", path=password_file, reason=type(exc).__name__))
            if not password:
                self.fail("PASSWORD_FILE", _("{path} is empty", path=password_file))
        self.check("PASSWORD_FILE" if password_file else "PASSWORD", _check_credential(password))
        if username is not None and password is None:
            self.fail("PASSWORD", _("is not set while {variable} is", variable=f"{ENV_PREFIX}USER"),
                      hint=_("set {password} or {password_file}, or unset {user}", password=f"{ENV_PREFIX}PASSWORD",
                             password_file=f"{ENV_PREFIX}PASSWORD_FILE", user=f"{ENV_PREFIX}USER"))
        if password is not None and username is None:
            self.fail("USER", _("is not set while a password is"), hint=_("set the user name the server expects"))
        return username, password
