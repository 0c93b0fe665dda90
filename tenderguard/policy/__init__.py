"""The screening policy: the ordered entry steps, thresholds, questions, quotas and retention — as data.

A centre changes its rules by editing a TOML file (or picking a built-in preset), never by changing code. The
built-in presets live in ``tenderguard/presets/*.toml`` and are loaded by the same loader as any file, so they are
checked by the same rules.

Loading reports *every* invalid value by its key path, e.g. ``steps[3].threshold: 45.0 is above 42.5``.

The package is laid out as:

* :mod:`tenderguard.policy.steps` — the entry steps (mask, temperature, questions, declaration, health code…);
* :mod:`tenderguard.policy.sections` — questions, the key-area rule, re-entry, signals, retention, refusal
  notices and the badge's style;
* :mod:`tenderguard.policy.model` — :class:`Role` and the :class:`Policy` that holds them all;
* :mod:`tenderguard.policy.parsing` — :func:`parse_policy`, :func:`load_policy` and the built-in presets;
* :mod:`tenderguard.policy.checks` — the check on construction every part shares.

Everything is imported from here: ``from tenderguard.policy import Policy, load_policy``.
"""

from __future__ import annotations

from tenderguard.policy.checks import Problems as Problems
from tenderguard.policy.model import Policy, Role
from tenderguard.policy.model import iter_questions_asked_at as iter_questions_asked_at
from tenderguard.policy.parsing import list_presets, load_policy, load_preset, parse_policy
from tenderguard.policy.sections import DEFAULT_PALETTE as DEFAULT_PALETTE
from tenderguard.policy.sections import (
    BadgeStyle,
    KeyAreaRule,
    Question,
    Reentry,
    RefusalNotices,
    Retention,
    Signals,
)
from tenderguard.policy.steps import RESERVED_STATE_NAMES as RESERVED_STATE_NAMES
from tenderguard.policy.steps import STEP_KINDS as STEP_KINDS
from tenderguard.policy.steps import (
    ConfirmStep,
    DeclarationStep,
    HealthCodeStep,
    MaskStep,
    NucleicTestStep,
    QuestionsStep,
    Step,
    TemperatureStep,
)

__all__ = [
    "BadgeStyle",
    "ConfirmStep",
    "DeclarationStep",
    "HealthCodeStep",
    "KeyAreaRule",
    "MaskStep",
    "NucleicTestStep",
    "Policy",
    "Question",
    "QuestionsStep",
    "Reentry",
    "RefusalNotices",
    "Retention",
    "Role",
    "Signals",
    "Step",
    "TemperatureStep",
    "list_presets",
    "load_policy",
    "load_preset",
    "parse_policy",
]
