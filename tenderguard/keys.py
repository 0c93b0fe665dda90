"""The centre's secrets on disk: the key that hashes ID numbers (and, later, the badge-signing keys).

Files are created on first use with owner-only permissions (0600, in a 0700 folder) and are never printed. Keep
the folder out of backups that leave the centre: anyone holding the ID key can test guesses of ID numbers
against the stored hashes.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from tenderguard.errors import InvalidInputError

__all__ = ["DEFAULT_KEYS_DIR", "ID_KEY_FILE", "load_id_secret"]

#: Where the CLI keeps the keys unless ``--keys`` or ``TENDERGUARD_KEYS`` says otherwise.
DEFAULT_KEYS_DIR = "tenderguard-keys"
ID_KEY_FILE = "id-hash.key"
_ID_KEY_BYTES = 32


def _owner_only(path: Path) -> bool:
    return not path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)


def load_id_secret(directory: str | os.PathLike[str], *, create: bool = True) -> tuple[bytes, bool]:
    """The secret that keys ID-number hashes, and whether it was created now (32 random bytes, mode 0600)."""
    folder = Path(directory)
    path = folder / ID_KEY_FILE
    if path.exists():
        if not _owner_only(path):
            raise InvalidInputError("keys", f"{path} can be read by other users",
                                    hint=f"run: chmod 600 {path}")
        data = path.read_bytes()
        if len(data) != _ID_KEY_BYTES:
            raise InvalidInputError("keys", f"{path} is {len(data)} bytes, not {_ID_KEY_BYTES}",
                                    hint="restore the file from the centre's key backup")
        return data, False
    if not create:
        raise InvalidInputError("keys", f"{path} does not exist", hint="point --keys at the centre's key folder")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = secrets.token_bytes(_ID_KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return data, True
