"""`tenderguard remind render` and `remind send` end to end, with a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from click.testing import CliRunner
from pypdf import PdfReader

from tenderguard import Agency, BidSession, Centre, Gate, SqlStore, load_preset
from tenderguard.cli import cli
from tenderguard.domain.model import SHANGHAI


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        """Empty."""
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Keep the message."""
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    """A plain SMTP server on 127.0.0.1 and its port."""
    handler, port = Inbox(), _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def _day(db: Path) -> None:
    """Two agencies with sessions tomorrow (one without an email address)."""
    store = SqlStore(f"sqlite:///{db}", Centre(code="MY", name="密云区公共资源交易中心"))
    gate = Gate(policy=load_preset("miyun-2020"), centre=store.centre, uow_factory=store.unit_of_work)
    gate.register_agency(Agency(code="ZX", name="北京正信招标代理有限公司", contact="李娜", phone="13811112222",
                                email="bid@zhengxin.example"))
    gate.register_agency(Agency(code="HY", name="北京华宇工程咨询有限公司"))
    tomorrow = dt.datetime.now(SHANGHAI).replace(hour=9, minute=30, second=0, microsecond=0) + dt.timedelta(days=1)
    for code, agency in (("MY-T1", "ZX"), ("MY-T2", "ZX"), ("MY-T3", "HY")):
        gate.register_session(BidSession(code=code, project_name=f"密云区道路工程{code}", opens_at=tomorrow,
                                         hall="第一开标室", agency=agency))
    store.dispose()


def _env(port: int) -> dict[str, Any]:
    return {"TENDERGUARD_SMTP_HOST": "127.0.0.1", "TENDERGUARD_SMTP_PORT": str(port),
            "TENDERGUARD_SMTP_SECURITY": "none", "TENDERGUARD_SMTP_TIMEOUT": "5",
            "TENDERGUARD_SMTP_SENDER": "密云区公共资源交易中心 <notice@centre.example>"}


def test_render_writes_the_notice_and_the_forms(tmp_path: Path) -> None:
    """`remind render` writes the notice in every form and one declaration form per session of the agency."""
    db = tmp_path / "day.db"
    _day(db)
    result = CliRunner().invoke(cli, ["remind", "render", "--session", "MY-T1", "--out", str(tmp_path / "out"),
                                      "--db", str(db), "--contact-phone", "010-69041234"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    names = sorted(p.name for p in out.iterdir())
    assert names == ["declaration-form-MY-T1.pdf", "declaration-form-MY-T2.pdf", "notice.html", "notice.pdf",
                     "notice.txt", "phone-script.txt", "sms.txt"]
    text = "".join(page.extract_text() for page in PdfReader(out / "notice.pdf").pages)
    assert "MY-T1" in text
    assert "MY-T2" in text
    assert "MY-T3" not in text  # another agency's session
    assert "华宇" not in (out / "notice.html").read_text(encoding="utf-8")


def test_send_emails_each_notice_once_and_retries_when_the_server_is_down(tmp_path: Path,
                                                                          inbox: tuple[Inbox, int]) -> None:
    """A down server leaves the notice to retry; once up, it arrives once with its PDF, and never again."""
    db = tmp_path / "day.db"
    _day(db)
    handler, port = inbox
    down = CliRunner().invoke(cli, ["remind", "send", "--db", str(db)], env=_env(_free_port()))
    assert down.exit_code == 0, down.output
    assert "待重试1" in down.stdout
    assert "请改为致电北京华宇工程咨询有限公司" in down.stderr
    requeue = CliRunner().invoke(cli, ["remind", "outbox", "--db", str(db)])
    key = requeue.stdout.split("\t")[0]
    assert "retry" in requeue.stdout
    CliRunner().invoke(cli, ["remind", "requeue", key, "--operator", "王芳", "--db", str(db)])
    up = CliRunner().invoke(cli, ["remind", "send", "--db", str(db)], env=_env(port))
    assert "已发送1" in up.stdout, up.output
    [message] = handler.messages
    assert message["To"] == "bid@zhengxin.example"
    assert "开标入场须知" in str(message["Subject"])
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "开标入场须知.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    again = CliRunner().invoke(cli, ["remind", "send", "--db", str(db)], env=_env(port))
    assert "已排队0封；已发送0" in again.stdout
    assert len(handler.messages) == 1


def test_notify_refusals_writes_the_letters_of_the_sample_day(tmp_path: Path) -> None:
    """The sample queue's fever refusal gives a company letter; the command says how many letters it wrote."""
    db = tmp_path / "day.db"
    sample = Path(__file__).resolve().parents[2] / "examples" / "arrivals.jsonl"
    CliRunner().invoke(cli, ["screen", "--register-sessions", "--batch", str(sample), "--db", str(db)])
    result = CliRunner().invoke(cli, ["notify", "refusals", "--date", "2026-11-23", "--out", str(tmp_path / "out"),
                                      "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "2026年11月23日有1条拒绝进入需要通知：1封函件已写入" in result.stdout
    text, pdf = sorted((tmp_path / "out").iterdir(), key=lambda p: p.suffix != ".txt")
    assert text.name.endswith("-0001-company.txt")
    assert pdf.name == text.name.replace(".txt", ".pdf")
    assert "体温" in text.read_text(encoding="utf-8")


def test_slots_plan_the_day_and_the_windows_appear_on_the_notice(tmp_path: Path) -> None:
    """`remind slots` writes windows before each opening; `remind render --windows` prints them on the notice."""
    db = tmp_path / "day.db"
    _day(db)
    day = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)).date().isoformat()
    windows = tmp_path / "windows.json"
    planned = CliRunner().invoke(cli, ["remind", "slots", "--date", day, "--db", str(db), "--desks", "2",
                                       "--expected", "MY-T1=20-40", "--expected", "MY-T2=30-50",
                                       "--expected", "MY-T3=10-20", "--out", str(windows)])
    assert planned.exit_code == 0, planned.output
    assert planned.stdout.count("请于") == 3
    result = CliRunner().invoke(cli, ["remind", "render", "--session", "MY-T1", "--out", str(tmp_path / "out"),
                                      "--db", str(db), "--windows", str(windows)])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "notice.html").read_text(encoding="utf-8")
    assert "请于" in html
    too_many = CliRunner().invoke(cli, ["remind", "slots", "--date", day, "--db", str(db), "--desks", "1",
                                        "--expected", "MY-T1=400-500"])
    assert too_many.exit_code == 1
    assert "无法安排：" in too_many.stderr
    assert "还差390人" in too_many.stderr
