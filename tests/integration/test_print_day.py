"""A day's badges always print, whatever the names and companies.

Text the font cannot draw prints transliterated or shortened; a badge whose text cannot print at all is listed by
serial while every other badge is printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gatekit import DAY, MORNING, Company, Harness, Person
from pypdf import PdfReader

from tenderguard.errors import InvalidInputError
from tenderguard.factories import credit_code, resident_id

KEY = Ed25519PrivateKey.generate()

#: (name, company) of people a real gate sees, with what their badge prints.
PEOPLE = [
    ("张伟", "北京建设工程有限公司"),
    ("ئابدۇراخمان", "新疆天山路桥建设有限公司"),  # Uyghur: Arabic script, which the font has not
    ("𠀀明", "北京𠀀明工程咨询有限公司"),  # a surname in CJK Extension B
    ("José Müller-Łukasz", "Łódź Construction and Engineering Consulting Group Company Limited Beijing"),
    ("李娜", "好运来😀建设有限公司"),
    ("王芳", "中" * 100),  # the longest company name the gate accepts
]


def _admit(h: Harness, n: int, name: str, company: str) -> str:
    view = h.admit(Person(name, resident_id(100 + n)), Company(company, credit_code(100 + n)))
    assert view.outcome == "admitted", view
    assert view.badge is not None
    return view.badge


def test_every_badge_of_a_day_with_hard_names_prints(tmp_path: Path) -> None:
    """Uyghur, CJK Extension B, accented Latin, emoji and a 100-character company: all on the sheet."""
    h = Harness("badge-only")
    serials = [_admit(h, n, name, company) for n, (name, company) in enumerate(PEOPLE)]
    run = h.gate.print_badges(DAY, KEY, tmp_path / "day.pdf")
    assert run.unprintable == ()
    assert run.result is not None
    assert run.result.badges == len(PEOPLE)
    text = "".join(page.extract_text().replace("\n", "") for page in PdfReader(run.result.path).pages)
    for serial in serials:
        assert serial in text
    expected = ("i'**********", "He*", "J***", "北京He明工程咨询有限公司", "Lódz Construction", "好运来建设有限公司")
    for printed in expected:
        assert printed in text
    assert "😀" not in text


def test_a_badge_that_cannot_print_is_listed_and_the_others_print(tmp_path: Path) -> None:
    """A company named only with emoji has nothing to print: its badge is listed with the reason, not printed."""
    h = Harness("badge-only")
    good = _admit(h, 0, "张伟", "北京建设工程有限公司")
    bad = _admit(h, 1, "李娜", "😀😀")
    other = _admit(h, 2, "王芳", "密云路桥有限公司")
    run = h.gate.print_badges(DAY, KEY, tmp_path / "day.pdf")
    assert [u.serial for u in run.unprintable] == [bad]
    assert "company" in run.unprintable[0].reason
    assert run.result is not None
    assert run.result.badges == 2
    text = "".join(page.extract_text() for page in PdfReader(run.result.path).pages)
    assert good in text
    assert other in text
    assert bad not in text
    print_entry = [e for e in h.audit() if e.kind == "badge_print"][-1]
    assert print_entry.payload["unprintable"] == [bad]


def test_only_unprintable_badges_write_no_file(tmp_path: Path) -> None:
    """When no badge of the day can print, the run lists them and writes no PDF."""
    h = Harness("badge-only")
    bad = _admit(h, 1, "李娜", "😀😀")
    run = h.gate.print_badges(DAY, KEY, tmp_path / "day.pdf")
    assert run.result is None
    assert [u.serial for u in run.unprintable] == [bad]
    assert not (tmp_path / "day.pdf").exists()


@pytest.mark.parametrize(("name", "company", "told"), [
    ("张伟", "北京建设工程有限公司", None),
    ("ئابدۇراخمان", "新疆天山路桥建设有限公司", "姓名印为“i'**********”"),
    ("李娜", "好运来😀建设有限公司", "单位印为“好运来建设有限公司”"),
    ("李娜", "😀😀", "不能打印"),
])
def test_the_desk_learns_at_registration_what_the_badge_will_print(name: str, company: str,
                                                                     told: str | None) -> None:
    """The arrival's view says what prints otherwise, or that the badge cannot print; nothing when all prints."""
    h = Harness("badge-only")
    view = h.desk.arrive(h.arrival(Person(name, resident_id(7)), Company(company, credit_code(7))))
    if told is None:
        assert view.badge_note is None
    else:
        assert view.badge_note is not None
        assert told in view.badge_note


def test_a_hall_the_policy_does_not_list_or_no_badge_can_print_is_refused_at_registration() -> None:
    """Registering a session in an unknown hall (the policy lists its halls) or a 25-character hall is an error."""
    h = Harness("miyun-2020")
    with pytest.raises(InvalidInputError, match="开标室名单") as caught:
        h.add_session("MY-2026-300", MORNING.replace(hour=14), "第九开标室")
    assert caught.value.field == "session.hall"
    listed = Harness("badge-only")  # lists no halls: any hall that prints is accepted
    listed.add_session("MY-2026-301", MORNING.replace(hour=14), "东楼三层开标室")
    with pytest.raises(InvalidInputError, match="最多印 24"):
        listed.add_session("MY-2026-302", MORNING.replace(hour=14), "开" * 25)
    with pytest.raises(InvalidInputError, match="无法印在健康标识上"):
        listed.add_session("MY-2026-303", MORNING.replace(hour=14), "😀")
    with listed.uow() as uow:
        assert [s.code for s in uow.sessions.all() if s.code.startswith("MY-2026-30")] == ["MY-2026-301"]
