"""Loading a policy: from parsed TOML data, a TOML file or a built-in preset, reporting every problem by key path.

The built-in presets are ``tenderguard/presets/*.toml``, read as package resources by the same loader as any
file, so they are checked by the same rules.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from tenderguard.errors import PolicyError
from tenderguard.i18n import _
from tenderguard.policy.checks import Problems
from tenderguard.policy.model import Policy, Role
from tenderguard.policy.sections import (
    DEFAULT_PALETTE,
    BadgeStyle,
    KeyAreaRule,
    Question,
    Reentry,
    RefusalNotices,
    Retention,
    Signals,
)
from tenderguard.policy.steps import (
    STEP_KINDS,
    DeclarationStep,
    HealthCodeStep,
    MaskStep,
    NucleicTestStep,
    Step,
    TemperatureStep,
)

__all__ = ["list_presets", "load_policy", "load_preset", "parse_policy"]

_T = TypeVar("_T")
_MISSING: Any = object()


class _Table:
    """One TOML table being read: typed getters that record problems under the table's key path."""

    def __init__(self, data: Mapping[str, Any], path: str, problems: Problems) -> None:
        self.data = data
        self.path = path
        self.problems = problems
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def _get(self, name: str, check: Callable[[Any], bool], what: str, default: Any) -> Any:
        self.used.add(name)
        if name not in self.data:
            if default is _MISSING:
                self.problems.append((self.key(name), _("is required ({what})", what=what)))
            return default
        value = self.data[name]
        if not check(value):
            self.problems.append((self.key(name), _("{value!r} is not {what}", value=value, what=what)))
            return default if default is not _MISSING else None
        return value

    def text(self, name: str, default: Any = _MISSING) -> Any:
        return self._get(name, lambda v: isinstance(v, str), "a string", default)

    def flag(self, name: str, default: Any = _MISSING) -> Any:
        return self._get(name, lambda v: isinstance(v, bool), "true or false", default)

    def whole(self, name: str, default: Any = _MISSING) -> Any:
        return self._get(name, lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number",
                         default)

    def number(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number",
                          default)
        return float(value) if isinstance(value, int | float) else value

    def texts(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
                          "a list of strings", default)
        return tuple(value) if isinstance(value, list) else value

    def table(self, name: str) -> _Table:
        value = self._get(name, lambda v: isinstance(v, dict), "a table", {})
        return _Table(value if isinstance(value, dict) else {}, self.key(name), self.problems)

    def tables(self, name: str, *, required: bool = False) -> list[_Table]:
        value = self._get(name, lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
                          "an array of tables ([[" + name + "]])", _MISSING if required else [])
        if not isinstance(value, list):
            return []
        return [_Table(t, f"{self.key(name)}[{i}]", self.problems) for i, t in enumerate(value)]

    def finish(self) -> None:
        """Report keys nobody asked for: a typo must not be silently ignored."""
        for name in self.data:
            if name not in self.used:
                self.problems.append((self.key(name), _("unknown key")))


def _build(cls: Callable[..., _T], table: _Table, **kwargs: Any) -> _T | None:
    """Construct a value object, re-rooting its own validation problems under the table's key path."""
    kwargs = {k: v for k, v in kwargs.items() if (v is not _MISSING and v is not None) or k in _NULLABLE}
    try:
        return cls(**kwargs)
    except PolicyError as exc:
        table.problems.extend((table.key(p) if p else table.path, m) for p, m in exc.problems)
    except TypeError as exc:  # a required field was missing; already reported by the reader
        if not table.problems:
            table.problems.append((table.path, str(exc)))
    return None


_NULLABLE = frozenset({"default_hall_capacity"})


def _read_step(t: _Table) -> Step | None:
    kind = t.text("kind")
    cls = STEP_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        if isinstance(kind, str):
            t.problems.append((t.key("kind"), _("{kind!r} is not one of {items}", kind=kind,
                                                items=_(", ").join(sorted(STEP_KINDS)))))
        return None
    fields: dict[str, Any] = {"id": t.text("id"), "label": t.text("label")}
    if cls is MaskStep:
        fields["replace_allowed"] = t.flag("replace_allowed", True)
    elif cls is TemperatureStep:
        fields.update(
            threshold=t.number("threshold", 37.3),
            plausible_min=t.number("plausible_min", 34.0),
            plausible_max=t.number("plausible_max", 42.5),
            rest_minutes=t.whole("rest_minutes", 5),
            remeasures=t.whole("remeasures", 2),
            max_measuring_errors=t.whole("max_measuring_errors", 3),
            ask_questions=t.flag("ask_questions", False),
        )
    elif cls is DeclarationStep:
        fields.update(required=t.flag("required", True), fill_in_at_desk=t.flag("fill_in_at_desk", True))
    elif cls is HealthCodeStep:
        fields["accepted"] = t.texts("accepted", ("green",))
    elif cls is NucleicTestStep:
        fields["max_age_hours"] = t.whole("max_age_hours", 48)
    t.finish()
    if any(v is None for v in fields.values()):
        return None
    return _build(cls, t, **fields)  # type: ignore[return-value]


def parse_policy(data: Mapping[str, Any], *, source: str | None = None) -> Policy:
    """Build a Policy from parsed TOML data, raising one PolicyError that lists every problem by key path."""
    problems: Problems = []
    root = _Table(data, "", problems)
    name, title = root.text("name"), root.text("title")
    steps = [_read_step(t) for t in root.tables("steps", required=True)]
    questions = []
    for t in root.tables("questions"):
        q = _build(Question, t, id=t.text("id"), text=t.text("text"), risk_answer=t.flag("risk_answer", True),
                   on_risk=t.text("on_risk", "refuse"), reason=t.text("reason", "symptoms"))
        t.finish()
        questions.append(q)

    qt = root.table("quotas")
    quotas: dict[Role, int | None] = {}
    for key in qt.data:
        try:
            role = Role(key)
        except ValueError:
            continue  # reported as an unknown key by finish()
        quotas[role] = qt.whole(key)
    qt.finish()
    quotas.setdefault(Role.BIDDER, 1)

    ht = root.table("halls")
    halls = {key: ht.whole(key) for key in ht.data}
    ht.finish()

    kt = root.table("key_area")
    key_area = _build(KeyAreaRule, kt, action=kt.text("action", "refer"),
                      services=kt.texts("services", KeyAreaRule().services))
    kt.finish()
    rt = root.table("reentry")
    reentry = _build(Reentry, rt, allowed=rt.flag("allowed", True), steps=rt.texts("steps", ()))
    rt.finish()
    st = root.table("signals")
    signals = _build(Signals, st, same_person_other_session=st.text("same_person_other_session", "flag"))
    st.finish()
    pt = root.table("retention")
    retention = _build(Retention, pt, health_data_days=pt.whole("health_data_days", 28),
                       attendance_days=pt.whole("attendance_days", 3 * 365))
    pt.finish()
    bt = root.table("badge")
    badge = _build(BadgeStyle, bt, title=bt.text("title", BadgeStyle().title),
                   palette=bt.texts("palette", DEFAULT_PALETTE))
    bt.finish()
    nt = root.table("refusal_notices")
    notices = _build(RefusalNotices, nt, reasons=nt.texts("reasons", RefusalNotices().reasons),
                     notify_community=nt.flag("notify_community", False),
                     tell_agency_reason=nt.flag("tell_agency_reason", False))
    nt.finish()
    default_cap = root.whole("default_hall_capacity", None)
    store_full_id = root.flag("store_full_id", False)
    root.finish()

    # Build the policy even from partly invalid parts, so the policy-wide rules are reported in the same error.
    policy = _build(
        Policy, root,
        name=name if isinstance(name, str) else "invalid", title=title if isinstance(title, str) else "",
        steps=tuple(s for s in steps if s is not None),
        questions=tuple(q for q in questions if q is not None),
        quotas=quotas, hall_capacity={k: v for k, v in halls.items() if isinstance(v, int)},
        default_hall_capacity=default_cap, key_area=key_area or KeyAreaRule(),
        reentry=reentry or Reentry(), signals=signals or Signals(), retention=retention or Retention(),
        badge=badge or BadgeStyle(),
        notices=notices or RefusalNotices(),
        store_full_id=bool(store_full_id),
    )
    if None in steps:  # cross-step rules cannot be judged while a step is itself invalid
        problems[:] = [(p, m) for p, m in problems if not p.startswith("reentry.steps")
                       and p not in ("questions", "steps")]
    if problems or policy is None:
        raise PolicyError(problems or [("", _("the policy is incomplete"))], source=source)
    return policy


def list_presets() -> list[str]:
    """The names of the built-in presets."""
    folder = resources.files("tenderguard") / "presets"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_preset(name: str) -> Policy:
    """Load a built-in preset by name (``miyun-2020``, ``health-code``, ``badge-only``)."""
    if name not in list_presets():
        raise PolicyError([("", _("no preset named {name!r}; presets: {items}", name=name,
                                  items=_(", ").join(list_presets())))])
    text = (resources.files("tenderguard") / "presets" / f"{name}.toml").read_text(encoding="utf-8")
    return _parse_text(text, _("preset {name}", name=name))


def _parse_text(text: str, source: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([("", _("not valid TOML: {exc}", exc=exc))], source=source) from None
    except RecursionError:
        raise PolicyError([("", _("nested too deeply to read"))], source=source,
                          hint=_("a policy's tables and lists are a few levels deep")) from None
    except ValueError as exc:  # a value TOML allows but Python will not read, e.g. an integer of 5,000 digits
        raise PolicyError([("", _("a value cannot be read: {str_part}", str_part=str(exc)[:120]))], source=source,
                          hint=_("numbers in a policy are small: days, minutes, degrees, people")) from None
    return parse_policy(data, source=source)


def load_policy(spec: str | Path) -> Policy:
    """Load a policy from a preset name or a TOML file path."""
    if isinstance(spec, str) and spec in list_presets():
        return load_preset(spec)
    path = Path(spec)
    if path.is_dir():
        raise PolicyError([("", _("{str!r} is a folder, not a policy TOML file", str=str(spec)))],
                          hint=_("give the policy file inside it, or a preset"))
    if not path.is_file():
        raise PolicyError(
            [("", _("{str!r} is neither a preset ({items}) nor a readable TOML file", str=str(spec),
                    items=_(", ").join(list_presets())))],
            hint=_("check the name, or give the path of a policy TOML file"),
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError([("", _("is not UTF-8 text (byte {object_part:#04x} at {start})",
                                  object_part=exc.object[exc.start], start=exc.start))],
                          source=str(path), hint=_("save the file as UTF-8 (TOML files are UTF-8)")) from None
    except OSError as exc:
        raise PolicyError([("", _("cannot read it: {value}", value=exc.strerror or exc))], source=str(path),
                          hint=_("check the path and its permissions")) from None
    return _parse_text(text, str(path))

