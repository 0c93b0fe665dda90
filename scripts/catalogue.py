"""Keep TenderGuard's message catalogue in step with the code.

    .venv/bin/python scripts/catalogue.py update    # add the code's new msgids to both .po files, drop unused ones
    .venv/bin/python scripts/catalogue.py compile   # compile each .po to the .mo shipped beside it
    .venv/bin/python scripts/catalogue.py missing   # list the msgids the Chinese catalogue does not translate yet

Msgids are the English texts (see tenderguard/i18n.py); the English catalogue leaves them untranslated.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from tenderguard.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, compile_catalogue, msgids_in_source

ROOT = Path(__file__).resolve().parent.parent / "tenderguard"
_TITLE = {"zh_CN": "Simplified Chinese", "en": "English"}
#: The headers' dates stay put, so an update changes only the messages.
_FIXED = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)


def _po(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(lang: str) -> Catalog:
    path = _po(lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN, project="TenderGuard", charset="utf-8")
    with path.open("rb") as source:
        return read_po(source, locale=lang)


def update() -> None:
    """Add new msgids (empty translations), drop the ones the code no longer uses, keep the rest."""
    used = msgids_in_source(ROOT)
    for lang in LANGUAGES:
        old = _read(lang)
        new = Catalog(locale=lang, domain=DOMAIN, project="TenderGuard", version="1", charset="utf-8",
                      header_comment=f"# TenderGuard's messages in {_TITLE[lang]}; msgids are the English texts.",
                      msgid_bugs_address="", creation_date=_FIXED, revision_date=_FIXED, fuzzy=False,
                      last_translator="TenderGuard developers", language_team=_TITLE[lang])
        for msgid in used:
            kept = old.get(msgid)
            empty: str | tuple[str, ...] = ("",) * new.num_plurals if isinstance(msgid, tuple) else ""
            new.add(msgid, kept.string if kept is not None else empty)
        _po(lang).parent.mkdir(parents=True, exist_ok=True)
        with _po(lang).open("wb") as out:
            write_po(out, new, width=120, no_location=True, omit_header=False, sort_output=True)


def compile_all() -> None:
    """Write each language's .mo from its .po."""
    for lang in LANGUAGES:
        _po(lang).with_suffix(".mo").write_bytes(compile_catalogue(lang))


def missing() -> None:
    """Print the msgids without a Chinese translation."""
    catalogue = _read("zh_CN")
    for message in catalogue:
        if message.id and not message.string:
            print(repr(message.id))


if __name__ == "__main__":
    {"update": update, "compile": compile_all, "missing": missing}[sys.argv[1]]()
