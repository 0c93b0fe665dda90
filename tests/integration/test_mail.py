"""Sending reminder notices through a real SMTP server (aiosmtpd on loopback): content, TLS, login and failures."""

from __future__ import annotations

import datetime as dt
import email.policy
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import closing, contextmanager
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import attrs
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tenderguard import ManualClock
from tenderguard.domain.model import SHANGHAI
from tenderguard.errors import InvalidInputError
from tenderguard.notices.mail import MailError, SmtpSettings, build_message, send_message

SENDER = "密云区公共资源交易中心 <notice@centre.example>"
AGENCY = "北京正信招标代理有限公司 <bid@zhengxin.example>"
SUBJECT = "开标提醒：MY-2026-118 密云区道路改造工程 11月23日上午9:30开标"
TEXT = (
    "李娜女士：\n\n"
    "密云区道路改造工程（MY-2026-118）定于2026年11月23日上午9:30在第一开标室开标，请提前30分钟到场接受健康筛查。\n"
)
HTML = "<p>李娜女士：</p><p>密云区道路改造工程（<b>MY-2026-118</b>）定于2026年11月23日上午9:30在第一开标室开标。</p>"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(range(256)) + b"\n%%EOF\n"
PDF_NAME = "开标提醒.pdf"
MESSAGE_ID = "<notice-MY-2026-118-ZX@centre.example>"
USER = "notice@centre.example"
PASSWORD = "Kb#9x!my-s3cret"  # noqa: S105  # the test server's password, checked never to leak
CLOCK = ManualClock(dt.datetime(2026, 11, 22, 15, 0, tzinfo=SHANGHAI))


@attrs.define
class Arrival:
    """One message as the server received it."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: bytes | None


@attrs.define
class Mailbox:
    """An aiosmtpd handler that keeps what arrives and can refuse a stage with a fixed reply."""

    arrived: list[Arrival] = attrs.Factory(list)
    mail_reply: str | None = None
    rcpt_replies: dict[str, str] = attrs.Factory(dict)
    data_reply: str | None = None

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        """Refuse the sender when told to, else take it."""
        if self.mail_reply is not None:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        """Refuse the recipients told to, take the others."""
        reply = self.rcpt_replies.get(address) or self.rcpt_replies.get("*")
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Refuse the data when told to, else keep the message."""
        if self.data_reply is not None:
            return self.data_reply
        assert isinstance(envelope.content, bytes)
        assert envelope.mail_from is not None
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        self.arrived.append(Arrival(envelope.mail_from, list(envelope.rcpt_tos), envelope.content,
                                    session.ssl is not None, login))
        return "250 Message accepted for delivery"


@attrs.frozen
class Pki:
    """A test CA and a server certificate it signed for localhost and 127.0.0.1."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        """The server side's TLS context."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def _make_pki(folder: Path) -> Pki:
    """Generate a self-signed CA and a server certificate for loopback into ``folder``."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TenderGuard test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    pki.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    pki.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA file and a server certificate, made once for this module."""
    return _make_pki(tmp_path_factory.mktemp("pki"))


def free_port() -> int:
    """A TCP port on loopback that nothing listens on (right now)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(handler: Mailbox, **options: Any) -> Iterator[int]:
    """Run aiosmtpd on 127.0.0.1 with ``options`` (SMTP keyword arguments, ``ssl_context``); yield its port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="mx.test", **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def settings_for(port: int, **changes: Any) -> SmtpSettings:
    """Settings for the loopback server: plain by default, short timeout."""
    values: dict[str, Any] = {"host": "127.0.0.1", "port": port, "security": "none", "sender": SENDER,
                              "timeout": 5.0}
    values.update(changes)
    return SmtpSettings(**values)


def notice(settings: SmtpSettings, **changes: Any) -> EmailMessage:
    """The reminder notice to the agency with its PDF."""
    values: dict[str, Any] = {"to": AGENCY, "subject": SUBJECT, "text": TEXT, "html": HTML,
                              "attachments": [(PDF_NAME, PDF, "application/pdf")], "message_id": MESSAGE_ID,
                              "clock": CLOCK}
    values.update(changes)
    return build_message(settings=settings, **values)


def authenticator(mechanisms: list[str]) -> Any:
    """An aiosmtpd authenticator that accepts USER/PASSWORD only and notes the mechanism used."""

    def check(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        mechanisms.append(mechanism)
        ok = isinstance(auth_data, LoginPassword) and auth_data == (USER.encode(), PASSWORD.encode())
        return AuthResult(success=ok, auth_data=auth_data if ok else None, handled=False)

    return check


def assert_no_password(error: BaseException) -> None:
    """Neither the error nor its cause shows the password."""
    seen = error
    while True:
        assert PASSWORD not in str(seen)
        assert PASSWORD not in repr(seen)
        if seen.__cause__ is None:
            return
        seen = seen.__cause__


def test_chinese_notice_with_pdf_arrives_intact() -> None:
    """Subject, sender, recipient, text and HTML parts and the PDF (bytes and Chinese file name) arrive as sent."""
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        settings = settings_for(port)
        receipt = send_message(notice(settings), settings, clock=CLOCK)

    assert (receipt.message_id, receipt.accepted, receipt.refused) == (MESSAGE_ID, ("bid@zhengxin.example",), ())
    assert receipt.complete
    assert receipt.at == CLOCK.now()
    [arrival] = mailbox.arrived
    assert (arrival.mail_from, arrival.rcpt_tos, arrival.tls) == ("notice@centre.example",
                                                                   ["bid@zhengxin.example"], False)
    assert arrival.content.isascii()  # every header and body encoded for any server, no 8-bit needed
    received = BytesParser(policy=email.policy.default).parsebytes(arrival.content)
    assert received["Subject"] == SUBJECT
    [sender] = received["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("密云区公共资源交易中心", "notice@centre.example")
    [recipient] = received["To"].addresses
    assert (recipient.display_name, recipient.addr_spec) == ("北京正信招标代理有限公司", "bid@zhengxin.example")
    assert received["Message-ID"] == MESSAGE_ID
    assert received["Date"].datetime == CLOCK.now()
    assert received.get_content_type() == "multipart/mixed"
    plain = received.get_body(preferencelist=("plain",))
    html = received.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    # Text travels in canonical form (CRLF line ends, RFC 2045), which mail readers show as plain line breaks.
    assert plain.get_content() == TEXT.replace("\n", "\r\n")
    assert html.get_content().rstrip("\r\n") == HTML
    assert plain.get_content_charset() == "utf-8"
    [attachment] = list(received.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == PDF_NAME
    assert "filename*=utf-8''%E5%BC%80%E6%A0%87%E6%8F%90%E9%86%92.pdf" in arrival.content.decode()
    assert attachment.get_content() == PDF


def test_starttls_verifies_the_server_against_the_ca_file(pki: Pki) -> None:
    """STARTTLS with the test CA as ca_file: the certificate verifies and the message travels encrypted."""
    mailbox = Mailbox()
    with smtp_server(mailbox, tls_context=pki.server_context(), require_starttls=True) as port:
        settings = settings_for(port, security="starttls", ca_file=pki.ca_file)
        receipt = send_message(notice(settings), settings)

    [arrival] = mailbox.arrived
    assert arrival.tls
    assert receipt.accepted == ("bid@zhengxin.example",)
    assert BytesParser(policy=email.policy.default).parsebytes(arrival.content)["Subject"] == SUBJECT


def test_starttls_with_an_untrusted_certificate_is_a_permanent_error(pki: Pki) -> None:
    """Without the test CA the certificate does not verify: permanent MailError, nothing sent."""
    mailbox = Mailbox()
    with smtp_server(mailbox, tls_context=pki.server_context(), require_starttls=True) as port:
        settings = settings_for(port, security="starttls")
        with pytest.raises(MailError, match="证书校验不通过") as caught:
            send_message(notice(settings), settings)

    assert caught.value.transient is False
    assert "CA_FILE" in str(caught.value)
    assert mailbox.arrived == []


def test_verify_false_accepts_an_untrusted_certificate(pki: Pki) -> None:
    """verify=False (a test server only) sends over TLS without checking the certificate."""
    mailbox = Mailbox()
    with smtp_server(mailbox, tls_context=pki.server_context(), require_starttls=True) as port:
        settings = settings_for(port, security="starttls", verify=False)
        send_message(notice(settings), settings)

    assert [arrival.tls for arrival in mailbox.arrived] == [True]


def test_implicit_tls_on_an_smtps_port(pki: Pki) -> None:
    """security="ssl" speaks TLS from the first byte and verifies against the CA file."""
    mailbox = Mailbox()
    with smtp_server(mailbox, ssl_context=pki.server_context()) as port:
        settings = settings_for(port, security="ssl", ca_file=pki.ca_file)
        receipt = send_message(notice(settings), settings)

    assert receipt.accepted == ("bid@zhengxin.example",)
    assert len(mailbox.arrived) == 1


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_login_with_the_right_password(pki: Pki, mechanism: str) -> None:
    """AUTH LOGIN and AUTH PLAIN over STARTTLS with the right user and password deliver the message."""
    mailbox = Mailbox()
    used: list[str] = []
    other = {"LOGIN": "PLAIN", "PLAIN": "LOGIN"}[mechanism]
    with smtp_server(mailbox, tls_context=pki.server_context(), require_starttls=True, auth_required=True,
                     auth_require_tls=True, authenticator=authenticator(used), auth_exclude_mechanism=[other]) as port:
        settings = settings_for(port, security="starttls", ca_file=pki.ca_file, username=USER, password=PASSWORD)
        send_message(notice(settings), settings)

    assert used == [mechanism]
    [arrival] = mailbox.arrived
    assert (arrival.login, arrival.tls) == (USER.encode(), True)


def test_wrong_password_is_a_permanent_error_that_hides_the_password(pki: Pki) -> None:
    """A 535 reply to the login is permanent, and no error text shows the password tried."""
    mailbox = Mailbox()
    used: list[str] = []
    wrong = PASSWORD + "-old"
    with smtp_server(mailbox, tls_context=pki.server_context(), require_starttls=True, auth_required=True,
                     authenticator=authenticator(used)) as port:
        settings = settings_for(port, security="starttls", ca_file=pki.ca_file, username=USER, password=wrong)
        with pytest.raises(MailError, match="登录被拒绝") as caught:
            send_message(notice(settings), settings)

    assert (caught.value.transient, caught.value.code) == (False, 535)
    assert used
    assert mailbox.arrived == []
    assert_no_password(caught.value)
    seen: BaseException | None = caught.value
    while seen is not None:
        assert wrong not in str(seen)
        seen = seen.__cause__


def test_a_server_echoing_the_password_does_not_leak_it(pki: Pki) -> None:
    """A login refusal that quotes the password back is scrubbed, and the smtplib error is not chained."""

    def echo(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        return AuthResult(success=False, handled=False,
                          message=f"535 5.7.8 bad credentials {auth_data.password.decode()}")

    with smtp_server(Mailbox(), tls_context=pki.server_context(), authenticator=echo) as port:
        settings = settings_for(port, security="starttls", ca_file=pki.ca_file, username=USER, password=PASSWORD)
        with pytest.raises(MailError, match=r"bad credentials \*\*\*") as caught:
            send_message(notice(settings), settings)

    assert (caught.value.transient, caught.value.code) == (False, 535)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    assert_no_password(caught.value)


def test_login_over_plain_text_is_refused_by_a_server_that_wants_tls() -> None:
    """A server that offers AUTH only under TLS has none on a plain connection: permanent, password never sent."""
    with smtp_server(Mailbox(), auth_require_tls=True, authenticator=authenticator([])) as port:
        settings = settings_for(port, username=USER, password=PASSWORD)
        with pytest.raises(MailError) as caught:
            send_message(notice(settings), settings)

    assert caught.value.transient is False
    assert_no_password(caught.value)


@pytest.mark.parametrize(
    ("refusal", "transient", "code"),
    [
        ({"rcpt_replies": {"*": "451 4.3.0 Mailbox temporarily unavailable, try again later"}}, True, 451),
        ({"rcpt_replies": {"*": "452 4.2.2 Mailbox full"}}, True, 452),
        ({"data_reply": "451 4.3.0 Local error in processing"}, True, 451),
        ({"mail_reply": "421 4.7.0 Too many connections, closing"}, True, 421),
        ({"rcpt_replies": {"*": "550 5.1.1 No such user"}}, False, 550),
        ({"mail_reply": "553 5.1.8 Sender address rejected"}, False, 553),
        ({"data_reply": "554 5.6.0 Message rejected as spam"}, False, 554),
    ],
    ids=["rcpt-451", "rcpt-452", "data-451", "mail-421", "rcpt-550", "mail-553", "data-554"],
)
def test_server_refusals_map_to_transient_or_permanent(refusal: dict[str, Any], transient: bool, code: int) -> None:
    """4xx replies to MAIL, RCPT or DATA are transient, 5xx permanent; the reply code is kept."""
    mailbox = Mailbox(**refusal)
    with smtp_server(mailbox) as port:
        settings = settings_for(port)
        with pytest.raises(MailError) as caught:
            send_message(notice(settings), settings)

    assert (caught.value.transient, caught.value.code) == (transient, code)
    assert str(code) in str(caught.value)
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert mailbox.arrived == []


def test_one_refused_recipient_among_several_is_reported_in_the_receipt() -> None:
    """When one Cc recipient is refused the others still get the message, and the receipt lists the refusal."""
    mailbox = Mailbox(rcpt_replies={"old@zhengxin.example": "550 5.1.1 No such user"})
    with smtp_server(mailbox) as port:
        settings = settings_for(port)
        message = notice(settings)
        message["Cc"] = "王芳 <old@zhengxin.example>, 李娜 <lina@zhengxin.example>"
        receipt = send_message(message, settings)

    assert receipt.accepted == ("bid@zhengxin.example", "lina@zhengxin.example")
    [refused] = receipt.refused
    assert (refused.address, refused.code, refused.transient) == ("old@zhengxin.example", 550, False)
    assert "No such user" in refused.reply
    assert not receipt.complete
    assert mailbox.arrived[0].rcpt_tos == ["bid@zhengxin.example", "lina@zhengxin.example"]


def test_a_closed_port_is_a_transient_error() -> None:
    """Connection refused (no server listening) is transient: the server may be back later."""
    settings = settings_for(free_port())
    with pytest.raises(MailError, match="连接被拒绝") as caught:
        send_message(notice(settings), settings)

    assert caught.value.transient is True
    assert caught.value.code is None


def test_a_server_that_never_answers_times_out_as_transient() -> None:
    """A server that accepts the connection but never greets fails after the timeout, as a transient error."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings = settings_for(int(silent.getsockname()[1]), timeout=0.3)
        with pytest.raises(MailError, match="没有及时应答") as caught:
            send_message(notice(settings), settings)

    assert caught.value.transient is True


def test_ssl_against_a_plain_server_is_a_permanent_error() -> None:
    """security="ssl" against a server that speaks plain SMTP fails the TLS handshake: permanent."""
    with smtp_server(Mailbox()) as port:
        settings = settings_for(port, security="ssl", timeout=2.0)
        with pytest.raises(MailError, match="TLS 加密连接失败") as caught:
            send_message(notice(settings), settings)

    assert caught.value.transient is False


def test_a_non_ascii_login_is_refused_when_the_settings_are_made() -> None:
    """A Chinese password is refused up front (smtplib sends credentials as ASCII), without being shown."""
    with pytest.raises(InvalidInputError) as caught:
        settings_for(25, username=USER, password="密云交易中心2026")  # noqa: S106  # a password to refuse
    assert caught.value.field == "password"
    assert "密云交易中心2026" not in str(caught.value)
    with pytest.raises(InvalidInputError, match="ASCII") as caught:
        SmtpSettings.from_env({**ENV, "TENDERGUARD_SMTP_USER": "交易中心", "TENDERGUARD_SMTP_PASSWORD": PASSWORD})
    assert caught.value.field == "TENDERGUARD_SMTP_USER"


def test_password_is_hidden_in_the_settings_repr() -> None:
    """The settings' repr and str say there is a password without showing it."""
    settings = settings_for(25, username=USER, password=PASSWORD)
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings)
    assert "password='***'" in repr(settings)
    assert "password=None" in repr(settings_for(25))


ENV = {"TENDERGUARD_SMTP_HOST": "smtp.centre.example", "TENDERGUARD_SMTP_SENDER": SENDER}


def test_from_env_reads_every_variable(tmp_path: Path, pki: Pki) -> None:
    """All variables are read: password from a file (trailing newline dropped), port, timeout, CA file, verify."""
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    settings = SmtpSettings.from_env({
        **ENV, "TENDERGUARD_SMTP_SECURITY": "SSL", "TENDERGUARD_SMTP_PORT": "2465", "TENDERGUARD_SMTP_USER": USER,
        "TENDERGUARD_SMTP_PASSWORD_FILE": str(secret), "TENDERGUARD_SMTP_TIMEOUT": "12.5",
        "TENDERGUARD_SMTP_CA_FILE": str(pki.ca_file), "TENDERGUARD_SMTP_VERIFY": "yes",
    })
    assert settings == SmtpSettings(host="smtp.centre.example", port=2465, security="ssl", username=USER,
                                    password=PASSWORD, sender=SENDER, timeout=12.5, ca_file=pki.ca_file, verify=True)
    assert settings.sender_address.display_name == "密云区公共资源交易中心"


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("ssl", 465), ("none", 25)])
def test_from_env_defaults_the_port_by_security(security: str, port: int) -> None:
    """Without a port the usual one for the kind of connection is used; STARTTLS is the default security."""
    settings = SmtpSettings.from_env({**ENV, "TENDERGUARD_SMTP_SECURITY": security})
    assert (settings.security, settings.port, settings.username, settings.password) == (security, port, None, None)
    assert SmtpSettings.from_env(ENV).security == "starttls"


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"TENDERGUARD_SMTP_HOST": None}, "TENDERGUARD_SMTP_HOST"),
        ({"TENDERGUARD_SMTP_HOST": "  "}, "TENDERGUARD_SMTP_HOST"),
        ({"TENDERGUARD_SMTP_HOST": "smtp centre"}, "TENDERGUARD_SMTP_HOST"),
        ({"TENDERGUARD_SMTP_PORT": "smtp"}, "TENDERGUARD_SMTP_PORT"),
        ({"TENDERGUARD_SMTP_PORT": "70000"}, "TENDERGUARD_SMTP_PORT"),
        ({"TENDERGUARD_SMTP_PORT": "0"}, "TENDERGUARD_SMTP_PORT"),
        ({"TENDERGUARD_SMTP_SECURITY": "tls"}, "TENDERGUARD_SMTP_SECURITY"),
        ({"TENDERGUARD_SMTP_SENDER": None}, "TENDERGUARD_SMTP_SENDER"),
        ({"TENDERGUARD_SMTP_SENDER": "交易中心"}, "TENDERGUARD_SMTP_SENDER"),
        ({"TENDERGUARD_SMTP_SENDER": "a@centre.example, b@centre.example"}, "TENDERGUARD_SMTP_SENDER"),
        ({"TENDERGUARD_SMTP_TIMEOUT": "-1"}, "TENDERGUARD_SMTP_TIMEOUT"),
        ({"TENDERGUARD_SMTP_TIMEOUT": "soon"}, "TENDERGUARD_SMTP_TIMEOUT"),
        ({"TENDERGUARD_SMTP_VERIFY": "maybe"}, "TENDERGUARD_SMTP_VERIFY"),
        ({"TENDERGUARD_SMTP_CA_FILE": "/nonexistent/ca.pem"}, "TENDERGUARD_SMTP_CA_FILE"),
        ({"TENDERGUARD_SMTP_USER": USER}, "TENDERGUARD_SMTP_PASSWORD"),
        ({"TENDERGUARD_SMTP_PASSWORD": PASSWORD}, "TENDERGUARD_SMTP_USER"),
        ({"TENDERGUARD_SMTP_USER": USER, "TENDERGUARD_SMTP_PASSWORD": PASSWORD,
          "TENDERGUARD_SMTP_PASSWORD_FILE": "/run/secrets/smtp"}, "TENDERGUARD_SMTP_PASSWORD_FILE"),
        ({"TENDERGUARD_SMTP_USER": USER, "TENDERGUARD_SMTP_PASSWORD_FILE": "/nonexistent/secret"},
         "TENDERGUARD_SMTP_PASSWORD_FILE"),
    ],
    ids=["no-host", "blank-host", "bad-host", "port-word", "port-high", "port-zero", "security", "no-sender",
         "sender-no-address", "two-senders", "timeout-negative", "timeout-word", "verify", "ca-file",
         "user-without-password", "password-without-user", "both-passwords", "password-file-missing"],
)
def test_from_env_errors_name_the_variable(changes: dict[str, str | None], variable: str) -> None:
    """A missing or malformed variable is an InvalidInputError naming it, without the password in the text."""
    environ = {**ENV, **changes}
    with pytest.raises(InvalidInputError) as caught:
        SmtpSettings.from_env({name: value for name, value in environ.items() if value is not None})

    assert caught.value.field == variable
    assert str(caught.value).startswith(f"{variable}：")
    assert PASSWORD not in str(caught.value)


def test_settings_errors_say_what_to_do_in_chinese_and_in_english(monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing variable is told in Chinese with the fix by default, in English with LANG=en."""
    environ = {name: value for name, value in ENV.items() if name != "TENDERGUARD_SMTP_HOST"}
    with pytest.raises(InvalidInputError) as chinese:
        SmtpSettings.from_env(environ)
    assert str(chinese.value) == ("TENDERGUARD_SMTP_HOST：未设置（请设为 SMTP 服务器的主机名，如 smtp.centre.example）")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    with pytest.raises(InvalidInputError) as english:
        SmtpSettings.from_env(environ)
    assert str(english.value) == ("TENDERGUARD_SMTP_HOST: is not set (set it to the SMTP server's name, "
                                  "e.g. smtp.centre.example)")


def test_build_message_rejects_a_bad_recipient_or_message_id() -> None:
    """A malformed address, a header injection or a malformed Message-ID is refused, naming the argument."""
    settings = settings_for(25)
    for to in ("北京正信招标代理有限公司", "bid@zhengxin.example\r\nBcc: spy@evil.example", "a@x.example, b@y.example"):
        with pytest.raises(InvalidInputError) as caught:
            notice(settings, to=to)
        assert caught.value.field == "to"
    with pytest.raises(InvalidInputError) as caught:
        notice(settings, message_id="<not an id>")
    assert caught.value.field == "message_id"
    with pytest.raises(InvalidInputError) as caught:
        notice(settings, subject="开标提醒\nBcc: spy@evil.example")
    assert caught.value.field == "subject"


def test_build_message_keeps_a_given_message_id_and_makes_one_otherwise() -> None:
    """The same message_id gives the same header (brackets optional); without one a new id on the sender's domain."""
    settings = settings_for(25)
    assert notice(settings, message_id="notice-MY-2026-118-ZX@centre.example")["Message-ID"] == MESSAGE_ID
    first, second = notice(settings, message_id=None), notice(settings, message_id=None)
    assert first["Message-ID"] != second["Message-ID"]
    assert str(first["Message-ID"]).endswith("@centre.example>")
