"""The centre's secrets on disk: the key that hashes ID numbers and the Ed25519 key pair that signs badges.

Secret files are created with owner-only permissions (0600, in a 0700 folder) and are never printed; a secret
file that other users can read is refused. Keep the folder out of backups that leave the centre: anyone holding
the ID key can test guesses of ID numbers against the stored hashes, and anyone holding the signing key can make
badges. The public key (``badge-signing.pub``) is what scanners need to verify badges offline.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "DEFAULT_KEYS_DIR",
    "ID_KEY_FILE",
    "PUBLIC_KEY_FILE",
    "SESSION_KEY_FILE",
    "SIGNING_KEY_FILE",
    "KeyFiles",
    "init_keys",
    "load_id_secret",
    "load_public_key",
    "load_session_secret",
    "load_signing_key",
]

#: Where the CLI keeps the keys unless ``--keys`` or ``TENDERGUARD_KEYS`` says otherwise.
DEFAULT_KEYS_DIR = "tenderguard-keys"
ID_KEY_FILE = "id-hash.key"
SIGNING_KEY_FILE = "badge-signing.key"
PUBLIC_KEY_FILE = "badge-signing.pub"
SESSION_KEY_FILE = "web-session.key"
_ID_KEY_BYTES = 32


def _owner_only(path: Path) -> bool:
    return not path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)


def _load_secret(directory: str | os.PathLike[str], name: str, *, create: bool) -> tuple[bytes, bool]:
    """A 32-byte secret file of the keys folder, and whether it was created now (random, mode 0600)."""
    folder = Path(directory)
    path = folder / name
    if path.exists():
        if not _owner_only(path):
            raise InvalidInputError("keys", _("{path} can be read by other users", path=path),
                                    hint=_("run: chmod 600 {path}", path=path))
        data = path.read_bytes()
        if len(data) != _ID_KEY_BYTES:
            raise InvalidInputError("keys", _("{path} is {length} bytes, not {id_key_bytes}", path=path,
                                              length=len(data), id_key_bytes=_ID_KEY_BYTES),
                                    hint=_("restore the file from the centre's key backup"))
        return data, False
    if not create:
        raise InvalidInputError(
            "keys", _("{path} does not exist", path=path), hint=_("point --keys at the centre's key folder")
        )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = secrets.token_bytes(_ID_KEY_BYTES)
    _write_new(path, data, 0o600)
    return data, True


def load_id_secret(directory: str | os.PathLike[str], *, create: bool = True) -> tuple[bytes, bool]:
    """The secret that keys ID-number hashes, and whether it was created now (32 random bytes, mode 0600)."""
    return _load_secret(directory, ID_KEY_FILE, create=create)


def load_session_secret(directory: str | os.PathLike[str]) -> bytes:
    """The secret that signs the web gate's session cookies (created on first use; a new one logs everyone out)."""
    return _load_secret(directory, SESSION_KEY_FILE, create=True)[0]


def _write_new(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, mode)  # the umask may have taken bits away; never added any


@attrs.frozen
class KeyFiles:
    """Where a centre's keys are, and which of them ``init_keys`` created now."""

    folder: Path
    created: tuple[str, ...]

    @property
    def public_key(self) -> Path:
        """The public key file to hand to scanners."""
        return self.folder / PUBLIC_KEY_FILE


def init_keys(directory: str | os.PathLike[str]) -> KeyFiles:
    """Create the centre's keys that are missing: the ID-hash key and the badge-signing key pair.

    Existing keys are never replaced (replacing the signing key would invalidate every badge printed with it);
    a folder with a private key but no public key gets the public key rebuilt from the private one.
    """
    folder = Path(directory)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    created: list[str] = []
    if load_id_secret(folder)[1]:
        created.append(ID_KEY_FILE)
    private_path = folder / SIGNING_KEY_FILE
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - cryptography loads when used
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415

    if not private_path.exists():
        key = Ed25519PrivateKey.generate()
        _write_new(private_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()), 0o600)
        created.append(SIGNING_KEY_FILE)
    public_path = folder / PUBLIC_KEY_FILE
    if not public_path.exists():
        public = load_signing_key(folder).public_key()
        _write_new(public_path, public.public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo), 0o644)
        created.append(PUBLIC_KEY_FILE)
    return KeyFiles(folder=folder, created=tuple(created))


def load_signing_key(directory: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """The centre's badge-signing private key (refused when other users can read it)."""
    from cryptography.exceptions import UnsupportedAlgorithm  # noqa: PLC0415 - cryptography loads when used
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415

    path = Path(directory) / SIGNING_KEY_FILE
    if not path.exists():
        raise InvalidInputError("keys", _("{path} does not exist", path=path),
                                hint=_("create the centre's keys once with `tenderguard keys init --dir DIR`"))
    if not _owner_only(path):
        raise InvalidInputError(
            "keys", _("{path} can be read by other users", path=path), hint=_("run: chmod 600 {path}", path=path)
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidInputError("keys", _("{path} is not a PEM private key", path=path),
                                hint=_("restore the file from the centre's key backup")) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInputError(
            "keys", _("{path} is not an Ed25519 key", path=path), hint=_("create keys with `keys init`")
        )
    return key


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """A badge-signing public key from its PEM file (what a scanner needs)."""
    from cryptography.exceptions import UnsupportedAlgorithm  # noqa: PLC0415 - cryptography loads when used
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: PLC0415

    file = Path(path)
    if not file.is_file():
        raise InvalidInputError("public_key", _("{file} does not exist", file=file),
                                hint=_("copy {public_key_file} from the centre's key folder",
                                       public_key_file=PUBLIC_KEY_FILE))
    try:
        key = serialization.load_pem_public_key(file.read_bytes())
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidInputError("public_key", _("{file} is not a PEM public key", file=file)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInputError("public_key", _("{file} is not an Ed25519 public key", file=file))
    return key
