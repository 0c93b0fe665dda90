"""The desk's one message catalogue: gettext ``.po`` sources per language, compiled to ``.mo`` by Babel.

Every text the desk shows is looked up here by a symbolic key (``prompt.name``, ``reason.fever``…); the sources
live in ``locale/<lang>/LC_MESSAGES/desk.po``. The compiled ``.mo`` files ship next to them; when one is missing
or older than its ``.po`` (an edit during development) it is compiled in memory with Babel instead. Simplified
Chinese is the default language, English the other.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from tenderguard.errors import InvalidInputError

__all__ = ["DOMAIN", "LANGUAGES", "LOCALE_DIR", "Catalogue", "catalogue", "compile_catalogue"]

DOMAIN = "desk"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("zh", "en")


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


def _load(lang: str) -> gettext.GNUTranslations:
    po, mo = _paths(lang)
    stale = not mo.exists() or (po.exists() and po.stat().st_mtime > mo.stat().st_mtime)
    if stale:
        try:
            return gettext.GNUTranslations(io.BytesIO(compile_catalogue(lang)))
        except ImportError:
            if not mo.exists():
                raise
    with mo.open("rb") as compiled:
        return gettext.GNUTranslations(compiled)


class Catalogue:
    """The messages of one language; call it with a key and the values of its ``{placeholders}``."""

    def __init__(self, lang: str, translations: gettext.GNUTranslations) -> None:
        self.lang = lang
        self._translations = translations

    def has(self, key: str) -> bool:
        """Whether the catalogue has a text for this key (keys are symbolic, so never their own text)."""
        return bool(key) and self._translations.gettext(key) != key

    def get(self, key: str, default: str, **values: object) -> str:
        """The text of a key, or ``default`` when the catalogue has none (e.g. a reason code a policy adds)."""
        return self(key, **values) if self.has(key) else default

    def __call__(self, key: str, **values: object) -> str:
        """The text of a key with its placeholders filled in (a missing key shows as itself)."""
        text = self._translations.gettext(key)
        return text.format(**values) if values else text


@cache
def catalogue(lang: str = "zh") -> Catalogue:
    """The catalogue of ``zh`` (Simplified Chinese, the default) or ``en``."""
    if lang not in LANGUAGES:
        raise InvalidInputError("lang", f"{lang!r} is not one of {', '.join(LANGUAGES)}")
    return Catalogue(lang, _load(lang))
