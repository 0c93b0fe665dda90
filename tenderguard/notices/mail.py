"""Email for the pre-bid reminder notices: SMTP settings from the environment, the message, and sending it.

The centre emails each procurement agency a reminder before a bid opening, usually with the notice as a PDF
(``开标提醒.pdf``). Three steps, each usable on its own:

* :class:`SmtpSettings` (defined in :mod:`tenderguard.notices.smtp_settings`, importable from here) says where
  and how to send. It comes from configuration, never from code: :meth:`SmtpSettings.from_env` reads
  ``TENDERGUARD_SMTP_*`` variables and names the variable at fault.
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
import re
import smtplib
import socket
import ssl
from collections.abc import Sequence
from email.message import EmailMessage

import attrs

from tenderguard.domain.model import Clock, SystemClock
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _
from tenderguard.notices.smtp_settings import (
    DEFAULT_PORTS,
    ENV_PREFIX,
    MailError,
    Security,
    SmtpSettings,
    has_line_break,
    parse_address,
)

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

_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*\Z")
_MESSAGE_ID = re.compile(r"^<?([!-;=?-~]+@[!-;=?-~]+)>?\Z")  # printable ASCII without '<', '>' and spaces


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
        recipient = parse_address(to)
    except ValueError as exc:
        raise InvalidInputError("to", str(exc),
                                hint=_("give one address, e.g. 李娜 <lina@agency.example>")) from None
    if not isinstance(subject, str) or not subject.strip():
        raise InvalidInputError("subject", _("is empty; write the subject line"))
    if has_line_break(subject):
        raise InvalidInputError("subject", _("must be on one line; remove the line breaks"))
    for name, body in (("text", text), ("html", html)):
        if not isinstance(body, str) or not body.strip():
            raise InvalidInputError(name, _("is empty"), hint=_("give both a plain-text and an HTML body"))
    sender = settings.sender_address
    if message_id is None:
        message_id = email.utils.make_msgid(domain=sender.domain)
    else:
        match = _MESSAGE_ID.match(message_id)
        if match is None:
            raise InvalidInputError("message_id", _("{value!r} is not a Message-ID", value=message_id),
                                    hint=_("use <unique-part@domain> in ASCII without spaces"))
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
            raise InvalidInputError(
                field, _("is not (filename, data, mime_type); give each attachment as these three")) from None
        if not isinstance(filename, str) or not filename.strip() or has_line_break(filename) or any(
            char in filename for char in "/\\"
        ):
            raise InvalidInputError(field, _("file name {name!r} is empty, has a line break or a path; give a plain "
                                             "file name", name=filename))
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidInputError(field, _("data of {name} is {kind}, not bytes; give the file's bytes",
                                            name=filename, kind=type(data).__name__))
        if not isinstance(mime_type, str) or not _MIME_TYPE.match(mime_type.lower()):
            raise InvalidInputError(field, _("{value!r} is not a MIME type; give one such as application/pdf",
                                            value=mime_type))
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
        return MailError(self._scrub(_("{field}: {message}", field=self.where, message=message)), transient=transient,
                         code=code,
                         hint=self._scrub(hint) if hint else None)

    def of(self, exc: BaseException) -> MailError:
        """The MailError for an exception raised while talking to the server."""
        retry = _("send it again later")
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            refusals = [RefusedRecipient(addr, code, _reply(raw)) for addr, (code, raw) in exc.recipients.items()]
            transient = all(r.transient for r in refusals)
            shown = _("; ").join(f"{r.address}: {r.code} {r.reply}" for r in refusals)
            return self(_("every recipient was refused ({refusals})", refusals=shown), transient=transient,
                        code=refusals[0].code if refusals else None,
                        hint=retry if transient else _("check the recipient's address"))
        if isinstance(exc, smtplib.SMTPSenderRefused):
            transient = _is_transient(exc.smtp_code)
            return self(_("the sender {sender} was refused: {code} {reply}", sender=exc.sender, code=exc.smtp_code,
                          reply=_reply(exc.smtp_error)),
                        transient=transient, code=exc.smtp_code,
                        hint=retry if transient else _("check {variable}: the server must allow this address for "
                                                       "this login", variable=f"{ENV_PREFIX}SENDER"))
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            transient = _is_transient(exc.smtp_code)
            return self(_("login refused: {code} {reply}", code=exc.smtp_code, reply=_reply(exc.smtp_error)),
                        transient=transient, code=exc.smtp_code,
                        hint=retry if transient else _("check {variable} and the password",
                                                       variable=f"{ENV_PREFIX}USER"))
        if isinstance(exc, smtplib.SMTPResponseException):  # connect, HELO, DATA and any other reply
            transient = _is_transient(exc.smtp_code)
            return self(_("the server replied {code} {reply}", code=exc.smtp_code, reply=_reply(exc.smtp_error)),
                        transient=transient,
                        code=exc.smtp_code, hint=retry if transient else None)
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            if isinstance(exc.__context__, TimeoutError):  # smtplib turns a read timeout into a disconnection
                return self(_("the server did not answer in time"), transient=True, hint=retry)
            return self(_("the server closed the connection ({reason})", reason=exc), transient=True, hint=retry)
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return self(_("the server does not support what the settings ask: {reason}", reason=exc), transient=False,
                        hint=_("check {security} (starttls, ssl, none) and {user}", security=f"{ENV_PREFIX}SECURITY",
                               user=f"{ENV_PREFIX}USER"))
        if isinstance(exc, smtplib.SMTPException):  # e.g. no authentication method in common
            return self(_("sending failed: {reason}", reason=exc), transient=False)
        if isinstance(exc, ssl.SSLCertVerificationError):
            return self(_("the server's certificate does not verify: {reason}", reason=exc.verify_message or exc),
                        transient=False,
                        hint=_("set {ca_file} to the CA that signed it, or check {host}",
                               ca_file=f"{ENV_PREFIX}CA_FILE", host=f"{ENV_PREFIX}HOST"))
        if isinstance(exc, ssl.SSLError):
            return self(_("TLS failed: {reason}", reason=exc), transient=False,
                        hint=_("check {security} and {port}: ssl is for port 465, starttls for 587",
                               security=f"{ENV_PREFIX}SECURITY", port=f"{ENV_PREFIX}PORT"))
        if isinstance(exc, TimeoutError):
            return self(_("the server did not answer in time"), transient=True, hint=retry)
        if isinstance(exc, socket.gaierror):
            transient = exc.errno == socket.EAI_AGAIN
            return self(_("cannot resolve the host name: {reason}", reason=exc.strerror), transient=transient,
                        hint=retry if transient else _("check {variable}", variable=f"{ENV_PREFIX}HOST"))
        if isinstance(exc, ConnectionRefusedError):
            return self(_("connection refused: no mail server is listening there"), transient=True,
                        hint=_("send it again later; if it persists, check {host} and {port}",
                               host=f"{ENV_PREFIX}HOST", port=f"{ENV_PREFIX}PORT"))
        if isinstance(exc, OSError):
            return self(_("network error: {reason}", reason=exc.strerror or exc), transient=True, hint=retry)
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
        raise InvalidInputError("message", _("has no Message-ID"), hint=_("build it with build_message"))
    recipients = _recipients(message)
    if not recipients:
        raise InvalidInputError("message", _("has no recipients (To, Cc or Bcc); give at least one address"))
    failure = _Failure(settings)
    try:
        context = _tls_context(settings) if settings.security != "none" else None
    except (OSError, ssl.SSLError) as exc:
        raise failure(_("cannot load the CA file {path}: {reason}", path=settings.ca_file, reason=type(exc).__name__),
                      transient=False, hint=_("check {variable}", variable=f"{ENV_PREFIX}CA_FILE")) from exc

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
