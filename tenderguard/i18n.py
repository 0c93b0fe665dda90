"""TenderGuard's one message catalogue: gettext domain ``tenderguard``, Simplified Chinese by default, English.

Every text a clerk reads — the desk's prompts, the command's result and error lines, the errors' details, the
labels of outcomes, roles and reasons in exports and reports — is looked up here.

Convention: the **msgids are the English texts**, written in the code as ``_("check digit is {actual}…",
actual=…)``; ``locale/zh_CN/LC_MESSAGES/tenderguard.po`` translates every one of them into Simplified Chinese
with full-width punctuation (，：；？（）。), ``locale/en/LC_MESSAGES/tenderguard.po`` leaves them as they are.
Placeholders are ``str.format`` fields by name (``{name}``), filled by :func:`_` after the lookup, so a
translation may move them. A text that is defined before it is translated (a table of labels) is marked with
:func:`N_` and translated where it is shown.

The language is the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set (``LANGUAGE`` may
list several, ``en:zh``), read on every lookup: ``en…`` gives English, ``zh…`` Simplified Chinese, and nothing set,
``C`` or ``POSIX`` the default, Simplified Chinese. :func:`use_language` pins a language for a block (the desk's
``--lang``, the web gate). The compiled ``.mo`` files ship next to their ``.po`` sources; when one is missing or
older than its source (an edit during development) it is compiled in memory with Babel instead.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import datetime as dt
import gettext
import io
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "Msgid",
    "_",
    "compile_catalogue",
    "format_date",
    "format_datetime",
    "language",
    "language_of",
    "msgids_in_source",
    "ngettext",
    "translations",
    "use_language",
]

DOMAIN = "tenderguard"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE = "zh_CN"
#: The catalogue's languages; the first is the default.
LANGUAGES = (DEFAULT_LANGUAGE, "en")

_ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_PINNED: contextvars.ContextVar[str | None] = contextvars.ContextVar("tenderguard_language", default=None)


def language_of(value: str) -> str | None:
    """The catalogue language of a locale name (``en_US.UTF-8`` → ``en``, ``zh`` → ``zh_CN``), else None."""
    code = value.split(".", 1)[0].split("@", 1)[0].replace("-", "_").lower()
    if code == "en" or code.startswith("en_"):
        return "en"
    if code == "zh" or code.startswith("zh_"):
        return DEFAULT_LANGUAGE
    return None


def language() -> str:
    """The language of the messages now: the one pinned by :func:`use_language`, else the environment's."""
    pinned = _PINNED.get()
    if pinned is not None:
        return pinned
    for variable in _ENVIRONMENT:
        value = os.environ.get(variable)
        if not value:
            continue
        for item in value.split(":"):
            if item.split(".", 1)[0] in ("C", "POSIX"):
                return DEFAULT_LANGUAGE
            found = language_of(item)
            if found is not None:
                return found
        return DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


@contextlib.contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """Pin the messages' language (``zh_CN``, ``zh``, ``en``…) inside the block; None keeps the environment's."""
    if lang is None:
        yield language()
        return
    found = language_of(lang)
    if found is None:
        raise ValueError(f"{lang!r} is not one of {', '.join(LANGUAGES)}")
    token = _PINNED.set(found)
    try:
        yield found
    finally:
        _PINNED.reset(token)


def _paths(lang: str) -> tuple[Path, Path]:
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


def compile_catalogue(lang: str) -> bytes:
    """The ``.mo`` bytes of a language's ``.po`` source, compiled with Babel (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo  # noqa: PLC0415 - only needed when a .mo is missing or stale
    from babel.messages.pofile import read_po  # noqa: PLC0415

    po, _mo = _paths(lang)
    with po.open("rb") as source:
        messages = read_po(source, locale=lang)
    out = io.BytesIO()
    write_mo(out, messages)
    return out.getvalue()


@cache
def translations(lang: str) -> gettext.GNUTranslations:
    """The compiled catalogue of one of :data:`LANGUAGES` (the shipped ``.mo``, else its ``.po`` compiled)."""
    if lang not in LANGUAGES:
        raise ValueError(f"{lang!r} is not one of {', '.join(LANGUAGES)}")
    po, mo = _paths(lang)
    if not mo.exists() or (po.exists() and po.stat().st_mtime > mo.stat().st_mtime):
        try:
            return gettext.GNUTranslations(io.BytesIO(compile_catalogue(lang)))
        except ImportError:
            if not mo.exists():
                raise
    with mo.open("rb") as compiled:
        return gettext.GNUTranslations(compiled)


def _(message: str, /, **values: object) -> str:
    """``message`` in the current language, its ``{placeholders}`` filled from ``values`` (when any are given)."""
    text = translations(language()).gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The singular or plural form for ``n`` in the current language, ``{n}`` and ``values`` filled in."""
    return translations(language()).ngettext(singular, plural, n).format(n=n, **values)


def N_(message: str, /) -> str:
    """Mark ``message`` for the catalogue without translating it yet (it is translated where it is shown)."""
    return message


def format_date(day: dt.date) -> str:
    """A date as a clerk reads it: ``2026年12月4日`` in Chinese, ``2026-12-04`` in English."""
    if language() == "en":
        return day.isoformat()
    return f"{day.year}年{day.month}月{day.day}日"


def format_datetime(moment: dt.datetime, *, seconds: bool = False) -> str:
    """A date and time as a clerk reads it: ``2026年12月4日 08:30`` in Chinese, ``2026-12-04 08:30`` in English."""
    clock = f"{moment:%H:%M:%S}" if seconds else f"{moment:%H:%M}"
    return f"{format_date(moment.date())} {clock}"


#: The functions whose first argument is a msgid (``ngettext`` gives a singular and a plural one).
_KEYWORDS = {"_": 1, "N_": 1, "ngettext": 2}

#: A msgid as the catalogue holds it: a text, or ``ngettext``'s (singular, plural).
Msgid = str | tuple[str, str]


def msgids_in_source(root: Path) -> dict[Msgid, list[str]]:
    """Every msgid the Python files under ``root`` pass to :func:`_`, :func:`N_` or :func:`ngettext`, with where."""
    found: dict[Msgid, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            count = _KEYWORDS.get(node.func.id, 0)
            texts = [arg.value for arg in node.args[:count]
                     if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
            if not count or len(texts) != count:
                continue
            msgid: Msgid = texts[0] if count == 1 else (texts[0], texts[1])
            found.setdefault(msgid, []).append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return found
