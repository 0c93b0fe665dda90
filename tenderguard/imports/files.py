"""Reading an import file into rows of cells: delimited text in the encodings Excel and WPS save, or a workbook."""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
import openpyxl

from tenderguard.i18n import N_, _
from tenderguard.imports.columns import column_key
from tenderguard.imports.problems import ImportFileError

__all__ = ["MAX_FILE_BYTES", "MAX_ROWS", "TEXT_SUFFIXES", "WORKBOOK_SUFFIXES", "Table", "read_table"]

#: A day's sessions file is a few hundred KiB at most; a bigger one is the wrong file.
MAX_FILE_BYTES = 10 * 1024 * 1024
#: What a workbook may unpack to (its sheets are compressed XML).
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
#: Sessions in one file.
MAX_ROWS = 5_000
#: Columns read from a workbook's sheet (the file has ten; more are reported as unknown up to this).
MAX_COLUMNS = 64

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

_SAVE_AS = N_("open it in Excel or WPS, save it as \"CSV UTF-8 (comma delimited)\" or as an Excel workbook (.xlsx), "
               "then import it again")
#: Byte-order marks, longest first (the UTF-32 LE mark begins with the UTF-16 LE one).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
#: Without a mark: strict UTF-8 first (plain ASCII is UTF-8 too), then GB18030 (GBK and GB2312 are part of it).
_GUESSES = ("utf-8", "gb18030")
_DELIMITERS = (",", "\t", ";")
_SEP_LINE = re.compile(r"sep=([,;\t|])\s*")  # Excel's first line naming the delimiter
_LINE_END = re.compile(r"\r\n|\r|\n")
_OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")  # an encrypted workbook, or an old .xls
_ZIP = b"PK\x03\x04"


@attrs.frozen
class Table:
    """What a file holds: its header row and its non-empty rows, each with its row number as a spreadsheet shows it."""

    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[Any, ...]], ...]
    #: The encoding a text file was read in (None for a workbook).
    encoding: str | None = None


def read_table(path: Path) -> Table:
    """Read a CSV/tab-separated text file or an XLSX workbook; anything unreadable is an :class:`ImportFileError`."""
    source = str(path)
    if not path.is_file():
        raise ImportFileError(source, "not_found", _("the file does not exist"),
                              hint=_("check the file's name and its folder"))
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(source, "unreadable", _("cannot be read: {reason}", reason=exc.strerror)) from None
    if size == 0:
        raise ImportFileError(source, "empty", _("the file is empty"),
                              hint=_("check that it is the right file and that it was saved completely"))
    if size > MAX_FILE_BYTES:
        raise ImportFileError(source, "too_big", _("the file is {size} MiB, over the limit of {limit} MiB",
                                                   size=f"{size / 2**20:.1f}", limit=MAX_FILE_BYTES // 2**20),
                              hint=_("a day's sessions are never this big: check that it is the right file"))
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        headers, rows, encoding = *_workbook_rows(path), None
    elif suffix in TEXT_SUFFIXES:
        text, encoding = _decode(path)
        headers, rows = _text_rows(text, source)
    elif suffix == ".xls":
        raise ImportFileError(source, "unsupported_type", _("is an old Excel file (.xls), which cannot be read"),
                              hint=_(_SAVE_AS))
    else:
        raise ImportFileError(source, "unsupported_type",
                              _("is not a .csv, .txt or .xlsx file (its extension is {suffix})",
                                suffix=suffix or _("empty")), hint=_(_SAVE_AS))
    return Table(headers=headers, rows=rows, encoding=encoding)


def _decode(path: Path) -> tuple[str, str]:
    """The text of a file and its encoding: by its byte-order mark, else strict UTF-8, else GB18030."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(source, "unreadable", _("cannot be read: {reason}", reason=exc.strerror)) from None
    if raw.startswith(_ZIP):
        raise ImportFileError(source, "unsupported_type",
                              _("is an Excel workbook with the extension {suffix}", suffix=path.suffix),
                              hint=_("rename it to .xlsx, then import it again"))
    marked = [(bom, encoding) for bom, encoding in _BOMS if raw.startswith(bom)]
    candidates = [(marked[0][1], len(marked[0][0]))] if marked else [(encoding, 0) for encoding in _GUESSES]
    for encoding, start in candidates:
        try:
            text = raw[start:].decode(encoding)
        except UnicodeDecodeError:
            continue
        # UTF-16 without its mark decodes as UTF-8 or GB18030 too, with a NUL in every other place.
        if "\x00" not in text.partition("\n")[0]:
            return text, encoding
    raise ImportFileError(source, "unknown_encoding",
                          _("the file's encoding is not recognised (not UTF-8, UTF-16 or GB18030 text)"),
                          hint=_(_SAVE_AS))


def _delimiter(first_line: str) -> str:
    """The delimiter that splits the header line into the most known headers (then into the most cells)."""
    def score(delimiter: str) -> tuple[int, int]:
        try:
            cells = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:  # a quote left open on the header line: this delimiter explains nothing
            return 0, 0
        return sum(column_key(cell) is not None for cell in cells), len(cells)

    best = max(_DELIMITERS, key=score)
    if score(best)[0] > 0:
        return best
    try:  # no known header at all: let the sniffer judge the layout (the headers are then reported)
        return csv.Sniffer().sniff(first_line, delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        return ","


def _text_rows(text: str, source: str) -> tuple[tuple[str, ...], tuple[tuple[int, tuple[Any, ...]], ...]]:
    first, *rest = _LINE_END.split(text, maxsplit=1)
    sep = _SEP_LINE.fullmatch(first.strip())
    if sep is not None:
        text = "".join(rest)
    delimiter = sep.group(1) if sep is not None else _delimiter(_LINE_END.split(text, maxsplit=1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _header_and_rows(source, reader)
    except csv.Error as exc:
        line = reader.line_num + (sep is not None)
        if "field larger than field limit" in str(exc):
            raise ImportFileError(source, "cell_too_large",
                                  _("a cell near line {line} holds more than {limit} K characters", line=line,
                                    limit=csv.field_size_limit() // 1024),
                                  hint=_("usually a cell's quotes are not paired: check this line and the lines "
                                         "before it")) from None
        raise ImportFileError(source, "bad_csv", _("line {line} cannot be read as CSV ({reason})", line=line,
                                                   reason=exc), hint=_(_SAVE_AS)) from None


def _header_and_rows(source: str, records: Iterable[Sequence[Any]],
                     ) -> tuple[tuple[str, ...], tuple[tuple[int, tuple[Any, ...]], ...]]:
    """The first non-empty record as headers, then the non-empty rows numbered by record; checks empty and size."""
    headers: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[Any, ...]]] = []
    for number, cells in enumerate(records, start=1):
        if all(cell is None or str(cell).strip() == "" for cell in cells):
            continue
        if headers is None:
            headers = tuple(str(cell if cell is not None else "").strip() for cell in cells)
            continue
        if len(rows) == MAX_ROWS:
            raise ImportFileError(source, "too_many_rows", _("has more than {limit} rows of sessions", limit=MAX_ROWS),
                                  hint=_("a day never has this many sessions: check that it is the right file, "
                                         "or import it in several files"))
        rows.append((number, tuple(cells)))
    if headers is None:
        raise ImportFileError(source, "empty", _("the file holds nothing"), hint=_("check that it is the right file"))
    if not rows:
        raise ImportFileError(source, "no_rows", _("has the header only, no sessions"),
                              hint=_("fill in one row per session under the header"))
    return headers, tuple(rows)


def _workbook_rows(path: Path) -> tuple[tuple[str, ...], tuple[tuple[int, tuple[Any, ...]], ...]]:
    """The first sheet's rows, after checking that the file is a whole, unencrypted, reasonably sized workbook."""
    source = str(path)
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(_OLE2):
        raise ImportFileError(source, "encrypted_workbook",
                              _("is an encrypted workbook (it has a password to open it) or an old .xls file"),
                              hint=_("remove the password to open it, then {save_as}", save_as=_(_SAVE_AS)))
    if not zipfile.is_zipfile(path):
        if head.startswith(_ZIP):
            raise ImportFileError(source, "corrupt_workbook", _("the workbook is damaged (the file is incomplete)"),
                                  hint=_("download or copy the file again, then {save_as}", save_as=_(_SAVE_AS)))
        raise ImportFileError(source, "not_a_workbook",
                              _("is not an Excel workbook (an .xlsx file is a zip file, this one is not)"),
                              hint=_("it may be a text or other file with its extension changed: {save_as}",
                                     save_as=_(_SAVE_AS)))
    _check_zip(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                if not book.worksheets:
                    raise ImportFileError(source, "empty", _("the workbook has no sheet"))
                sheet = book.worksheets[0]
                return _header_and_rows(source, sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True))
            finally:
                book.close()
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError(source, "corrupt_workbook", _("the workbook is damaged and cannot be read"),
                              hint=_(_SAVE_AS)) from None


def _check_zip(path: Path) -> None:
    """A workbook's zip is whole (every member's checksum), holds a workbook, and unpacks to a sane size."""
    source = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if "xl/workbook.xml" not in {m.filename for m in members}:
                raise ImportFileError(source, "not_a_workbook", _("is a zip file but not an Excel workbook"),
                                      hint=_(_SAVE_AS))
            if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
                raise ImportFileError(source, "too_big", _("the workbook unpacks to more than {limit} MiB",
                                                       limit=MAX_UNPACKED_BYTES // 2**20),
                                      hint=_("a day's sessions are never this big: check that it is the right file"))
            broken = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
        broken = "?"
    if broken is not None:
        raise ImportFileError(source, "corrupt_workbook",
                              _("the workbook is damaged (the file is incomplete or its content is wrong)"),
                              hint=_("download or copy the file again, then {save_as}", save_as=_(_SAVE_AS)))
