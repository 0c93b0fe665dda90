"""Shared by every test: messages in TenderGuard's default language, whatever the machine's locale.

The catalogue follows LANGUAGE, LC_ALL, LC_MESSAGES and LANG (:mod:`tenderguard.i18n`); the tests assert on the
Simplified Chinese texts, so these are cleared here for this process and the programs it starts. A test of the
English messages sets ``LANG`` itself (``monkeypatch.setenv`` or ``CliRunner(env=…)``).
"""

from __future__ import annotations

import os

for _variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_variable, None)
os.environ["LANG"] = "C.UTF-8"


from collections.abc import Iterator  # noqa: E402 - the environment above is set before anything is imported

import pytest  # noqa: E402


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English (``LANG=en_US.UTF-8``): the catalogue's msgids, worded as the code writes them."""
    monkeypatch.setenv("LANG", "en_US.UTF-8")


@pytest.fixture(scope="module")
def english_module() -> Iterator[None]:
    """Messages in English for a whole module: the tests of validation details read the English wording.

    The Chinese of every message is checked once for all in ``tests/unit/test_i18n.py`` (every msgid translated,
    placeholders kept, Chinese punctuation); a module scope suits Hypothesis, which refuses per-test fixtures.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LANG", "en_US.UTF-8")
        yield
