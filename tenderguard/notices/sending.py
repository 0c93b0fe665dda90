"""Emailing an agency's notice: the outbox's sender, built from the notice documents and the SMTP settings."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from tenderguard.domain.arrival_slots import ArrivalWindow
from tenderguard.domain.model import Centre
from tenderguard.domain.outbox import OutboxItem
from tenderguard.domain.reminders import AgencyDay
from tenderguard.i18n import _
from tenderguard.notices.documents import build_notice, render_notice_pdf
from tenderguard.notices.mail import MailError, SmtpSettings, build_message, send_message
from tenderguard.policy import Policy

__all__ = ["NOTICE_ATTACHMENT", "notice_sender"]

NOTICE_ATTACHMENT = "开标入场须知.pdf"


def notice_sender(settings: SmtpSettings, *, policy: Policy, centre: Centre,
                  windows: Mapping[str, ArrivalWindow] | None = None,
                  contact_phone: str | None = None) -> Callable[[OutboxItem, AgencyDay], None]:
    """A ``send(item, group)`` for :meth:`Gate.send_notices`: notice as HTML + text, its PDF attached, over SMTP.

    The item's Message-ID is reused on every attempt; a recipient refused with a 4xx reply is a transient
    failure (retried), with a 5xx a permanent one.
    """

    def send(item: OutboxItem, group: AgencyDay) -> None:
        notice = build_notice(group, policy=policy, centre=centre, windows=windows, contact_phone=contact_phone)
        with tempfile.TemporaryDirectory(prefix="tenderguard-notice-") as folder:
            pdf = render_notice_pdf(notice, Path(folder) / "notice.pdf", policy=policy, centre=centre,
                                    windows=windows, contact_phone=contact_phone)
            attachment = (NOTICE_ATTACHMENT, pdf.read_bytes(), "application/pdf")
        message = build_message(settings=settings, to=item.recipient, subject=notice.subject, text=notice.text,
                                html=notice.html, attachments=[attachment], message_id=item.message_id)
        receipt = send_message(message, settings)
        if not receipt.complete:
            refused = receipt.refused[0]
            raise MailError(_("{address} refused: {code} {reply}", address=refused.address, code=refused.code,
                              reply=refused.reply),
                            transient=refused.transient, code=refused.code)

    return send
