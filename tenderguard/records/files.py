"""Files that hold personal data: written complete or not at all, readable by their owner only.

Every export, report, badge sheet, refusal letter, batch result and the SQLite database itself is created with
mode 0600 (PIPL: health data is sensitive personal information). A file is first written under a scratch name
beside its target — created 0600 before a byte is written — and renamed over the target only once complete, so a
reader never sees half a file and a crash leaves no readable remnant under the target's name.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from tenderguard.errors import InvalidInputError, StorageError
from tenderguard.i18n import _

__all__ = [
    "PRIVATE_MODE", "checked_target", "create_private", "private_lines", "private_output", "storage_error",
    "write_private", "write_private_text",
]

#: Read and write for the owner, nothing for anybody else.
PRIVATE_MODE = 0o600


#: The errors of a disk (or a user's quota) that has no room left.
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def storage_error(exc: OSError, path: Path | str) -> StorageError:
    """The one-line error saying why ``path`` could not be written; a full disk is called one."""
    if exc.errno in _FULL:
        return StorageError(str(path), _("the disk is full"),
                            hint=_("free some space and run the command again; nothing was half-written"))
    if exc.errno == errno.EROFS:
        return StorageError(str(path), _("is on a read-only disk"), hint=_("pick a place that can be written"))
    return StorageError(str(path), _("cannot be written: {value}", value=exc.strerror or exc),
                        hint=_("pick a place you can write to; nothing was half-written"))


def create_private(path: Path) -> None:
    """Create an empty file with mode 0600 unless it exists (the SQLite database before its first connection)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)


def checked_target(target: Path) -> Path:
    """``target`` if an output can be written there: its folder exists and it is a regular file or nothing yet.

    Called before the work of making a document, so a wrong ``--out`` is told at once (as InvalidInputError).
    """
    if not target.parent.is_dir():
        if target.parent.exists():
            raise InvalidInputError(
                "out", _("{parent} is a file, not a folder", parent=target.parent), hint=_("pick another path")
            )
        raise InvalidInputError(
            "out", _("folder {parent} does not exist", parent=target.parent), hint=_("create it or pick another path")
        )
    try:
        found = os.lstat(target)
    except FileNotFoundError:
        return target
    if not stat.S_ISREG(found.st_mode):
        raise InvalidInputError("out", _("{target} exists and is not a regular file", target=target),
                                hint=_("give the path of a new file or of a file to replace"))
    return target


def _mode_for(target: Path) -> int:
    """0600 for a new file; an existing one keeps its mode (its owner chose it)."""
    try:
        return stat.S_IMODE(os.lstat(target).st_mode)
    except FileNotFoundError:
        return PRIVATE_MODE


def _scratch_beside(target: Path) -> tuple[Path, int]:
    """A new 0600 scratch file beside ``target`` and its open descriptor."""
    scratch = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        scratch.unlink(missing_ok=True)
        return scratch, os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except OSError as exc:
        if exc.errno in _FULL or exc.errno == errno.EROFS:
            raise storage_error(exc, target) from None
        raise InvalidInputError("out", _("cannot write in {parent}: {strerror}", parent=target.parent,
                                         strerror=exc.strerror),
                                hint=_("pick a folder you can write to")) from None


def write_private(target: Path | str, write: Callable[[Path], object]) -> Path:
    """Call ``write(path)`` on a 0600 scratch file beside ``target``, then rename it over ``target``; returns it.

    A target that exists and is not a regular file (a folder, a symlink, a device) is refused; an existing file
    is replaced by one of the same mode.
    """
    target = checked_target(Path(target))
    scratch, descriptor = _scratch_beside(target)
    os.close(descriptor)
    mode = _mode_for(target)
    try:
        write(scratch)
        os.chmod(scratch, mode)  # a writer that re-created the file must not have widened it
        scratch.replace(target)
    except OSError as exc:
        # A full disk, or a failure on the file itself, is told by the target's name (the scratch file is gone);
        # a file the writer only read (a template, a font) keeps its own error.
        if exc.errno in _FULL or exc.filename in (None, str(scratch), str(target)):
            raise storage_error(exc, target) from None
        raise
    finally:
        scratch.unlink(missing_ok=True)
    return target


def write_private_text(target: Path | str, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``target`` as :func:`write_private` does."""
    return write_private(target, lambda path: path.write_text(text, encoding=encoding))


@contextlib.contextmanager
def private_output(target: Path | str) -> Iterator[BinaryIO]:
    """A binary stream that becomes ``target`` (mode 0600) when the block ends without an error.

    What is written stays in memory until then and reaches the disk in one short write of a scratch file, renamed
    over the target: a process killed while the document is being made leaves nothing on disk.
    """
    target = checked_target(Path(target))
    buffer = io.BytesIO()
    yield buffer
    write_private(target, lambda path: path.write_bytes(buffer.getvalue()))


@contextlib.contextmanager
def private_lines(target: Path | str, *, encoding: str = "utf-8") -> Iterator[TextIO]:
    """A text stream for output that grows line by line (a batch's results); it becomes ``target`` at the end.

    The target is replaced only when the block ends without an error. The lines go straight to a 0600 scratch
    file beside the target, so a long run holds nothing in memory; a full disk or an error leaves the target as it
    was and no scratch file behind.
    """
    target = checked_target(Path(target))
    scratch, descriptor = _scratch_beside(target)
    mode = _mode_for(target)
    try:
        with os.fdopen(descriptor, "w", encoding=encoding) as handle:
            yield handle
        os.chmod(scratch, mode)
        scratch.replace(target)
    except OSError as exc:
        if exc.errno in _FULL or exc.filename in (str(scratch), str(target)):
            raise storage_error(exc, target) from None
        raise
    finally:
        scratch.unlink(missing_ok=True)
