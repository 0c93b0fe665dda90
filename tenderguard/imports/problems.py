"""What an import found wrong: each problem at its row and column, and the two errors that carry them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import attrs

from tenderguard.errors import TenderGuardError
from tenderguard.i18n import _, ngettext
from tenderguard.imports.columns import header_name

__all__ = ["SHOWN", "ImportFileError", "ImportProblem", "ImportProblems", "problems_csv", "shown", "write_problems"]

#: How many problems the one-line summary of :class:`ImportProblems` lists; ``problems`` holds them all.
SHOWN = 10


@attrs.frozen
class ImportProblem:
    """One thing wrong in an import file: where (row, column), what (a code for programs, words for the clerk)."""

    #: The row as the spreadsheet numbers it: 1 is the header, 2 the first session; 0 is the file as a whole.
    row: int
    #: The column's key in ``COLUMNS`` (``opens_at``); for a header problem the header as written; "" for none.
    column: str
    #: What is wrong, for programs: ``required``, ``invalid_time``, ``unknown_hall``… (listed in the package doc).
    code: str
    #: What is wrong, for the clerk (from the catalogue); ``str()`` puts the row and the column's header before it.
    message: str
    #: The model's field whose rule refused the value (``agency.phone``), when one did.
    field: str | None = None

    @property
    def header(self) -> str:
        """The column as the clerk knows it: its Chinese header (开标时间), or the header as written (made visible)."""
        return _visible(header_name(self.column))

    def __str__(self) -> str:
        """``第3行，开标时间：…`` (``row 3, 开标时间: …`` in English)."""
        where = _("file") if self.row == 0 else _("row {row}", row=self.row)
        if self.column:
            return _("{where}, {column}: {message}", where=where, column=self.header, message=self.message)
        return _("{where}: {message}", where=where, message=self.message)


class ImportProblems(TenderGuardError):
    """Raised when headers or rows of an import file are invalid; nothing is imported.

    ``problems`` lists every problem of every row; the message shows the first :data:`SHOWN` of them.
    """

    def __init__(self, source: str, problems: Iterable[ImportProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        listed = _("; ").join(str(p) for p in self.problems[:SHOWN])
        if len(self.problems) > SHOWN:
            listed += _("; ") + ngettext("{n} more problem not listed", "{n} more problems not listed",
                                         len(self.problems) - SHOWN)
        summary = ngettext("{n} problem, nothing imported", "{n} problems, nothing imported", len(self.problems))
        super().__init__(_("{where}: {message}", where=source, message=_("{summary}: {problems}", summary=summary,
                                                                         problems=listed)),
                         hint=_("correct each place listed, then import again"))


class ImportFileError(TenderGuardError):
    """Raised when a file cannot be read as a table at all; nothing is imported.

    Missing, too big, neither CSV nor XLSX, an encoding that is not UTF-8, UTF-16 or GB18030, a damaged or
    encrypted workbook, empty, only a header: ``code`` says which for programs, the message names the file and
    says what to do. ``problems`` holds the one problem (row 0), as :class:`ImportProblems` does.
    """

    def __init__(self, source: str, code: str, message: str, *, hint: str | None = None) -> None:
        self.source = source
        self.code = code
        self.problems = (ImportProblem(row=0, column="", code=code, message=message),)
        super().__init__(_("{where}: {message}", where=source, message=message), hint=hint)


def shown(value: object, *, limit: int = 30) -> str:
    """A cell's value quoted for a message: shortened, invisible and control characters spelt by code point."""
    text = str(value)
    return f"「{_visible(text[:limit])}{'…' if len(text) > limit else ''}」"


def _visible(text: str) -> str:
    """Text with every invisible or control character spelt by its code point: one line, no reordering."""
    return "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in text)


def _cell(value: str) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def problems_csv(source: str, problems: Iterable[ImportProblem]) -> str:
    """The problems as CSV text with headers (文件, 行, 列, 问题, 代码, 字段 in Chinese), one problem a line."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("File"), _("Row"), _("Column"), _("Problem"), _("Code"), _("Field")])
    for problem in problems:
        writer.writerow([_cell(source), problem.row, _cell(problem.header), _cell(problem.message), problem.code,
                         problem.field or ""])
    return out.getvalue()


def write_problems(target: str | Path, source: str, problems: Iterable[ImportProblem]) -> Path:
    """Write the problems to a CSV file that Excel and WPS open as it is (UTF-8 with BOM, readable by its owner)."""
    from tenderguard.records.files import write_private_text  # noqa: PLC0415 - only writing a list needs it
    return write_private_text(target, problems_csv(source, problems), encoding="utf-8-sig")
