"""What a badge prints for names, companies and halls the font cannot draw as they are."""

from __future__ import annotations

import pytest

from tenderguard.errors import RenderError
from tenderguard.identity import mask_name
from tenderguard.render.glyphs import cjk_font, drawable
from tenderguard.render.printable import HOLDER_MAX, badge_note, holder_text, printable


def _drawable(text: str) -> bool:
    return drawable(cjk_font()).issuperset(map(ord, text))


@pytest.mark.parametrize(("text", "printed"), [
    ("北京建设工程有限公司", "北京建设工程有限公司"),
    ("Łódź Construction", "Lódz Construction"),
    ("𠀀明", "He明"),
    ("好运来😀建设有限公司", "好运来建设有限公司"),
    ("ئۇيغۇر", "i'uyghur"),
])
def test_a_character_the_font_lacks_is_transliterated_or_left_out(text: str, printed: str) -> None:
    """Latin with accents the font lacks, CJK Extension B and Arabic script print in Latin; emoji are left out."""
    assert not _drawable(text) or text == printed
    result = printable(text, field="company")
    assert result.text == printed
    assert _drawable(result.text)
    assert (result.changed == ()) == (text == printed)


def test_a_text_with_nothing_printable_is_refused_naming_the_field() -> None:
    """A company named only with emoji has nothing to print: RenderError, naming the field."""
    with pytest.raises(RenderError, match="company") as caught:
        printable("😀😀", field="company")
    assert caught.value.field == "company"


@pytest.mark.parametrize(("name", "printed"), [
    ("张伟", "张*"),
    ("José Müller-Łukasz", "J***"),
    ("𠀀明", "He*"),
    ("ئابدۇراخمان", "i'" + "*" * 10),
    ("ابدۇراخمان", "*" * 10),
    ("阿卜杜热合曼·艾则孜买买提", "阿***"),
])
def test_the_masked_holder_always_prints_and_fits(name: str, printed: str) -> None:
    """A long masked name prints its first character and three stars; an unprintable first character a star."""
    result = holder_text(mask_name(name))
    assert result.text == printed
    assert len(result.text) <= HOLDER_MAX
    assert _drawable(result.text)


def test_the_desk_is_told_at_registration_what_the_badge_will_print() -> None:
    """A note names what prints otherwise, and says when a text cannot print at all; nothing for ordinary text."""
    assert badge_note("张*", "北京建设工程有限公司", "第一开标室") is None
    note = badge_note(mask_name("ئابدۇراخمان"), "好运来😀建设有限公司", "第一开标室")
    assert note is not None
    assert "姓名印为“i'**********”" in note
    assert "单位印为“好运来建设有限公司”" in note
    unprintable = badge_note("张*", "😀😀", "第一开标室")
    assert unprintable is not None
    assert "单位" in unprintable
    assert "不能打印" in unprintable
