"""Importing a day's sessions and their agencies from a CSV or XLSX file, all rows or none.

One row per session; the agency's details repeat on each of its sessions. Headers may be Chinese or English
(English in any case), in any order:

========================  ==================  =============================================
header                    alias               value
========================  ==================  =============================================
场次编号                  code                the session code (MY-2026-118)
项目名称                  project             the project's name
开标时间                  opens_at            ``2026-11-23 09:30`` (the centre's time; the hour with or without its
                                              0: ``9:30``), ``2026/11/23 9:30`` as Excel writes it, a spreadsheet
                                              date-time, or ISO with an offset
开标室                    hall                the hall (one the policy knows, when it lists halls)
代理机构代码              agency_code         the agency's code
代理机构名称              agency_name         its name
联系人                    contact             its contact person (optional)
联系电话                  phone               its mobile, or its landline with the area code (``010-6904 1234``,
                                              ``(010)69041234``, ``+86 10 6904 1234``: kept as ``010-69041234``)
                                              (optional)
电子邮箱                  email               where the notice is emailed (optional)
预计人数                  expected            expected attendance, ``20-35`` or ``30`` (optional)
========================  ==================  =============================================

The files people have
    ``.xlsx``/``.xlsm`` (the first sheet), or delimited text ``.csv``/``.txt``/``.tsv`` however Excel or WPS saved
    it: the encoding is found by its byte-order mark (UTF-8, UTF-16 as "Unicode text", UTF-32), else strict UTF-8,
    else GB18030 (which includes GBK and GB2312); the delimiter (comma, tab or semicolon) is the one that splits
    the header line into known headers, or the one Excel's ``sep=`` first line names. Blank rows are skipped;
    rows keep the numbers the spreadsheet shows them by.

What makes a file unreadable (:class:`ImportFileError`, its ``code``)
    ``not_found``, ``unreadable``, ``empty``, ``too_big`` (over :data:`MAX_FILE_BYTES`, or a workbook unpacking
    to over 100 MiB), ``unsupported_type`` (an old ``.xls``, another suffix, a workbook named ``.csv``),
    ``unknown_encoding`` (none of the above: save it as UTF-8 CSV or XLSX), ``cell_too_large`` (a cell over the
    csv module's 128 K characters, usually an unpaired quote), ``bad_csv``, ``not_a_workbook`` (an ``.xlsx`` that
    is not a zip, or a zip without a workbook), ``corrupt_workbook`` (a truncated or damaged zip),
    ``encrypted_workbook`` (a workbook with an opening password, or an old ``.xls`` renamed), ``no_rows`` (only
    a header), ``too_many_rows`` (over :data:`MAX_ROWS`).

What makes rows invalid (:class:`ImportProblems`, each :class:`ImportProblem`'s ``code``)
    In the header (row 1): ``missing_column``, ``duplicate_column`` (two headers naming one column),
    ``unknown_column``. In a row, every problem of every cell: ``required``, ``invalid_code``,
    ``control_character`` / ``angle_bracket`` / ``too_long`` (project, hall, agency name and contact follow the
    rules of names, ``tenderguard.identity.clean_text``: no bidi controls such as U+202E, no NUL or ESC, no
    ``<``/``>``; line breaks and other spaces inside a cell are folded into one space), ``invalid_time``,
    ``unknown_hall``, ``invalid_phone``, ``invalid_email``, ``invalid_expected``; across rows,
    ``duplicate_session`` and ``agency_conflict`` (an agency's details differing from an earlier row's).
    Each problem has its row, its column (the key above; ``header`` gives the Chinese header), a ``message``
    from the catalogue (Chinese by default, English with ``LANG=en``) and, when a rule of the model refused the
    value, the model's ``field`` (``agency.phone``).
    The error's message shows the first ten; ``problems`` has them all; :func:`write_problems` writes them as a
    CSV the clerk opens beside the file (``tenderguard import FILE --problems-out problems.csv``).

The template
    :func:`write_template` writes the blank sheet (``tenderguard import --template 场次模板.xlsx``): the Chinese
    headers, one example row of the day that imports as it is, and a second sheet 说明 saying what each column holds.

Halls
    When the policy given to :func:`read_day_plan` lists halls (its ``[halls]`` table of capacities), a row naming
    another hall is ``unknown_hall``: a misspelt hall would otherwise escape its capacity. A policy without a
    ``[halls]`` table, or no policy, accepts any hall.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from tenderguard.domain.model import Agency, BidSession, Centre
from tenderguard.i18n import _
from tenderguard.imports.columns import COLUMNS, REQUIRED
from tenderguard.imports.files import MAX_FILE_BYTES, MAX_ROWS, read_table
from tenderguard.imports.problems import (
    SHOWN,
    ImportFileError,
    ImportProblem,
    ImportProblems,
    problems_csv,
    write_problems,
)
from tenderguard.imports.rows import agency_conflict, check_row, column_index
from tenderguard.imports.template import example_row, write_template

if TYPE_CHECKING:
    from tenderguard.policy import Policy

__all__ = [
    "COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "REQUIRED",
    "SHOWN",
    "DayPlan",
    "ImportFileError",
    "ImportProblem",
    "ImportProblems",
    "example_row",
    "known_halls",
    "problems_csv",
    "read_day_plan",
    "write_problems",
    "write_template",
]


@attrs.frozen
class DayPlan:
    """What a file holds: agencies, sessions and each session's expected attendance (min, max)."""

    agencies: tuple[Agency, ...]
    sessions: tuple[BidSession, ...]
    expected: Mapping[str, tuple[int, int]] = attrs.field(factory=dict)


def known_halls(policy: Policy | None) -> frozenset[str]:
    """The halls a policy lists (with their capacities); empty when it lists none, and then any hall is accepted."""
    return frozenset(policy.hall_capacity) if policy is not None else frozenset()


def read_day_plan(path: str | Path, centre: Centre, *, policy: Policy | None = None) -> DayPlan:
    """Read and check a sessions file (CSV or XLSX): every problem of every row reported, nothing half-read.

    Raises :class:`ImportFileError` when the file cannot be read as a table, :class:`ImportProblems` when its
    header or rows are invalid. With a ``policy`` that lists halls, only those halls are accepted.
    """
    file = Path(path)
    source = str(file)
    table = read_table(file)
    index, problems = column_index(table.headers)
    if problems:
        raise ImportProblems(source, problems)
    halls = known_halls(policy)
    agencies: dict[str, tuple[int, Agency]] = {}
    sessions: dict[str, tuple[int, BidSession]] = {}
    expected: dict[str, tuple[int, int]] = {}
    for number, cells in table.rows:
        row = check_row(number, {key: cells[i] if i < len(cells) else None for key, i in index.items()}, centre,
                        halls)
        problems += row.problems
        if row.agency is None or row.session is None:
            continue
        agency, session = row.agency, row.session
        if session.code in sessions:
            problems.append(ImportProblem(number, "code", "duplicate_session",
                                          _("session {code} is already in row {row}", code=session.code,
                                            row=sessions[session.code][0])))
        else:
            sessions[session.code] = (number, session)
        if agency.code in agencies:
            earlier_row, earlier = agencies[agency.code]
            conflict = agency_conflict(number, agency, earlier, earlier_row)
            if conflict is not None:
                problems.append(conflict)
        else:
            agencies[agency.code] = (number, agency)
        if row.expected is not None:
            expected[session.code] = row.expected
    if problems:
        raise ImportProblems(source, problems)
    return DayPlan(agencies=tuple(a for _n, a in agencies.values()),
                   sessions=tuple(s for _n, s in sessions.values()), expected=expected)
