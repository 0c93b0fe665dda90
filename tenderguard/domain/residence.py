"""Where a refused person lives (居住街道/社区): asked at the desk only when the community is to be told.

A policy that notifies the residential community (``[refusal_notices] notify_community``) has the desk ask a
person refused for a notified reason where they live, so that the community's letter can be addressed. The answer
is optional, short text like a name (no control characters, no markup); it is personal data, kept on the screening
only until the health-data purge, and never shown on the board or in an export.
"""

from __future__ import annotations

from tenderguard.domain.model import Outcome
from tenderguard.domain.screening import Screening
from tenderguard.errors import InvalidInputError
from tenderguard.identity import clean_text
from tenderguard.policy import Policy

__all__ = ["RESIDENCE_MAX", "clean_residence", "notified_refusal", "residence_wanted"]

#: The longest residence kept (a street and a community name, e.g. 鼓楼街道 沿湖社区).
RESIDENCE_MAX = 60


def notified_refusal(screening: Screening, policy: Policy) -> bool:
    """Whether the screening is a refusal whose reason the policy's refusal letters notify."""
    return (screening.outcome is Outcome.REFUSED and screening.reason is not None
            and str(screening.reason) in policy.notices.reasons)


def residence_wanted(screening: Screening, policy: Policy) -> bool:
    """Whether the desk asks this person's residence: a notified refusal, the community told, data not purged."""
    return (policy.notices.notify_community and notified_refusal(screening, policy)
            and screening.health_purged_at is None)


def clean_residence(value: object) -> str | None:
    """The residence as stored: None when left empty, otherwise checked text of at most ``RESIDENCE_MAX``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise InvalidInputError("residence", f"居住街道/社区应为文字，而不是 {type(value).__name__}",
                                hint="例如 鼓楼街道沿湖社区")
    return clean_text(value, field="residence", max_length=RESIDENCE_MAX)
