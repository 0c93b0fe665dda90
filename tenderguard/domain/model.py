"""Entities and value objects of a bid-opening day: centre, sessions, agencies, arrivals, admissions, badges.

The domain knows nothing about databases or PDFs. Times are timezone-aware; the clock is injected.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from tenderguard.domain.clock import SHANGHAI, Clock, ManualClock, SystemClock, a_day, aware
from tenderguard.domain.session_status import SessionStatus
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _
from tenderguard.identity import (
    IdentityDocument,
    clean_text,
    mask_name,
    mask_phone,
    normalise_business_phone,
    normalise_company_name,
    normalise_mobile,
    parse_document,
    validate_organisation_id,
    validate_person_name,
)
from tenderguard.policy import Role

__all__ = [
    "HEALTH_REASONS",
    "SHANGHAI",
    "Admission",
    "Agency",
    "Arrival",
    "Badge",
    "BidSession",
    "Centre",
    "Clock",
    "ManualClock",
    "Outcome",
    "Reason",
    "SessionStatus",
    "SystemClock",
    "Visitor",
    "a_day",
    "aware",
    "new_id",
]

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]{0,63}")


class Outcome(enum.StrEnum):
    """How a screening ended."""

    ADMITTED = "admitted"
    REFUSED = "refused"
    REFERRED = "referred"
    ABANDONED = "abandoned"


class Reason(enum.StrEnum):
    """Built-in reason codes for every outcome that is not an admission (questions may add their own)."""

    FEVER = "fever"
    SYMPTOMS = "symptoms"
    CONTACT = "contact"
    KEY_AREA = "key_area"
    COMPANY_QUOTA = "company_quota"
    ROLE_QUOTA = "role_quota"
    HALL_FULL = "hall_full"
    NO_MASK = "no_mask"
    NO_DECLARATION = "no_declaration"
    DECLARATION_MISMATCH = "declaration_mismatch"
    HEALTH_CODE = "health_code"
    TEST_EXPIRED = "test_expired"
    NO_TEST = "no_test"
    TEST_POSITIVE = "test_positive"
    MEASURING_ERROR = "measuring_error"
    BADGE_REVOKED = "badge_revoked"
    REENTRY_NOT_ALLOWED = "reentry_not_allowed"
    IDENTITY_MISMATCH = "identity_mismatch"
    REPRESENTS_OTHER_BIDDER = "represents_other_bidder"
    SESSION_CLOSED = "session_closed"
    ABANDONED = "abandoned"


#: Refusal and referral reasons that reveal something about a person's health: their records are health data
#: (kept out of the audit trail's text, purged on schedule).
HEALTH_REASONS = frozenset({
    Reason.FEVER, Reason.SYMPTOMS, Reason.CONTACT, Reason.KEY_AREA, Reason.HEALTH_CODE, Reason.TEST_EXPIRED,
    Reason.NO_TEST, Reason.TEST_POSITIVE, Reason.MEASURING_ERROR,
})


def new_id() -> str:
    """A new random identifier: a version-4 UUID in 32 hex digits."""
    return uuid.uuid4().hex


def _check_code(field: str) -> Callable[[Any, attrs.Attribute[Any], str], None]:
    def check(_instance: Any, _attribute: attrs.Attribute[Any], value: str) -> None:
        if not isinstance(value, str) or not _CODE.fullmatch(value):
            raise InvalidInputError(field, _("{value!r} is not a valid code", value=value),
                                    hint=_("use letters, digits and - _ . / only, up to 64 characters"))
    return check


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError("timezone", _("unknown time zone {name!r}", name=name),
                                hint=_("use an IANA name such as Asia/Shanghai")) from None


@attrs.frozen
class Centre:
    """The trading centre running the gate: a short code used in badge serials, its name and time zone."""

    code: str = attrs.field(validator=_check_code("centre.code"))
    name: str
    timezone: str = "Asia/Shanghai"
    #: The zone itself, looked up (and so checked) once, when the centre is made.
    _tz: ZoneInfo = attrs.field(init=False, eq=False, repr=False)

    @_tz.default
    def _tz_default(self) -> ZoneInfo:
        return _zone(self.timezone)

    @property
    def tz(self) -> ZoneInfo:
        """The centre's time zone; calendar days (quotas, badges) are counted in it."""
        return self._tz

    def day_of(self, when: dt.datetime) -> dt.date:
        """The centre's calendar day of an instant."""
        if when.tzinfo is self._tz:
            return when.date()  # already the centre's local time (the desk's clock gives it so)
        return aware(when).astimezone(self._tz).date()


def _agency_contact(value: str | None) -> str | None:
    """The agency's contact person: the text rules of a person's name (it is printed on notices)."""
    return None if value is None else validate_person_name(value, field="agency.contact")


def _agency_name(value: str) -> str:
    return normalise_company_name(value, field="agency.name")


def _agency_phone(value: str | None) -> str | None:
    """An agency's business number: a mainland mobile (11 digits) or a landline with its area code (010-69041234)."""
    return None if value is None or value == "" else normalise_business_phone(value, field="agency.phone")


_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}\Z")


def _agency_email(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _EMAIL.match(value.strip()):
        raise InvalidInputError(
            "agency.email", _("{value!r} is not an email address", value=value), hint=_("e.g. bid@agency.cn")
        )
    return value.strip()


def _opens_at(value: dt.datetime) -> dt.datetime:
    return aware(value, field="session.opens_at")


@attrs.frozen
class Agency:
    """A procurement agency (代理机构): the centre reminds it, it relays to its bidders."""

    code: str = attrs.field(validator=_check_code("agency.code"))
    name: str = attrs.field(converter=_agency_name)
    contact: str | None = attrs.field(default=None, converter=_agency_contact)
    phone: str | None = attrs.field(default=None, converter=_agency_phone)
    #: Where the centre emails the reminder notice.
    email: str | None = attrs.field(default=None, converter=_agency_email)


def _project_name(value: str) -> str:
    return clean_text(value, field="session.project_name", max_length=200)


def _hall(value: str) -> str:
    return clean_text(value, field="session.hall", max_length=50)


@attrs.frozen
class BidSession:
    """One bid opening (开标): a project, its opening time, the hall, the agency running it and its status."""

    code: str = attrs.field(validator=_check_code("session.code"))
    project_name: str = attrs.field(converter=_project_name)
    opens_at: dt.datetime = attrs.field(converter=_opens_at)
    hall: str = attrs.field(converter=_hall)
    agency: str | None = None
    status: SessionStatus = attrs.field(default=SessionStatus.SCHEDULED, converter=SessionStatus)
    #: The opening before the latest postponement; when the status last changed, and why.
    postponed_from: dt.datetime | None = None
    status_changed_at: dt.datetime | None = None
    status_reason: str | None = None

    def day(self, centre: Centre) -> dt.date:
        """The centre's calendar day of the opening."""
        return centre.day_of(self.opens_at)


def _opt_credit_code(value: str | None) -> str | None:
    return None if value is None or value == "" else validate_organisation_id(value)


def _opt_company(value: str | None) -> str | None:
    return None if value is None or value == "" else normalise_company_name(value)


def _opt_phone(value: str | None) -> str | None:
    return None if value is None or value == "" else normalise_mobile(value)


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInputError("role", _("{value!r} is not a role", value=value),
                                hint=_("use one of {items}", items=_(", ").join(r.value for r in Role))) from None


def _document(value: IdentityDocument | str) -> IdentityDocument:
    return value if isinstance(value, IdentityDocument) else parse_document(value)


@attrs.frozen
class Arrival:
    """A person at the desk: who, for which session, from which company, in which role, and when.

    Every field is validated and normalised on construction (ID check digit, credit code, mobile number, names
    without markup or control characters); an invalid one raises :class:`InvalidInputError` naming the field.
    """

    session: str = attrs.field(validator=_check_code("session"))
    role: Role = attrs.field(converter=_role)
    name: str = attrs.field(converter=validate_person_name)
    document: IdentityDocument = attrs.field(converter=_document)
    at: dt.datetime = attrs.field(converter=aware)
    company: str | None = attrs.field(default=None, converter=_opt_company)
    credit_code: str | None = attrs.field(default=None, converter=_opt_credit_code)
    phone: str | None = attrs.field(default=None, converter=_opt_phone)
    key_area: bool = False

    def __attrs_post_init__(self) -> None:
        """Organisations that have quotas must say who they are."""
        if self.role in (Role.BIDDER, Role.TENDERER, Role.AGENCY):
            if self.credit_code is None:
                raise InvalidInputError(
                    "credit_code",
                    _("a {role} must give the company's unified social credit code", role=self.role),
                    hint=_("copy the 18-character code from the business licence"),
                )
            if self.company is None:
                raise InvalidInputError("company", _("a {role} must give the company name", role=self.role))

    @property
    def organisation(self) -> str | None:
        """The key quotas are counted by: the credit code (never the name, whose spelling varies)."""
        return self.credit_code


@attrs.frozen
class Visitor:
    """Who a screening is about, as it is stored: the arrival without its full ID number.

    Only the document's kind and masked form are kept (the keyed hash for matching sits on the screening), and
    the phone only masked — the minimum a desk and a daily report need.
    """

    session: str
    role: Role
    name: str
    at: dt.datetime
    document_kind: str
    document_masked: str
    company: str | None = None
    credit_code: str | None = None
    phone_masked: str | None = None
    key_area: bool = False
    #: The full document number — kept only when the policy asks for it (``store_full_id``).
    document_number: str | None = attrs.field(default=None, repr=False)
    #: The keyed hash of the mobile number, to notice one phone given for two bidders (never the number).
    phone_key: str | None = attrs.field(default=None, repr=False)

    @classmethod
    def of(cls, arrival: Arrival, *, keep_full_id: bool = False, phone_key: str | None = None) -> Visitor:
        """The stored form of an arrival (with the full document number only if ``keep_full_id``)."""
        return cls(
            session=arrival.session, role=arrival.role, name=arrival.name, at=arrival.at,
            document_kind=str(arrival.document.kind), document_masked=arrival.document.masked(),
            company=arrival.company, credit_code=arrival.credit_code,
            phone_masked=mask_phone(arrival.phone) if arrival.phone else None, key_area=arrival.key_area,
            document_number=arrival.document.number if keep_full_id else None, phone_key=phone_key,
        )

    @property
    def organisation(self) -> str | None:
        """The key quotas are counted by: the credit code."""
        return self.credit_code

    @functools.cached_property
    def name_masked(self) -> str:
        """The name as shown and printed (``张*``), worked out once (a desk shows it on every call)."""
        return mask_name(self.name)


class AdmissionStatus(enum.StrEnum):
    """Whether an admission still holds its company's place for the day."""

    ACTIVE = "active"
    SUBSTITUTED = "substituted"  # the badge was handed back and another person took the place
    REVOKED = "revoked"


@attrs.define
class Admission:
    """A person admitted on a day: holds the company's (or role's) place and the badge; inside until exit."""

    id: str
    screening_id: str
    day: dt.date
    session: str
    hall: str
    role: Role
    organisation: str | None
    person_key: str
    badge: str
    at: dt.datetime
    desk: str
    status: AdmissionStatus = AdmissionStatus.ACTIVE
    inside: bool = True
    exited_at: dt.datetime | None = None
    #: How many times the person has gone in with this admission (1 + same-day re-entries).
    entries: int = 1


class BadgeStatus(enum.StrEnum):
    """A badge is valid until it is revoked."""

    ACTIVE = "active"
    REVOKED = "revoked"


@attrs.define
class Badge:
    """The day's health badge (健康标识): one per company per day, serial-numbered (``MY-20261123-0001``)."""

    serial: str
    centre: str
    day: dt.date
    session: str
    hall: str
    role: Role
    company: str | None
    credit_code: str | None
    holder_masked: str
    person_key: str
    issued_at: dt.datetime
    status: BadgeStatus = BadgeStatus.ACTIVE
    revoked_reason: str | None = None
    reprints: int = 0

    @staticmethod
    def make_serial(centre: str, day: dt.date, sequence: int) -> str:
        """A readable unique serial: centre code, date, sequence (``MY-20261123-0007``)."""
        return f"{centre}-{day:%Y%m%d}-{sequence:04d}"
