"""Email for the pre-bid reminder notices: SMTP settings from the environment, the message, and sending it.

The centre emails each procurement agency a reminder before a bid opening, usually with the notice as a PDF
(``开标提醒.pdf``). Three steps, each usable on its own:

* :class:`SmtpSettings` says where and how to send. It comes from configuration, never from code:
  :meth:`SmtpSettings.from_env` reads ``TENDERGUARD_SMTP_*`` variables and names the variable at fault.
* :func:`build_message` makes a UTF-8 ``multipart/alternative`` (text and HTML) message with Chinese subject and
  display names encoded for any server (RFC 2047), attachments with RFC 2231 file names, a ``Date`` and a
  ``Message-ID``. Give the same ``message_id`` when sending a notice again so the agency's mail system (and
  people) can recognise the repeat.
* :func:`send_message` delivers it with :mod:`smtplib` (STARTTLS, implicit TLS or plain; certificates verified
  unless ``verify=False``; login only when a user name is set) and returns a :class:`SendReceipt`, or raises
  :class:`MailError` whose ``transient`` flag says whether sending again later may succeed.

The password is never logged, shown in a ``repr`` or put in an error message.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.policy
import email.utils
import logging
import math
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Final, Literal, NoReturn, cast

import attrs

from tenderguard.domain.model import Clock, SystemClock
from tenderguard.errors import InvalidInputError, TenderGuardError

__all__ = [
    "DEFAULT_PORTS",
    "ENV_PREFIX",
    "MailError",
    "RefusedRecipient",
    "Security",
    "SendReceipt",
    "SmtpSettings",
    "build_message",
    "send_message",
]

log = logging.getLogger(__name__)

Security = Literal["starttls", "ssl", "none"]
_SECURITIES: Final = ("starttls", "ssl", "none")
#: The usual port for each kind of connection: submission with STARTTLS, SMTPS, plain SMTP.
DEFAULT_PORTS: Final[Mapping[str, int]] = {"starttls": 587, "ssl": 465, "none": 25}
#: Every environment variable :meth:`SmtpSettings.from_env` reads starts with this.
ENV_PREFIX: Final = "TENDERGUARD_SMTP_"
_HOST = re.compile(r"^[A-Za-z0-9._:\[\]-]+\Z")
_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*\Z")
_MESSAGE_ID = re.compile(r"^<?([!-;=?-~]+@[!-;=?-~]+)>?\Z")  # printable ASCII without '<', '>' and spaces
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
        return "is empty"
    if not _HOST.match(value):
        return f"{value!r} is not a host name or IP address"
    return None


def _check_port(value: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        return f"{value!r} is not a port number (1–65535)"
    return None


def _check_security(value: str) -> str | None:
    if value not in _SECURITIES:
        return f"{value!r} is not one of {', '.join(_SECURITIES)}"
    return None


def _check_timeout(value: float) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        return f"{value!r} is not a positive number of seconds"
    return None


def _check_credential(value: str | None) -> str | None:
    """Why a user name or password cannot be sent (never showing it), or None."""
    if value is not None and not value.isascii():
        return "has characters outside ASCII, which smtplib cannot send in AUTH; use an ASCII one"
    return None


def _has_line_break(value: str) -> bool:
    return any(char in value for char in "\r\n\x00")


def _parse_address(value: str) -> Address:
    """The one address in ``value``, display name optional; ValueError says why it is not one."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("is empty")
    if _has_line_break(value):
        raise ValueError("must be on one line")
    try:
        header = email.policy.default.header_factory("to", value)
    except (ValueError, IndexError, TypeError) as exc:  # the header parser's own failures on malformed input
        raise ValueError(f"{value!r} is not an email address ({exc})") from None
    addresses: tuple[Address, ...] = getattr(header, "addresses", ())
    if len(addresses) != 1:
        raise ValueError(f"{value!r} must be exactly one email address")
    [address] = addresses
    if header.defects or not address.username or "." not in address.domain.strip("."):
        raise ValueError(f"{value!r} is not a valid email address")
    return address


def _check_address(value: str) -> str | None:
    try:
        _parse_address(value)
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
            raise InvalidInputError("username", "is empty", hint="leave it unset to send without logging in")
        if self.username and not self.password:
            raise InvalidInputError("password", "is missing while a username is set",
                                    hint="set the password, or unset the username to send without logging in")
        if self.password and not self.username:
            raise InvalidInputError("username", "is missing while a password is set",
                                    hint="set the username the server expects")
        for field in ("username", "password"):
            problem = _check_credential(getattr(self, field))
            if problem is not None:
                raise InvalidInputError(field, problem)

    @property
    def sender_address(self) -> Address:
        """The sender as a parsed address: display name, user name and domain."""
        return _parse_address(self.sender)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> SmtpSettings:
        """Settings from ``TENDERGUARD_SMTP_*`` variables; an error names the variable that is missing or wrong.

        ``HOST`` and ``SENDER`` are required. ``SECURITY`` (``starttls``, ``ssl`` or ``none``; default
        ``starttls``), ``PORT`` (default by security: 587, 465, 25), ``USER``, ``PASSWORD`` or ``PASSWORD_FILE``
        (a file holding the password, e.g. a container secret; one trailing newline is ignored), ``TIMEOUT``
        (seconds, default 30), ``CA_FILE`` and ``VERIFY`` (``true``/``false``, default ``true``) are optional.
        """
        env = _Environment(environ)
        host = env.required("HOST", _check_host, hint="set it to the SMTP server's name, e.g. smtp.centre.example")
        sender = env.required("SENDER", _check_address,
                              hint="set it to the From address, e.g. 密云区公共资源交易中心 <notice@centre.example>")
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
            self.fail(name, "is not set", hint)
        self.check(name, check(value))
        return value

    def port(self, default: int) -> int:
        """PORT, or the default for the kind of connection."""
        text = self.get("PORT")
        if text is None:
            return default
        if not text.isascii() or not text.isdigit():
            self.fail("PORT", f"{text!r} is not a port number (1–65535)")
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
            self.fail("TIMEOUT", f"{text!r} is not a number of seconds")
        self.check("TIMEOUT", _check_timeout(value))
        return value

    def verify(self) -> bool:
        """VERIFY: true unless set to false, no, off or 0."""
        text = (self.get("VERIFY") or "true").lower()
        if text not in _TRUE | _FALSE:
            self.fail("VERIFY", f"{text!r} is not true or false")
        return text in _TRUE

    def ca_file(self) -> Path | None:
        """CA_FILE, which must name an existing file."""
        text = self.get("CA_FILE")
        if text is None:
            return None
        if not Path(text).is_file():
            self.fail("CA_FILE", f"{text} is not a file",
                      hint="give the PEM file of the CA that signed the server's certificate")
        return Path(text)

    def login(self) -> tuple[str | None, str | None]:
        """USER and the password (from PASSWORD or PASSWORD_FILE): both or neither."""
        username = self.get("USER")
        self.check("USER", _check_credential(username))
        password = self.environ.get(ENV_PREFIX + "PASSWORD") or None
        password_file = self.get("PASSWORD_FILE")
        if password is not None and password_file is not None:
            self.fail("PASSWORD_FILE", f"and {ENV_PREFIX}PASSWORD are both set", hint="keep only one of them")
        if password_file is not None:
            try:
                password = Path(password_file).read_text(encoding="utf-8").removesuffix("\n").removesuffix("\r")
            except (OSError, UnicodeDecodeError) as exc:
                self.fail("PASSWORD_FILE", f"cannot read {password_file}: {type(exc).__name__}")
            if not password:
                self.fail("PASSWORD_FILE", f"{password_file} is empty")
        self.check("PASSWORD_FILE" if password_file else "PASSWORD", _check_credential(password))
        if username is not None and password is None:
            self.fail("PASSWORD", f"is not set while {ENV_PREFIX}USER is",
                      hint=f"set {ENV_PREFIX}PASSWORD or {ENV_PREFIX}PASSWORD_FILE, or unset {ENV_PREFIX}USER")
        if password is not None and username is None:
            self.fail("USER", "is not set while a password is", hint="set the user name the server expects")
        return username, password


@attrs.frozen
class RefusedRecipient:
    """A recipient the server would not take, with its reply."""

    address: str
    code: int
    reply: str

    @property
    def transient(self) -> bool:
        """Whether the refusal was temporary (a 4xx reply), so sending to this recipient again may succeed."""
        return _is_transient(self.code)


@attrs.frozen
class SendReceipt:
    """What the server accepted: the message, the recipients it took and those it refused, and when."""

    message_id: str
    accepted: tuple[str, ...]
    refused: tuple[RefusedRecipient, ...]
    at: dt.datetime

    @property
    def complete(self) -> bool:
        """Whether every recipient was accepted."""
        return not self.refused


def build_message(
    *,
    settings: SmtpSettings,
    to: str,
    subject: str,
    text: str,
    html: str,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    message_id: str | None = None,
    clock: Clock | None = None,
) -> EmailMessage:
    """A UTF-8 message from ``settings.sender`` to ``to`` with text and HTML bodies and the given attachments.

    ``to`` is one address, optionally with a display name (``北京正信招标代理有限公司 <bid@zhengxin.example>``).
    Each attachment is ``(filename, data, mime_type)``, e.g. ``("开标提醒.pdf", pdf_bytes, "application/pdf")``.
    ``message_id`` (``<notice-MY-2026-118-ZX@centre.example>``; the angle brackets may be left out) is used as
    given so a notice sent again carries the same Message-ID; without it a new one is made on the sender's
    domain. The ``Date`` comes from ``clock`` (the centre's wall clock by default).
    """
    try:
        recipient = _parse_address(to)
    except ValueError as exc:
        raise InvalidInputError("to", str(exc), hint="give one address, e.g. 李娜 <lina@agency.example>") from None
    if not isinstance(subject, str) or not subject.strip():
        raise InvalidInputError("subject", "is empty")
    if _has_line_break(subject):
        raise InvalidInputError("subject", "must be on one line")
    for name, body in (("text", text), ("html", html)):
        if not isinstance(body, str) or not body.strip():
            raise InvalidInputError(name, "is empty", hint="give both a plain-text and an HTML body")
    sender = settings.sender_address
    if message_id is None:
        message_id = email.utils.make_msgid(domain=sender.domain)
    else:
        match = _MESSAGE_ID.match(message_id)
        if match is None:
            raise InvalidInputError("message_id", f"{message_id!r} is not a Message-ID",
                                    hint="use <unique-part@domain> in ASCII without spaces")
        message_id = f"<{match.group(1)}>"

    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = email.utils.format_datetime((clock or SystemClock()).now())
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies should not answer a notice
    message.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    for index, attachment in enumerate(attachments):
        field = f"attachments[{index}]"
        try:
            filename, data, mime_type = attachment
        except (TypeError, ValueError):
            raise InvalidInputError(field, "is not (filename, data, mime_type)") from None
        if not isinstance(filename, str) or not filename.strip() or _has_line_break(filename) or any(
            char in filename for char in "/\\"
        ):
            raise InvalidInputError(field, f"file name {filename!r} is empty, has a line break or a path")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidInputError(field, f"data of {filename} is {type(data).__name__}, not bytes")
        if not isinstance(mime_type, str) or not _MIME_TYPE.match(mime_type.lower()):
            raise InvalidInputError(field, f"{mime_type!r} is not a MIME type such as application/pdf")
        maintype, subtype = mime_type.lower().split("/")
        message.add_attachment(bytes(data), maintype=maintype, subtype=subtype, filename=filename)
    return message


def _is_transient(code: int) -> bool:
    """Whether an SMTP reply code says to try again later: anything but a 5xx reply."""
    return not 500 <= code <= 599


def _reply(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())


def _recipients(message: EmailMessage) -> list[str]:
    """The envelope recipients, as smtplib would take them: To, Cc and Bcc."""
    fields = [str(value) for name in ("To", "Cc", "Bcc") for value in message.get_all(name, [])]
    return list(dict.fromkeys(addr for _name, addr in email.utils.getaddresses(fields) if addr))  # once each


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """The client TLS context: the CA file or the system's store, hostname checked, unless ``verify`` is off."""
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    if not settings.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class _Failure:
    """Turns what smtplib and the socket raise into :class:`MailError` for one server, without the password."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.where = f"{settings.host}:{settings.port}"
        secrets: set[str] = set()
        if settings.password:
            secret = settings.password
            secrets.add(secret)
            user = settings.username or ""
            for raw in (secret, f"\0{user}\0{secret}", f"{user}\0{secret}"):
                secrets.add(base64.b64encode(raw.encode()).decode())
        self.secrets = sorted(secrets, key=len, reverse=True)

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def reveals(self, exc: BaseException) -> bool:
        """Whether the exception's text shows the password (a server that echoes what it was sent)."""
        return any(secret in f"{exc} {exc!r}" for secret in self.secrets)

    def __call__(self, message: str, *, transient: bool, code: int | None = None,
                 hint: str | None = None) -> MailError:
        return MailError(self._scrub(f"{self.where}: {message}"), transient=transient, code=code,
                         hint=self._scrub(hint) if hint else None)

    def of(self, exc: BaseException) -> MailError:
        """The MailError for an exception raised while talking to the server."""
        retry = "send it again later"
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            refusals = [RefusedRecipient(addr, code, _reply(raw)) for addr, (code, raw) in exc.recipients.items()]
            transient = all(r.transient for r in refusals)
            shown = "; ".join(f"{r.address}: {r.code} {r.reply}" for r in refusals)
            return self(f"every recipient was refused ({shown})", transient=transient,
                        code=refusals[0].code if refusals else None,
                        hint=retry if transient else "check the recipient's address")
        if isinstance(exc, smtplib.SMTPSenderRefused):
            transient = _is_transient(exc.smtp_code)
            return self(f"the sender {exc.sender} was refused: {exc.smtp_code} {_reply(exc.smtp_error)}",
                        transient=transient, code=exc.smtp_code,
                        hint=retry if transient else f"check {ENV_PREFIX}SENDER: the server must allow this "
                        "address for this login")
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            transient = _is_transient(exc.smtp_code)
            return self(f"login refused: {exc.smtp_code} {_reply(exc.smtp_error)}", transient=transient,
                        code=exc.smtp_code,
                        hint=retry if transient else f"check {ENV_PREFIX}USER and the password")
        if isinstance(exc, smtplib.SMTPResponseException):  # connect, HELO, DATA and any other reply
            transient = _is_transient(exc.smtp_code)
            return self(f"the server replied {exc.smtp_code} {_reply(exc.smtp_error)}", transient=transient,
                        code=exc.smtp_code, hint=retry if transient else None)
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            if isinstance(exc.__context__, TimeoutError):  # smtplib turns a read timeout into a disconnection
                return self("the server did not answer in time", transient=True, hint=retry)
            return self(f"the server closed the connection ({exc})", transient=True, hint=retry)
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return self(f"the server does not support what the settings ask: {exc}", transient=False,
                        hint=f"check {ENV_PREFIX}SECURITY (starttls, ssl, none) and {ENV_PREFIX}USER")
        if isinstance(exc, smtplib.SMTPException):  # e.g. no authentication method in common
            return self(str(exc), transient=False)
        if isinstance(exc, ssl.SSLCertVerificationError):
            return self(f"the server's certificate does not verify: {exc.verify_message or exc}", transient=False,
                        hint=f"set {ENV_PREFIX}CA_FILE to the CA that signed it, or check {ENV_PREFIX}HOST")
        if isinstance(exc, ssl.SSLError):
            return self(f"TLS failed: {exc}", transient=False,
                        hint=f"check {ENV_PREFIX}SECURITY and {ENV_PREFIX}PORT: ssl is for port 465, starttls "
                        "for 587")
        if isinstance(exc, TimeoutError):
            return self("the server did not answer in time", transient=True, hint=retry)
        if isinstance(exc, socket.gaierror):
            transient = exc.errno == socket.EAI_AGAIN
            return self(f"cannot resolve the host name: {exc.strerror}", transient=transient,
                        hint=retry if transient else f"check {ENV_PREFIX}HOST")
        if isinstance(exc, ConnectionRefusedError):
            return self("connection refused: no mail server is listening there", transient=True,
                        hint=f"{retry}; if it persists, check {ENV_PREFIX}HOST and {ENV_PREFIX}PORT")
        if isinstance(exc, OSError):
            return self(f"network error: {exc.strerror or exc}", transient=True, hint=retry)
        raise exc  # not a sending failure: let it through unchanged


def _deliver(
    message: EmailMessage, settings: SmtpSettings, context: ssl.SSLContext | None, recipients: list[str]
) -> dict[str, tuple[int, bytes]]:
    """One SMTP conversation: connect, secure, log in, send; the recipients refused, as smtplib reports them."""
    if settings.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                                context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        client.ehlo()
        if settings.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if settings.username:
            client.login(settings.username, settings.password or "")
        refused = client.send_message(message, from_addr=settings.sender_address.addr_spec, to_addrs=recipients)
    except BaseException:
        client.close()  # no QUIT: the conversation is broken or refused, waiting for a goodbye helps nothing
        raise
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass  # the server has accepted the message: how the goodbye goes does not matter
    finally:
        client.close()
    return refused


def send_message(message: EmailMessage, settings: SmtpSettings, *, clock: Clock | None = None) -> SendReceipt:
    """Send ``message`` through the server of ``settings`` and say which recipients it accepted.

    The envelope sender is ``settings.sender``; the recipients are the message's To, Cc and Bcc (Bcc is not
    sent in the headers). When some recipients are refused and others accepted, the receipt lists both and
    nothing is raised; when all are refused, or anything else fails, :class:`MailError` is raised with
    ``transient`` telling whether to try again later. A failure after the server accepted the message (while
    saying goodbye) is ignored. ``at`` in the receipt comes from ``clock``.
    """
    message_id = message.get("Message-ID")
    if not message_id:
        raise InvalidInputError("message", "has no Message-ID", hint="build it with build_message")
    recipients = _recipients(message)
    if not recipients:
        raise InvalidInputError("message", "has no recipients (To, Cc or Bcc)")
    failure = _Failure(settings)
    try:
        context = _tls_context(settings) if settings.security != "none" else None
    except (OSError, ssl.SSLError) as exc:
        raise failure(f"cannot load the CA file {settings.ca_file}: {type(exc).__name__}", transient=False,
                      hint=f"check {ENV_PREFIX}CA_FILE") from exc

    error: MailError | None = None
    try:
        refused = _deliver(message, settings, context, recipients)
    except (smtplib.SMTPException, OSError) as exc:
        error = failure.of(exc)
        log.warning("mail %s not sent: %s", message_id, error)
        if not failure.reveals(exc):
            raise error from exc
    if error is not None:
        raise error  # outside the except block, so the exception that shows the password is not chained to it

    refusals = tuple(RefusedRecipient(addr, code, _reply(raw)) for addr, (code, raw) in refused.items())
    refused_addresses = {r.address for r in refusals}
    receipt = SendReceipt(
        message_id=str(message_id),
        accepted=tuple(addr for addr in recipients if addr not in refused_addresses),
        refused=refusals,
        at=(clock or SystemClock()).now(),
    )
    log.info("mail %s accepted by %s:%s for %d recipient(s), %d refused", receipt.message_id, settings.host,
             settings.port, len(receipt.accepted), len(receipt.refused))
    return receipt
