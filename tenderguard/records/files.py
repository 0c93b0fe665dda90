"""Files that hold personal data: written complete or not at all, readable by their owner only.

Every export, report, badge sheet, refusal letter, batch result and the SQLite database itself is created with
mode 0600 (PIPL: health data is sensitive personal information). A file is first written under a scratch name
beside its target — created 0600 before a byte is written — and renamed over the target only once complete, so a
reader never sees half a file and a crash leaves no readable remnant under the target's name.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from tenderguard.errors import InvalidInputError

__all__ = ["PRIVATE_MODE", "create_private", "private_output", "write_private", "write_private_text"]

#: Read and write for the owner, nothing for anybody else.
PRIVATE_MODE = 0o600


def create_private(path: Path) -> None:
    """Create an empty file with mode 0600 unless it exists (the SQLite database before its first connection)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)


def _checked_target(target: Path) -> Path:
    if not target.parent.is_dir():
        raise InvalidInputError("out", f"folder {target.parent} does not exist", hint="create it or pick another path")
    try:
        found = os.lstat(target)
    except FileNotFoundError:
        return target
    if not stat.S_ISREG(found.st_mode):
        raise InvalidInputError("out", f"{target} exists and is not a regular file",
                                hint="give the path of a new file or of a file to replace")
    return target


def _mode_for(target: Path) -> int:
    """0600 for a new file; an existing one keeps its mode (its owner chose it)."""
    try:
        return stat.S_IMODE(os.lstat(target).st_mode)
    except FileNotFoundError:
        return PRIVATE_MODE


def write_private(target: Path | str, write: Callable[[Path], object]) -> Path:
    """Call ``write(path)`` on a 0600 scratch file beside ``target``, then rename it over ``target``; returns it.

    A target that exists and is not a regular file (a folder, a symlink, a device) is refused; an existing file
    is replaced by one of the same mode.
    """
    target = _checked_target(Path(target))
    scratch = target.with_name(f".{target.name}.{os.getpid()}.partial")
    scratch.unlink(missing_ok=True)
    try:
        descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except OSError as exc:
        raise InvalidInputError("out", f"cannot write in {target.parent}: {exc.strerror}",
                                hint="pick a folder you can write to") from None
    os.close(descriptor)
    mode = _mode_for(target)
    try:
        write(scratch)
        os.chmod(scratch, mode)  # a writer that re-created the file must not have widened it
        scratch.replace(target)
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
    target = _checked_target(Path(target))
    buffer = io.BytesIO()
    yield buffer
    write_private(target, lambda path: path.write_bytes(buffer.getvalue()))
