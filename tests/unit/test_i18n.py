"""TenderGuard's one catalogue: complete, compiled as shipped, Chinese typography, the language chosen as usual."""

from __future__ import annotations

import datetime as dt
import gettext
import io
import re
import string
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from gatekit import SESSION, Harness

from tenderguard.desk import run_desk
from tenderguard.domain.badge_code import Verdict, VerdictReason
from tenderguard.domain.catalogue import call_outcome_code, outcome_label, role_label
from tenderguard.domain.clock import SHANGHAI
from tenderguard.errors import InvalidInputError
from tenderguard.factories import resident_id
from tenderguard.i18n import (
    LANGUAGES,
    LOCALE_DIR,
    _,
    compile_catalogue,
    format_date,
    format_datetime,
    language,
    msgids_in_source,
    use_language,
)
from tenderguard.identity import parse_document

PACKAGE = Path(__file__).resolve().parents[2] / "tenderguard"
CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
#: ASCII punctuation with a Chinese character (or full-width punctuation) on both sides.
ASCII_BETWEEN_CJK = re.compile(rf"[{CJK}]\s*[,:;?()]\s*[{CJK}]")
#: ASCII punctuation right after a Chinese character, where Chinese prose continues.
ASCII_AFTER_CJK = re.compile(rf"[{CJK}][,:;?()]")


def _po(lang: str) -> list[tuple[str, str]]:
    """The (msgid, translation) pairs of a language's .po source (plural forms by their first form)."""
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "tenderguard.po").open("rb") as source:
        catalogue = read_po(source, locale=lang)
    pairs = []
    for message in catalogue:
        if message.id:
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            text = message.string if isinstance(message.string, str) else (message.string or ("",))[0]
            pairs.append((msgid, text))
    return pairs


def _fields(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_shipped_mo_matches_its_po(lang: str) -> None:
    """The compiled .mo that ships is the .po compiled now: same messages, same translations."""
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "tenderguard.mo").open("rb") as shipped:
        compiled = gettext.GNUTranslations(shipped)
    source = gettext.GNUTranslations(io.BytesIO(compile_catalogue(lang)))
    assert compiled._catalog == source._catalog  # type: ignore[attr-defined]


def test_every_msgid_in_the_code_has_a_chinese_translation() -> None:
    """Each text the code passes to _(), N_() or ngettext() is in the zh_CN catalogue, translated."""
    translated = {msgid for msgid, text in _po("zh_CN") if text}
    used = {m if isinstance(m, str) else m[0]: where for m, where in msgids_in_source(PACKAGE).items()}
    missing = {msgid: where[0] for msgid, where in used.items() if msgid not in translated}
    assert not missing


def test_both_catalogues_hold_the_same_msgids() -> None:
    """The English catalogue lists every msgid of the Chinese one (and leaves it as it is)."""
    assert {m for m, _t in _po("en")} == {m for m, _t in _po("zh_CN")}


def test_translations_fill_only_the_placeholders_of_their_msgid() -> None:
    """A translation never names a {placeholder} its English text does not give (format would fail)."""
    wrong = {msgid: text for msgid, text in _po("zh_CN") if text and not _fields(text) <= _fields(msgid)}
    assert not wrong


def test_no_ascii_punctuation_sits_in_chinese_prose() -> None:
    """In the Chinese catalogue, , : ; ? ( ) never stand between or right after Chinese characters."""
    found = {text for _msgid, text in _po("zh_CN") if ASCII_BETWEEN_CJK.search(text) or ASCII_AFTER_CJK.search(text)}
    assert not found


def test_no_space_between_chinese_and_a_name() -> None:
    """A name or number filled into Chinese prose is not set off by spaces (继续{name}的检查, not 继续 {name} 的)."""
    spaced = re.compile(rf"[{CJK}] \{{\w+\}}|\{{\w+\}} [{CJK}]")
    found = {text for _msgid, text in _po("zh_CN") if spaced.search(text)}
    assert not found


@pytest.mark.parametrize(("environment", "expected"), [
    ({}, "zh_CN"),
    ({"LANG": "C"}, "zh_CN"),
    ({"LANG": "POSIX"}, "zh_CN"),
    ({"LANG": "C.UTF-8"}, "zh_CN"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "en"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "fr_FR.UTF-8"}, "zh_CN"),
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),
    ({"LANGUAGE": "fr:en", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "C"}, "zh_CN"),
])
def test_the_language_comes_from_the_environment_as_usual(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str,
) -> None:
    """LANGUAGE, LC_ALL, LC_MESSAGES, LANG in that order; none, C or POSIX give the default, Simplified Chinese."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    assert language() == expected


def test_use_language_pins_a_language_inside_a_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """The desk's --lang wins over the environment inside the block, and the environment rules again after it."""
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    with use_language("zh"):
        assert _("no signal") == "没有预警"
    assert _("no signal") == "no signal"
    with pytest.raises(ValueError, match="fr"):
        use_language("fr").__enter__()


def test_dates_read_the_chinese_way() -> None:
    """2026年12月4日 and 2026年12月4日 08:30 in Chinese; ISO dates in English."""
    moment = dt.datetime(2026, 12, 4, 8, 30, 15, tzinfo=SHANGHAI)
    assert format_date(moment.date()) == "2026年12月4日"
    assert format_datetime(moment) == "2026年12月4日 08:30"
    assert format_datetime(moment, seconds=True) == "2026年12月4日 08:30:15"
    with use_language("en"):
        assert format_date(moment.date()) == "2026-12-04"


def _mistyped_id() -> str:
    number = resident_id(1)
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def test_an_id_number_error_speaks_chinese_with_full_width_punctuation() -> None:
    """A mistyped check digit is told in Chinese: what is wrong and how to fix it, no English, full-width colon."""
    with pytest.raises(InvalidInputError) as raised:
        parse_document(_mistyped_id())
    text = str(raised.value)
    assert text.startswith("身份证号：校验码是")
    assert "请对照证件重新核对整个号码" in text
    assert not re.search(r"[A-Za-z]", text)


def test_lang_en_gives_the_same_error_in_english(monkeypatch: pytest.MonkeyPatch) -> None:
    """With LANG=en_US.UTF-8 the same error is English."""
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    with pytest.raises(InvalidInputError) as raised:
        parse_document(_mistyped_id())
    assert str(raised.value).startswith("id_number: check digit is ")
    assert "re-read the whole number from the card" in str(raised.value)
    assert not re.search(rf"[{CJK}]", str(raised.value))


def test_the_desk_shows_an_id_number_error_all_in_chinese(miyun: Harness) -> None:
    """At the desk a mistyped ID number is one Chinese line: 身份证号有误：… with the fix, then asked again."""
    typed = iter(["张伟", _mistyped_id(), "q"])
    shown: list[str] = []
    run_desk(miyun.gate, session=SESSION, desk="A", operator="王芳", prompt_fn=lambda _text: next(typed),
             output=shown.append)
    [line] = [line for line in shown if "有误" in line]
    assert line.startswith("身份证号有误：校验码是")
    assert not re.search(r"[A-Za-z]", line)
    assert ":" not in line


def test_the_desk_speaks_english_with_lang_en(miyun: Harness) -> None:
    """run_desk(lang="en") shows the same error in English."""
    typed = iter(["张伟", _mistyped_id(), "q"])
    shown: list[str] = []
    run_desk(miyun.gate, session=SESSION, desk="A", operator="王芳", lang="en", prompt_fn=lambda _text: next(typed),
             output=shown.append)
    assert any(line.startswith("ID number is not valid: check digit is ") for line in shown)


def test_a_badge_verdict_reads_valid_in_chinese_and_english(monkeypatch: pytest.MonkeyPatch) -> None:
    """有效：… by default, VALID: … with LANG=en; the reason's code never shows in the line."""
    verdict = Verdict(VerdictReason.VALID)
    assert str(verdict) == "有效：当日标识，本中心签发"
    assert str(Verdict(VerdictReason.REVOKED)) == "无效：标识已作废"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert str(verdict) == "VALID: today's badge, signed by this centre"


def test_codes_are_shown_by_their_names() -> None:
    """Roles and outcomes show as 投标人, 准予进入; an unknown code as itself."""
    assert role_label("bidder") == "投标人"
    assert outcome_label("admitted") == "准予进入"
    assert outcome_label("refused") == "拒绝进入"
    assert outcome_label("mystery") == "mystery"
    assert role_label("bidder", "en") == "bidder"


@pytest.mark.parametrize(("word", "code"), [
    ("no_answer", "no_answer"), ("未接通", "no_answer"), ("已接通", "reached"), ("No answer", "no_answer"),
    ("约定回拨", "callback"), (" 号码错误 ", "wrong_number"), ("已接通并将转告", "will_relay"),
    ("nonsense", "nonsense"),
])
def test_a_call_outcome_is_understood_by_code_or_by_name(word: str, code: str) -> None:
    """The outcome of `remind call` is taken by its code, its Chinese name or its English one."""
    assert call_outcome_code(word) == code


def test_the_compiled_catalogues_ship_in_the_wheel() -> None:
    """The package data of pyproject.toml takes every language's .po and .mo into the wheel."""
    data = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = data["tool"]["setuptools"]["package-data"]["tenderguard"]
    assert {"locale/*/LC_MESSAGES/*.po", "locale/*/LC_MESSAGES/*.mo"} <= set(shipped)
    for lang in LANGUAGES:
        assert (LOCALE_DIR / lang / "LC_MESSAGES" / "tenderguard.mo").is_file()
