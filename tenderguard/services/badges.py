"""Badges after they are issued: look up, revoke, reprint, the revocation list, codes, printing, verifying."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tenderguard.domain import events
from tenderguard.domain.badge_code import BadgeClaim, Revocations, Verdict, VerdictReason, sign_claim, verify_code
from tenderguard.domain.catalogue import role_label
from tenderguard.domain.model import (
    AdmissionStatus,
    Badge,
    BadgeStatus,
    a_day,
)
from tenderguard.domain.screening import Actor
from tenderguard.errors import InvalidInputError, NotFoundError, OverrideError, RenderError
from tenderguard.i18n import _
from tenderguard.records.audit import AuditDraft
from tenderguard.store.unit_of_work import AbstractUnitOfWork

if TYPE_CHECKING:
    from tenderguard.render.badges import BadgeCard, RenderResult

from tenderguard.services.base import GateParts

__all__ = ["BadgeUseCases", "PrintRun", "Unprintable", "revoke_in"]


@attrs.frozen
class Unprintable:
    """A badge left out of a print run, and why (what its text holds that cannot be printed)."""

    serial: str
    reason: str


@attrs.frozen
class PrintRun:
    """What a day's print made: the PDF (None when no badge could be printed) and the badges left out."""

    result: RenderResult | None
    unprintable: tuple[Unprintable, ...] = ()


def revoke_in(uow: AbstractUnitOfWork, badge: Badge, reason: str, at: dt.datetime) -> None:
    """Revoke ``badge`` in ``uow`` (saved by the caller): its holder's place is given up, the revocation audited."""
    badge.status, badge.revoked_reason = BadgeStatus.REVOKED, reason
    admission = uow.attendance.by_badge(badge.serial)
    if admission is not None:
        admission.status, admission.inside = AdmissionStatus.REVOKED, False
        admission.exited_at = admission.exited_at or at
        uow.attendance.save(admission)
    uow.events.append(events.BadgeRevoked(at=at, serial=badge.serial, reason=reason))


class BadgeUseCases(GateParts):
    """Badges after they are issued: look up, revoke, reprint, the revocation list, codes, printing, verifying."""

    def badge(self, serial: str) -> Badge:
        """A badge by serial."""
        with self.uow_factory() as uow:
            found = uow.badges.get(serial)
        if found is None:
            raise NotFoundError(
                _("no badge {serial!r}", serial=serial), hint=_("check the serial printed on the badge")
            )
        return found

    def _badge_change(self, serial: str, reason: str, operator: str,
                      change: Callable[[AbstractUnitOfWork, Badge, dt.datetime], None]) -> Badge:
        if not isinstance(reason, str) or not reason.strip():
            raise OverrideError(
                _("a reason is required to change badge {serial}", serial=serial), hint="say why, e.g. 遗失"
            )
        if not isinstance(operator, str) or not operator.strip():
            raise InvalidInputError("operator", _("is required"), hint=_("who does this (recorded in the audit trail)"))
        with self.uow_factory() as uow:
            uow.actor = Actor(desk="office", operator=operator.strip())
            badge = uow.badges.get(serial)
            if badge is None:
                raise NotFoundError(
                    _("no badge {serial!r}", serial=serial), hint=_("check the serial printed on the badge")
                )
            if badge.status is BadgeStatus.REVOKED:
                raise OverrideError(_("badge {serial} is already revoked ({revoked_reason})", serial=serial,
                                      revoked_reason=badge.revoked_reason))
            change(uow, badge, self.clock.now())
            uow.badges.save(badge)
            uow.commit()
        self.bus.publish(uow.collect_new_events())
        return badge

    def revoke_badge(self, serial: str, *, reason: str, operator: str) -> Badge:
        """Revoke a badge (lost, wrong person…): verification refuses it and its holder's place is given up."""

        def revoke(uow: AbstractUnitOfWork, badge: Badge, at: dt.datetime) -> None:
            revoke_in(uow, badge, reason.strip(), at)

        return self._badge_change(serial, reason, operator, revoke)

    def reprint_badge(self, serial: str, *, reason: str, operator: str) -> Badge:
        """Print a badge again: same serial, next print number; earlier prints stop verifying (audited)."""

        def reprint(uow: AbstractUnitOfWork, badge: Badge, at: dt.datetime) -> None:
            if badge.day != self.centre.day_of(at):
                raise OverrideError(_("badge {serial} was for {day}; only today's badges are reprinted", serial=serial,
                                      day=badge.day),
                                    hint=_("a badge is valid for one day"))
            badge.reprints += 1
            uow.events.append(events.BadgeReprinted(at=at, serial=serial, reprint=badge.reprints,
                                                    reason=reason.strip()))

        return self._badge_change(serial, reason, operator, reprint)

    def revocations(self, day: dt.date | None = None) -> Revocations:
        """The day's revoked serials and current print numbers, numbered and dated (sign it for offline scanners).

        The sequence is the number of the day's revocations and reprints so far: each one adds 1 and none is ever
        undone, so the number only grows and the same number always means the same revocations and reprints. It
        is read with them, in one transaction.
        """
        day = None if day is None else a_day(day, field="day")
        now = self.clock.now().astimezone(self.centre.tz)
        day = day or self.centre.day_of(now)
        with self.uow_factory() as uow:
            found = uow.badges.for_day(day)
        revoked = {b.serial: b.revoked_reason or "revoked" for b in found if b.status is BadgeStatus.REVOKED}
        reprints = {b.serial: b.reprints for b in found if b.reprints}
        return Revocations(centre=self.centre.code, day=day, sequence=len(revoked) + sum(reprints.values()),
                           signed_at=now, revoked=revoked, reprints=reprints)

    def badge_code(self, badge: Badge, key: Ed25519PrivateKey) -> str:
        """The signed QR text of a badge's current print."""
        return sign_claim(BadgeClaim(centre=badge.centre, serial=badge.serial, day=badge.day,
                                     reprint=badge.reprints), key)

    def badge_cards(self, day: dt.date, key: Ed25519PrivateKey, *, serials: Iterable[str] | None = None,
                    include_revoked: bool = False) -> tuple[list[BadgeCard], list[Unprintable]]:
        """What to print for a day's badges (all, or the serials given), and the badges that cannot be printed.

        Each card holds the masked holder, the company and the hall as :mod:`tenderguard.render.printable`
        prints them (transliterated where the font has no glyph, shortened, in smaller type), the day's colour and
        the signed QR code. A badge whose text cannot be printed at all is returned with the reason instead: one
        bad record never stops the others' badges.
        """
        day = a_day(day, field="day")
        from tenderguard.render.badge_card import WEEKDAYS, BadgeCard  # noqa: PLC0415 - loaded on demand
        from tenderguard.render.printable import holder_text, printable  # noqa: PLC0415

        wanted = set(serials) if serials is not None else None
        with self.uow_factory() as uow:
            found = uow.badges.for_day(day)
        if wanted is not None:
            unknown = sorted(wanted - {b.serial for b in found})
            if unknown:
                raise NotFoundError(
                    _("no badge {items} on {day}", items=_(", ").join(unknown), day=day),
                    hint=_("check the serials and --date"),
                )
        style = self.policy.badge
        cards: list[BadgeCard] = []
        unprintable: list[Unprintable] = []
        for b in found:
            if (wanted is not None and b.serial not in wanted) or (
                    not include_revoked and b.status is BadgeStatus.REVOKED):
                continue
            try:
                company = None if b.company is None else printable(b.company, field="company").text
                cards.append(BadgeCard(
                    serial=b.serial, centre_name=self.centre.name, title=style.title, day=b.day,
                    weekday=WEEKDAYS[b.day.weekday()], colour=style.colour_of(b.day), company=company,
                    holder=holder_text(b.holder_masked).text, role=role_label(b.role, "zh_CN"), sessions=(b.session,),
                    hall=printable(b.hall, field="hall").text, reprint=b.reprints, qr_payload=self.badge_code(b, key),
                ))
            except RenderError as exc:
                unprintable.append(Unprintable(serial=b.serial, reason=exc.message))
        return cards, unprintable

    def print_badges(self, day: dt.date, key: Ed25519PrivateKey, out: str | Path, *, layout: str = "a4-8",
                     serials: Iterable[str] | None = None, operator: str = "system",
                     progress: Callable[[int, int], None] | None = None) -> PrintRun:
        """Render a day's badges (all valid ones, or the serials given) to a PDF; the print run is audited.

        Every printable badge is printed; those that cannot be are listed in the run (``unprintable``) with the
        reason, and the PDF is not written when none can be.
        """
        day = a_day(day, field="day")
        from tenderguard.render.badges import render_badges  # noqa: PLC0415 - WeasyPrint loads on demand

        cards, unprintable = self.badge_cards(day, key, serials=serials)
        if not cards and not unprintable:
            raise NotFoundError(_("no valid badge on {day}", day=day), hint=_("screen arrivals first, or check --date"))
        result = render_badges(cards, out, layout=layout, progress=progress) if cards else None
        with self.uow_factory() as uow:
            uow.audit.record(AuditDraft(at=self.clock.now(), kind="badge_print", subject=day.isoformat(),
                                        operator=operator, payload={
                                            "layout": layout, "badges": len(cards),
                                            "pages": result.pages if result else 0,
                                            "reprints": sum(1 for c in cards if c.reprint),
                                            "unprintable": [u.serial for u in unprintable]}))
            uow.commit()
        return PrintRun(result=result, unprintable=tuple(unprintable))

    def verify_badge(self, code: str, public_key: Ed25519PublicKey, *, today: dt.date | None = None) -> Verdict:
        """Verify a scanned code against the key and this centre's records (revocations, reprints, unknown)."""
        today = None if today is None else a_day(today, field="today")
        today = today or self.centre.day_of(self.clock.now())
        verdict = verify_code(code, public_key, centre=self.centre.code, today=today,
                              revocations=self.revocations(today))
        if verdict.valid and verdict.claim is not None:
            with self.uow_factory() as uow:
                if uow.badges.get(verdict.claim.serial) is None:
                    return Verdict(VerdictReason.REVOKED, verdict.claim, "no such badge in this centre's records")
        return verdict
