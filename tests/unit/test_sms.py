"""Unit tests of tenderguard.notices.sms: counting Chinese SMS, splitting reminders without cutting times or links."""

from __future__ import annotations

import math
from itertools import accumulate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenderguard.errors import InvalidInputError
from tenderguard.notices.sms import PART_LIMIT, SINGLE_LIMIT, SmsText, plan_sms, sms_length

#: These tests read the English wording of the messages (the catalogue's msgids); test_i18n checks the Chinese.
pytestmark = pytest.mark.usefixtures("english_module")

SIGNATURE = "【密云区公共资源交易中心】"
FILLER = "请投标人代表按要求携带身份证件原件参加开标会议"
EMOJI = "🙂"


def filler(n: int) -> str:
    """``n`` Chinese characters of reminder-like text with no punctuation, digits or tokens."""
    return (FILLER * (n // len(FILLER) + 1))[:n]


def units(text: str) -> int:
    """Count SMS units independently: UTF-16 code units, i.e. two for a character outside the BMP."""
    return len(text.encode("utf-16-le")) // 2


def cuts(parts: tuple[str, ...]) -> list[int]:
    """The positions in the whole message where one part ends and the next begins."""
    return list(accumulate(len(p) for p in parts))[:-1]


# --- counting -----------------------------------------------------------------------------------------------


def test_exactly_seventy_characters_with_signature_is_one_part() -> None:
    """A message of exactly 70 characters, signature included, goes as a single SMS."""
    text = filler(SINGLE_LIMIT - len(SIGNATURE))
    plan = plan_sms(text, signature=SIGNATURE, max_parts=3)
    assert plan.characters == SINGLE_LIMIT
    assert plan.count == 1
    assert plan.parts == (SIGNATURE + text,)
    assert plan.warnings == ()


def test_seventy_one_characters_split_sixty_seven_and_four() -> None:
    """One character more than a single SMS makes two parts, the first full (67) and the rest (4)."""
    text = filler(SINGLE_LIMIT + 1 - len(SIGNATURE))
    plan = plan_sms(text, signature=SIGNATURE, max_parts=3)
    assert plan.count == 2
    assert [units(p) for p in plan.parts] == [PART_LIMIT, SINGLE_LIMIT + 1 - PART_LIMIT]
    assert plan.message == SIGNATURE + text


def test_signature_counts_toward_the_length_once() -> None:
    """A text that alone fits one SMS needs two with its signature; the signature appears once in the parts."""
    text = filler(SINGLE_LIMIT - 1)
    assert units(text) <= SINGLE_LIMIT
    plan = plan_sms(text, signature=SIGNATURE, max_parts=3)
    assert plan.characters == units(text) + units(SIGNATURE)
    assert plan.count == math.ceil(plan.characters / PART_LIMIT)
    assert plan.parts[0].startswith(SIGNATURE)
    assert sum(p.count(SIGNATURE) for p in plan.parts) == 1


def test_signature_at_the_end_closes_the_last_part() -> None:
    """With the signature placed at the end it is counted once and ends the last part, whole."""
    text = filler(150)
    plan = plan_sms(text, signature=SIGNATURE, max_parts=3, signature_at="end")
    assert plan.message == text + SIGNATURE
    assert plan.parts[-1].endswith(SIGNATURE)
    assert plan.count == math.ceil((150 + len(SIGNATURE)) / PART_LIMIT)


@pytest.mark.parametrize("total", [2 * PART_LIMIT, 2 * PART_LIMIT + 1])
def test_two_full_parts_and_one_more(total: int) -> None:
    """134 characters fill exactly two parts; 135 need a third."""
    text = filler(total - len(SIGNATURE))
    plan = plan_sms(text, signature=SIGNATURE, max_parts=5)
    assert plan.characters == total
    assert plan.count == math.ceil(total / PART_LIMIT)
    assert all(units(p) <= PART_LIMIT for p in plan.parts)
    assert plan.message == SIGNATURE + text


def test_emoji_count_as_two() -> None:
    """An emoji outside the BMP counts as two characters: 68 + one emoji is 70 (one part), one more is two."""
    text = filler(SINGLE_LIMIT - len(SIGNATURE) - 2) + EMOJI
    assert sms_length(SIGNATURE + text) == units(SIGNATURE + text) == SINGLE_LIMIT
    one = plan_sms(text, signature=SIGNATURE, max_parts=3)
    assert one.count == 1
    assert any("count as 2" in w for w in one.warnings)
    two = plan_sms(text + "。", signature=SIGNATURE, max_parts=3)
    assert two.count == 2


def test_emoji_on_the_boundary_moves_to_the_next_part() -> None:
    """An emoji that would take units 67 and 68 is not squeezed in: the first part stops at 66."""
    text = filler(PART_LIMIT - 1 - len(SIGNATURE)) + EMOJI + filler(20)
    plan = plan_sms(text, signature=SIGNATURE, max_parts=3)
    assert units(plan.parts[0]) == PART_LIMIT - 1
    assert plan.parts[1].startswith(EMOJI)
    assert all(units(p) <= PART_LIMIT for p in plan.parts)


# --- where it is split --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "https://ggzy.example.gov.cn/notice/2026/1123",
        "2026-11-23 09:30",
        "09:30",
        "9:30",
        "9点30分",
        "上午9:30",
        "11月23日上午9:30",
        "138 1234 5678",
        "010-69041234",
    ],
)
def test_token_across_the_boundary_stays_whole(token: str) -> None:
    """A link, time, date or phone that would straddle unit 67 moves whole into the next part."""
    before = filler(PART_LIMIT - len(SIGNATURE) - len(token) // 2)
    text = before + token + " " + filler(30)
    plan = plan_sms(text, signature=SIGNATURE, max_parts=3)
    assert plan.parts[0] == SIGNATURE + before
    assert plan.parts[1].startswith(token)
    assert plan.message == SIGNATURE + text


def test_split_after_chinese_punctuation_near_the_limit() -> None:
    """A comma a few characters before the limit is a better place to split than the limit itself."""
    head = filler(PART_LIMIT - len(SIGNATURE) - 5) + "，"
    text = head + filler(40)
    plan = plan_sms(text, signature=SIGNATURE, max_parts=3)
    assert plan.parts[0] == SIGNATURE + head
    assert plan.count == math.ceil(units(SIGNATURE + text) / PART_LIMIT)


def test_preference_never_costs_a_part() -> None:
    """Splitting after punctuation is only preferred when it does not make the message one part longer."""
    text = filler(PART_LIMIT - len(SIGNATURE) - 5) + "，" + filler(PART_LIMIT + 4)
    plan = plan_sms(text, signature=SIGNATURE, max_parts=3)
    assert units(SIGNATURE + text) == 2 * PART_LIMIT
    assert plan.count == 2
    assert [units(p) for p in plan.parts] == [PART_LIMIT, PART_LIMIT]


def test_real_reminder_is_split_between_tokens() -> None:
    """The centre's reminder keeps its date-time, link and phone whole and reports the parts it needs."""
    text = ("您好！您代理的“密云区2026年道路养护项目”定于2026-11-23 09:30在第一开标厅开标。请通知投标人代表于"
            "上午9:00前到达，每家单位限一人进场，进场须佩戴口罩、测温并递交健康申报表，详见"
            "https://ggzy.example.gov.cn/n/20261123 。咨询电话010-69041234。")
    plan = plan_sms(text, signature=SIGNATURE, max_parts=2)
    assert plan.message == SIGNATURE + text
    assert plan.count == math.ceil(units(SIGNATURE + text) / PART_LIMIT)
    for token in ("2026-11-23 09:30", "上午9:00", "https://ggzy.example.gov.cn/n/20261123", "010-69041234"):
        assert any(token in part for part in plan.parts)
    assert all(units(p) <= PART_LIMIT for p in plan.parts)


def test_too_many_parts_is_a_warning() -> None:
    """A message needing more parts than the policy allows is still planned, with a warning naming both numbers."""
    total = 3 * PART_LIMIT + 10
    text = filler(total - len(SIGNATURE))
    plan = plan_sms(text, signature=SIGNATURE, max_parts=3)
    needed = math.ceil(total / PART_LIMIT)
    assert plan.count == needed
    assert not plan.within_limit
    assert f"needs {needed} parts, the policy allows 3; shorten the text" in plan.warnings


def test_second_signature_in_the_text_is_a_warning() -> None:
    """Brackets 【】 inside the text are flagged: carriers may read them as a second signature."""
    plan = plan_sms("【提醒】明日开标", signature=SIGNATURE, max_parts=1)
    assert any("second signature" in w for w in plan.warnings)


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "signature", "max_parts", "field"),
    [
        ("", SIGNATURE, 3, "text"),
        ("  \n ", SIGNATURE, 3, "text"),
        ("明日开标\x07", SIGNATURE, 3, "text"),
        ("明日\r\n开标", SIGNATURE, 3, "text"),
        ("明日开标", "密云区公共资源交易中心", 3, "signature"),
        ("明日开标", "[密云区公共资源交易中心]", 3, "signature"),
        ("明日开标", "【】", 3, "signature"),
        ("明日开标", "【密云 中心】", 3, "signature"),
        ("明日开标", "【密云\x00中心】", 3, "signature"),
        ("明日开标", SIGNATURE, 0, "max_parts"),
        ("明日开标", SIGNATURE, -1, "max_parts"),
    ],
)
def test_bad_input_is_refused(text: str, signature: str, max_parts: int, field: str) -> None:
    """Empty text, control characters, a signature not in 【】 and fewer than one part are refused by field."""
    with pytest.raises(InvalidInputError, match=rf"^{field}: ") as caught:
        plan_sms(text, signature=signature, max_parts=max_parts)
    assert caught.value.field == field


def test_max_parts_must_be_a_whole_number() -> None:
    """True is not a number of parts, even though Python counts it as 1."""
    with pytest.raises(InvalidInputError, match=r"^max_parts: "):
        plan_sms("明日开标", signature=SIGNATURE, max_parts=True)


def test_signature_place_is_start_or_end() -> None:
    """The signature goes at the start or the end, nowhere else."""
    with pytest.raises(InvalidInputError, match=r"^signature_at: "):
        SmsText("明日开标", SIGNATURE, "middle")  # type: ignore[arg-type]


def test_newline_is_allowed() -> None:
    """A line break is not a forbidden control character."""
    assert plan_sms("明日开标\n请准时到达", signature=SIGNATURE, max_parts=1).count == 1


def test_link_longer_than_a_part_is_an_error() -> None:
    """A link that cannot fit in one part cannot be kept whole: refused with a hint to shorten it."""
    link = "https://ggzy.example.gov.cn/" + "a" * PART_LIMIT
    with pytest.raises(InvalidInputError, match="link") as caught:
        plan_sms(filler(20) + link + filler(20), signature=SIGNATURE, max_parts=3)
    assert caught.value.hint is not None


# --- properties ---------------------------------------------------------------------------------------------

SAFE_CJK = "请您代理的项目将在开标厅举行投标人代表按达谢配合健康码行程卡核酸检测明携带身份证件原"
ALPHABET = st.sampled_from([*SAFE_CJK, *"，。；：！？、", " ", "\n", EMOJI, "👍", "🏛"])
SEPARATOR = st.tuples(st.text(ALPHABET, max_size=40), st.sampled_from(SAFE_CJK)).map("".join)
HOURS = st.integers(0, 23)
MINUTES = st.integers(0, 59)
TIMES = st.one_of(
    st.builds(lambda h, m: f"{h:02d}:{m:02d}", HOURS, MINUTES),
    st.builds(lambda h, m: f"{h}:{m:02d}", HOURS, MINUTES),
    st.builds(lambda h, m: f"{h}点{m}分", HOURS, MINUTES),
    st.builds(lambda h, m: f"上午{h}:{m:02d}", st.integers(6, 11), MINUTES),
    st.builds(lambda d, h, m: f"2026-11-{d:02d} {h:02d}:{m:02d}", st.integers(1, 30), HOURS, MINUTES),
)
LINKS = st.builds(lambda scheme, path: f"{scheme}://{path}", st.sampled_from(["http", "https"]),
                  st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789/.-_?="), min_size=1, max_size=40))
TOKENS = st.one_of(TIMES, LINKS)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(SEPARATOR, TOKENS), max_size=8),
    SEPARATOR,
    st.sampled_from(["start", "end"]),
)
def test_splitting_keeps_text_parts_and_tokens_whole(
    pieces: list[tuple[str, str]], tail: str, place: str
) -> None:
    """Joined parts give the message back; multi-part messages have parts ≤ 67; no link or time is cut."""
    text = ""
    spans: list[tuple[int, int]] = []
    for separator, token in pieces:
        text += separator
        spans.append((len(text), len(text) + len(token)))
        text += token
    text += tail
    plan = plan_sms(text, signature=SIGNATURE, max_parts=20, signature_at=place)  # type: ignore[arg-type]
    offset = len(SIGNATURE) if place == "start" else 0
    expected = SIGNATURE + text if place == "start" else text + SIGNATURE
    assert "".join(plan.parts) == expected
    assert plan.characters == units(expected)
    assert plan.count == len(plan.parts)
    if plan.characters <= SINGLE_LIMIT:
        assert plan.count == 1
    else:
        assert all(0 < units(p) <= PART_LIMIT for p in plan.parts)
        assert plan.count >= math.ceil(plan.characters / PART_LIMIT)
    for cut in cuts(plan.parts):
        for start, end in spans:
            assert not start + offset < cut < end + offset, (text[start:end], plan.parts)
        sig_start = 0 if place == "start" else len(text)
        assert not sig_start < cut < sig_start + len(SIGNATURE)


@given(st.integers(1, 400))
def test_plain_text_needs_the_fewest_parts(n: int) -> None:
    """Text without tokens or punctuation takes one part up to 70, else exactly ⌈length / 67⌉ parts."""
    text = filler(n)
    total = n + len(SIGNATURE)
    plan = plan_sms(text, signature=SIGNATURE, max_parts=10)
    assert plan.count == (1 if total <= SINGLE_LIMIT else math.ceil(total / PART_LIMIT))


@pytest.mark.parametrize("rule", ["一公司一人，一标识一天", "一公司一人,一标识一天"])
def test_the_day_rule_is_never_split_across_two_parts(rule: str) -> None:
    """一公司一人，一标识一天 reaches the phone in one part, wherever a 67-unit cut would fall inside it."""
    signature = "【密云区公共资源交易中心】"
    cut_inside = 0
    for pad in range(80):
        text = "各位投标人" + "请" * pad + f"按照{rule}的规定入场" + "准时到达开标室参加开标" * 12
        message = signature + text
        start = message.index(rule)
        cut_inside += any(start < k * PART_LIMIT < start + len(rule) for k in range(1, 6))
        plan = plan_sms(text, signature=signature, max_parts=6)
        assert any(rule in part for part in plan.parts), pad
        assert plan.message == message
    assert cut_inside > 0  # the paddings put a plain 67-unit cut inside the phrase
