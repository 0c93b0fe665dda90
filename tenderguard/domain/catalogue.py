"""The one table of the codes a clerk sees by name: reasons, roles, outcomes, the desk's answers and services.

Each reason code has a short label (reports, the desk's outcome line, exports) and what the desk tells the person
(refusal letters too); each role, outcome, answer and service a label. The texts are msgids of TenderGuard's
catalogue (:mod:`tenderguard.i18n`): English in the code, shown in the clerk's language (Simplified Chinese by
default). Everything that shows one of these codes looks it up here. A code a policy's question adds, which the
catalogue cannot know, shows as itself. Machine-readable output (JSON) keeps the codes.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from tenderguard.domain.model import Outcome, Reason
from tenderguard.errors import FIELD_NAMES
from tenderguard.i18n import LANGUAGES, N_, _, use_language
from tenderguard.policy import Role
from tenderguard.records.retention import PURGED_REASON

__all__ = [
    "ANSWERS",
    "CALL_OUTCOMES",
    "FIELDS",
    "OUTCOMES",
    "REASONS",
    "ROLES",
    "SERVICES",
    "ReasonText",
    "answer_label",
    "call_outcome_code",
    "call_outcome_label",
    "outcome_label",
    "reason_label",
    "reason_tell",
    "role_label",
    "service_label",
]


@attrs.frozen
class ReasonText:
    """What a reason code is called, and what the person is told (both msgids: English, translated when shown)."""

    label: str
    tell: str


#: Reason code → its texts.
REASONS: Mapping[str, ReasonText] = {
    Reason.FEVER: ReasonText(N_("fever (still high when re-measured)"), N_(
        "The re-measured temperature is still at or above the threshold, so you cannot enter; please go to a "
        "hospital's fever clinic. Your employer will be informed.")),
    Reason.SYMPTOMS: ReasonText(N_("symptoms"), N_(
        "You have symptoms such as fever or cough, so you cannot enter; please see a doctor soon.")),
    Reason.CONTACT: ReasonText(N_("contact with a case"), N_(
        "You have had contact with a case: please go to the separate waiting area; staff handle everything for "
        "you, or the bid is opened remotely.")),
    Reason.KEY_AREA: ReasonText(N_("from a key area"), N_(
        "You come from a key area: please go to the separate service room; staff handle everything for you, or "
        "the bid is opened remotely.")),
    Reason.COMPANY_QUOTA: ReasonText(N_("the company already has its person inside today"), N_(
        "Your company already has one person inside today (one person per company, one badge per day); to "
        "swap people, hand back the first badge.")),
    Reason.ROLE_QUOTA: ReasonText(N_("the role's places are taken"), N_(
        "Your organisation's places for this role are all taken today.")),
    Reason.HALL_FULL: ReasonText(N_("the hall is full"), N_(
        "The bid-opening hall is full: please wait outside and enter when someone leaves.")),
    Reason.NO_MASK: ReasonText(N_("no mask"), N_("You are not wearing a mask as required, so you cannot enter.")),
    Reason.NO_DECLARATION: ReasonText(N_("no health declaration"), N_(
        "You have not handed in the health declaration form, so you cannot enter.")),
    Reason.DECLARATION_MISMATCH: ReasonText(N_("declaration does not match"), N_(
        "The health declaration form does not match your details, so you cannot enter.")),
    Reason.HEALTH_CODE: ReasonText(N_("health code not accepted"), N_(
        "Your health code is not green, so you cannot enter.")),
    Reason.TEST_EXPIRED: ReasonText(N_("test report too old"), N_(
        "Your negative nucleic-acid test report is too old, so you cannot enter.")),
    Reason.NO_TEST: ReasonText(N_("no test report"), N_(
        "You have no negative nucleic-acid test report, so you cannot enter.")),
    Reason.TEST_POSITIVE: ReasonText(N_("test not negative"), N_(
        "Your nucleic-acid test result is not negative, so you cannot enter.")),
    Reason.MEASURING_ERROR: ReasonText(N_("no valid temperature reading"), N_(
        "No valid temperature reading could be taken, so you cannot enter; please have it checked at the "
        "medical point.")),
    Reason.BADGE_REVOKED: ReasonText(N_("badge revoked"), N_(
        "Today's health badge was handed back or revoked: it no longer lets you in.")),
    Reason.REENTRY_NOT_ALLOWED: ReasonText(N_("re-entry not allowed today"), N_(
        "The rules do not allow you to enter again today.")),
    Reason.IDENTITY_MISMATCH: ReasonText(N_("ID number registered under another name"), N_(
        "This ID number is already registered today under another name: read the ID card again and check the "
        "name.")),
    Reason.REPRESENTS_OTHER_BIDDER: ReasonText(N_("already represents another bidder"), N_(
        "This person already entered today for another bidder, and one person cannot represent two bidders; "
        "the supervisor has been told.")),
    Reason.SESSION_CLOSED: ReasonText(N_("session closed"), N_("The session is over, so you cannot enter.")),
    Reason.ABANDONED: ReasonText(N_("left before finishing"), N_("Left before the screening was finished.")),
    PURGED_REASON: ReasonText(N_("health reasons"), N_("Could not enter for health reasons.")),
}

#: Role → its name.
ROLES: Mapping[str, str] = {
    Role.BIDDER: N_("bidder"), Role.TENDERER: N_("tenderer"), Role.AGENCY: N_("agency"),
    Role.SUPERVISOR: N_("supervisor"), Role.EXPERT: N_("expert"), Role.OTHER: N_("other"),
}

#: Outcome of a screening → its name (``open``: not finished yet).
OUTCOMES: Mapping[str, str] = {
    Outcome.ADMITTED: N_("admitted"), Outcome.REFUSED: N_("refused"), Outcome.REFERRED: N_("referred"),
    Outcome.ABANDONED: N_("abandoned"), "open": N_("open"),
}

#: The desk's answers to a mask, declaration or health-code step → their names.
ANSWERS: Mapping[str, str] = {
    "ok": N_("worn properly"), "replaced": N_("replaced at the desk"), "refused": N_("refused to wear one"),
    "complete": N_("handed in, matches"), "missing": N_("not handed in"),
    "mismatch": N_("does not match the person"),
    "green": N_("green"), "yellow": N_("yellow"), "red": N_("red"),
}

#: How a reminder call went (:class:`~tenderguard.domain.reminders.CallOutcome`) → its name.
CALL_OUTCOMES: Mapping[str, str] = {
    "reached": N_("reached"), "will_relay": N_("reached, will tell its bidders"), "no_answer": N_("no answer"),
    "wrong_number": N_("wrong number"), "callback": N_("call back later"),
}

#: A referral's services → their names.
SERVICES: Mapping[str, str] = {
    "separate_room": N_("separate room"), "proxy": N_("proxy by staff"), "remote": N_("remote bid opening"),
}

#: The fields an input error names → their names at the desk.
FIELDS = FIELD_NAMES


def _label(table: Mapping[str, str], code: str | None, lang: str | None) -> str:
    if not code:
        return ""
    msgid = table.get(code)
    if msgid is None:
        return str(code)
    with use_language(lang):
        return _(msgid)


def reason_label(code: str | None, lang: str | None = None) -> str:
    """The short label of a reason code in ``lang`` (default: the current language); an unknown code as itself."""
    entry = REASONS.get(code or "")
    if entry is None:
        return code or ""
    with use_language(lang):
        return _(entry.label)


def reason_tell(code: str | None, default: str | None = None, lang: str | None = None) -> str:
    """What the desk tells the person refused or referred for ``code`` (``default``, else the code, if unknown)."""
    if not code:
        return default or ""
    entry = REASONS.get(code)
    if entry is None:
        return default if default is not None else code
    with use_language(lang):
        return _(entry.tell)


def role_label(role: str, lang: str | None = None) -> str:
    """A role's name in ``lang`` (default: the current language); an unknown role as itself."""
    return _label(ROLES, role, lang)


def outcome_label(outcome: str | None, lang: str | None = None) -> str:
    """A screening outcome's name (``admitted`` → 准予进入); an unknown one as itself."""
    return _label(OUTCOMES, outcome, lang)


def answer_label(answer: str) -> str:
    """The name of a desk answer (``ok``, ``missing``, ``green``…) in the current language."""
    return _label(ANSWERS, answer, None)


def service_label(service: str) -> str:
    """The name of a referral's service in the current language; an unknown one as itself."""
    return _label(SERVICES, service, None)


def call_outcome_label(outcome: str, lang: str | None = None) -> str:
    """The name of a reminder call's outcome (``no_answer`` → 未接通) in the current language."""
    return _label(CALL_OUTCOMES, outcome, lang)


def call_outcome_code(word: str) -> str:
    """The code of a call outcome given as its code or its name in either language (未接通, no answer…).

    A word that names no outcome is returned as it was (stripped), for the call's own check to refuse.
    """
    typed = word.strip()
    if typed in CALL_OUTCOMES:
        return typed
    for code, msgid in CALL_OUTCOMES.items():
        names = {msgid.casefold(), *(call_outcome_label(code, lang).casefold() for lang in LANGUAGES)}
        if typed.casefold() in names:
            return code
    return typed
