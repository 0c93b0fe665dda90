"""Chinese SMS texts for the pre-bid reminders: how many parts a message takes and where it is split.

Counting follows what Chinese carriers and SMS platforms bill:

* A message is counted in UCS-2 units: one per character of the Basic Multilingual Plane (every Chinese character,
  letter, digit and punctuation mark) and **two** per character outside it (emoji such as 🙂), because UCS-2 sends
  those as a surrogate pair.
* The 【signature】 (签名, e.g. 【密云区公共资源交易中心】) counts toward the length. Carriers add it **once** to the
  whole message, not to every part, so it is counted once and kept, whole, where it was given: at the start of the
  first part (``signature_at="start"``, the usual place) or at the end of the last part (``"end"``).
* Up to 70 units the message is one part; a longer one is sent as a concatenated SMS whose parts hold at most 67
  units each (three go to the header that joins them back together on the phone).

Splitting never cuts a link (``http(s)://…``, ``www.…``), an email address, a time (``09:30``, ``9点30分``,
``上午9:30``), a date (``2026-11-23``, ``11月23日``), a date with its time (``2026-11-23 09:30``), a phone number
(``138 1234 5678``, ``010-69041234``, ``400-123-4567``), any run of digits or the rule 一公司一人，一标识一天 (read
as one phrase, it must arrive as one): the part ends before such a token instead. Otherwise a part ends after
Chinese punctuation (，。；：！？、) or whitespace when there is one within the last ten units of the limit, else as
late as possible, avoiding cuts inside an ASCII word, inside an emoji sequence or before a punctuation mark. These
preferences never cost an extra part: the plan always uses the fewest parts possible.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

import attrs

from tenderguard.errors import InvalidInputError
from tenderguard.i18n import N_, _

__all__ = [
    "PART_LIMIT",
    "PHRASES",
    "SINGLE_LIMIT",
    "SmsPlan",
    "SmsText",
    "plan_sms",
    "sms_length",
]

#: Units a message may have and still go as one SMS.
SINGLE_LIMIT = 70
#: Units each part of a concatenated SMS may hold.
PART_LIMIT = 67
#: How far before the limit (in units) a cut after punctuation or whitespace is preferred to a later one.
_NEAR = 10

SignaturePlace = Literal["start", "end"]

_D = "[0-9０-９]"
_CN_NUM = "[零〇一二三四五六七八九十两]"
_PERIOD = "(?:凌晨|清晨|早上|早晨|上午|中午|午间|下午|傍晚|晚上|晚间)"
#: Phrases that must reach the phone in one part (the day's rule, read as one: 一公司一人，一标识一天).
PHRASES = ("一公司一人，一标识一天",)
_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("phrase", re.compile("|".join(r"\s?".join(re.escape(c).replace("，", "[，,]") for c in p) for p in PHRASES))),
    ("link", re.compile(r"(?i:https?)://[!-~]+|(?i:www)\.[A-Za-z0-9-]+\.[!-~]+")),
    ("email address", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    ("date", re.compile(
        rf"{_D}{{4}}[-/.年]{_D}{{1,2}}[-/.月]{_D}{{1,2}}[日号]?"
        rf"|(?:{_D}{{4}}年)?{_D}{{1,2}}月{_D}{{1,2}}[日号]"
        rf"|{_CN_NUM}{{1,3}}月{_CN_NUM}{{1,3}}[日号]"
    )),
    ("time", re.compile(
        rf"{_PERIOD}?(?:{_D}{{1,2}}[:：]{_D}{{2}}(?:[:：]{_D}{{2}})?"
        rf"|(?:{_D}{{1,2}}|{_CN_NUM}{{1,3}})[点时](?:(?:{_D}{{1,2}}|{_CN_NUM}{{1,3}})分|半|整)?)"
    )),
    ("phone number", re.compile(
        r"(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}"
        r"|(?:[(（]0[0-9]{2,3}[)）]|0[0-9]{2,3}-)[0-9]{7,8}(?:-[0-9]{1,6})?"
        r"|[48]00-?[0-9]{3}-?[0-9]{4}"
    )),
    ("number", re.compile(rf"{_D}+(?:\.{_D}+)?")),
)
#: What may separate a date from its time (or two times of a range) and still be one token: ``2026-11-23 09:30``,
#: ``11月23日上午9:30``, ``9:00-11:30``, ``9点至10点``.
_JOIN = re.compile(r"^(?:\s?|\s?[-–—~～至到T]\s?)\Z")
_KIND_ORDER = ("signature", "phrase", "link", "email address", "date", "time", "phone number", "number")
#: What an error calls each kind of token that is never split.
_KIND_NAMES = {
    "signature": N_("signature"), "phrase": N_("phrase"), "link": N_("link"), "email address": N_("email address"),
    "date": N_("date"), "time": N_("time"), "phone number": N_("phone number"), "number": N_("number"),
}
_GOOD_AFTER = frozenset("，。；：！？、,.;:!?）」』”》")
_NO_START = frozenset("，。；：！？、,.;:!?）)」』”’》〉】…—～")
_NO_END = frozenset("（(「『“‘《〈【")
_SIGNATURE = re.compile(r"^【[^【】\s]{2,20}】\Z")


def sms_length(text: str) -> int:
    """Units an SMS counts for a text: one per character, two per character outside the BMP (emoji)."""
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def _check_characters(field: str, value: str, *, newline: bool) -> None:
    for i, c in enumerate(value):
        category = unicodedata.category(c)
        if (category == "Cc" and not (newline and c == "\n")) or category == "Cs":
            raise InvalidInputError(field, _("control character {code} at position {position}", code=f"U+{ord(c):04X}",
                                              position=i),
                                    hint=_("remove it; use \\n for a line break") if newline else _("remove it"))


def _check_text(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError("text", _("the message is empty"), hint=_("write the reminder text"))
    _check_characters("text", value, newline=True)


def _check_signature(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str):
        raise InvalidInputError("signature", _("{value!r} is not text", value=value), hint=_("give it as 【中心名称】"))
    _check_characters("signature", value, newline=False)
    if not _SIGNATURE.match(value):
        raise InvalidInputError("signature", _("{value!r} is not a signature in 【】", value=value),
                                hint=_("2 to 20 characters inside 【】 with no spaces, "
                                       "e.g. 【密云区公共资源交易中心】"))


def _check_place(_instance: object, _attribute: object, value: str) -> None:
    if value not in ("start", "end"):
        raise InvalidInputError("signature_at", _("{value!r} is neither 'start' nor 'end'", value=value),
                                hint=_("carriers put the signature at the start (usual) or at the end"))


def _check_max_parts(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError("max_parts", _("{value!r} is not a whole number of at least 1", value=value),
                                hint=_("the policy's limit on SMS parts per reminder, e.g. 3"))


@attrs.frozen
class SmsText:
    """A reminder as it will be sent: the text and the 【signature】 the carrier adds once, at the start or end."""

    text: str = attrs.field(validator=_check_text)
    signature: str = attrs.field(validator=_check_signature)
    signature_at: SignaturePlace = attrs.field(default="start", validator=_check_place)

    @property
    def message(self) -> str:
        """The whole message with its signature in place, as the phone shows it."""
        return self.signature + self.text if self.signature_at == "start" else self.text + self.signature

    @property
    def characters(self) -> int:
        """Units the whole message counts for (signature included, emoji as two)."""
        return sms_length(self.message)

    def plan(self, max_parts: int) -> SmsPlan:
        """Split the message into parts and warn when it needs more than ``max_parts`` of them."""
        _check_max_parts(max_parts)
        message = self.message
        if self.characters <= SINGLE_LIMIT:
            parts: tuple[str, ...] = (message,)
        else:
            sig_span = (0, len(self.signature)) if self.signature_at == "start" else (len(self.text), len(message))
            parts = _split(message, sig_span)
        warnings: list[str] = []
        if len(parts) > max_parts:
            warnings.append(_("needs {parts} parts, the policy allows {limit}; shorten the text", parts=len(parts),
                               limit=max_parts))
        if "【" in self.text or "】" in self.text:
            warnings.append(_("the text contains 【 or 】: carriers may take it for a second signature and refuse it"))
        wide = sum(1 for c in self.text if ord(c) > 0xFFFF)
        if wide:
            warnings.append(_("{count} character(s) outside the BMP (emoji) count as 2 each and may show as boxes on "
                              "older phones", count=wide))
        return SmsPlan(parts=parts, characters=self.characters, count=len(parts), warnings=tuple(warnings),
                       max_parts=max_parts)


def _check_count(instance: SmsPlan, _attribute: object, value: int) -> None:
    if value != len(instance.parts):
        raise InvalidInputError("count", _("{value} does not match the {parts} parts", value=value,
                                            parts=len(instance.parts)))


@attrs.frozen
class SmsPlan:
    """How a message goes out: its parts (signature included once), its length in units, and any warnings."""

    parts: tuple[str, ...]
    characters: int
    count: int = attrs.field(validator=_check_count)
    warnings: tuple[str, ...] = ()
    max_parts: int = 1

    @property
    def message(self) -> str:
        """The whole message, the parts joined back together."""
        return "".join(self.parts)

    @property
    def within_limit(self) -> bool:
        """Whether the message fits in the number of parts the policy allows."""
        return self.count <= self.max_parts


def plan_sms(text: str, *, signature: str, max_parts: int, signature_at: SignaturePlace = "start") -> SmsPlan:
    """Count and split a reminder text signed with ``signature`` (counted once), warning beyond ``max_parts``."""
    _check_max_parts(max_parts)
    return SmsText(text=text, signature=signature, signature_at=signature_at).plan(max_parts)


# ------------------------------------------------------------------------------------------------- splitting


def _hard_spans(message: str, signature: tuple[int, int]) -> list[tuple[int, int, set[str]]]:
    """The stretches that must stay in one part: tokens, merged where they overlap or a date meets its time."""
    found = [(signature[0], signature[1], "signature")]
    for kind, pattern in _TOKENS:
        found.extend((m.start(), m.end(), kind) for m in pattern.finditer(message))
    found.sort(key=lambda span: (span[0], -span[1]))
    merged: list[tuple[int, int, set[str]]] = []
    for start, end, kind in found:
        if merged:
            prev_start, prev_end, kinds = merged[-1]
            joins = (kind in ("date", "time") and kinds & {"date", "time"} and start >= prev_end
                     and _JOIN.match(message[prev_end:start]))
            if start < prev_end or joins:
                merged[-1] = (prev_start, max(prev_end, end), kinds | {kind})
                continue
        merged.append((start, end, {kind}))
    return merged


def _is_grapheme_inside(before: str, after: str) -> bool:
    """Whether a cut between two characters would break an emoji sequence or a character from its mark."""
    code = ord(after)
    if unicodedata.category(after).startswith("M") or after == "\u200d" or before == "\u200d":
        return True
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or 0x1F3FB <= code <= 0x1F3FF:
        return True
    return 0x1F1E6 <= ord(before) <= 0x1F1FF and 0x1F1E6 <= code <= 0x1F1FF


def _split(message: str, signature: tuple[int, int]) -> tuple[str, ...]:
    """Split a message longer than one SMS into the fewest parts of at most 67 units, at the best places."""
    n = len(message)
    units = [0]
    for c in message:
        units.append(units[-1] + (2 if ord(c) > 0xFFFF else 1))
    allowed = [True] * (n + 1)
    for start, end, kinds in _hard_spans(message, signature):
        if units[end] - units[start] > PART_LIMIT:
            kind = next(k for k in _KIND_ORDER if k in kinds)
            raise InvalidInputError(
                "text", _("the {kind} {token!r} is {length} characters long, more than one SMS part ({limit}), and "
                          "cannot be split", kind=_(_KIND_NAMES[kind]), token=message[start:end],
                          length=units[end] - units[start], limit=PART_LIMIT),
                hint=_("shorten it (e.g. use a short link)"))
        for p in range(start + 1, end):
            allowed[p] = False

    # rem[p]: the fewest parts that carry message[p:] (None when impossible; cannot happen after the check above).
    rem: list[int | None] = [None] * (n + 1)
    rem[n] = 0
    for p in range(n - 1, -1, -1):
        if not allowed[p]:
            continue
        best: int | None = None
        q = p + 1
        while q <= n and units[q] - units[p] <= PART_LIMIT:
            r = rem[q]
            if allowed[q] and r is not None and (best is None or r + 1 < best):
                best = r + 1
            q += 1
        rem[p] = best
    total = rem[0]
    if total is None:  # pragma: no cover - every hard span fits in a part, so a cut before it always exists
        raise InvalidInputError("text", _("the message cannot be split into SMS parts"))

    parts: list[str] = []
    start = 0
    while start < n:
        budget = total - len(parts) - 1
        candidates = [q for q in range(start + 1, n + 1)
                      if units[q] - units[start] <= PART_LIMIT and allowed[q]
                      and (r := rem[q]) is not None and r <= budget]
        cut = n if n in candidates else _best_cut(message, units, start, candidates)
        parts.append(message[start:cut])
        start = cut
    return tuple(parts)


def _best_cut(message: str, units: list[int], start: int, candidates: list[int]) -> int:
    """The preferred end of a part among the possible ones: after punctuation near the limit, else the latest."""
    limit = units[start] + PART_LIMIT

    def avoided(p: int) -> bool:
        before, after = message[p - 1], message[p]
        return ((before.isascii() and before.isalnum() and after.isascii() and after.isalnum())
                or after in _NO_START or before in _NO_END or _is_grapheme_inside(before, after))

    def good(p: int) -> bool:
        return (message[p - 1] in _GOOD_AFTER or message[p - 1].isspace()) and not avoided(p)

    near = [p for p in candidates if limit - units[p] <= _NEAR and good(p)]
    if near:
        return max(near)
    plain = [p for p in candidates if not avoided(p)]
    return max(plain) if plain else max(candidates)
