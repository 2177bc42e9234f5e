"""Secrets at rest: every credential-bearing value in the store is a Fernet token.

The keys live in the data directory (``secret_keys``, one Fernet key a line, newest first,
mode 0600). Until the first ``gridhub secrets rotate`` there is no such file and the one key
is derived from the hub's secret key, as camera credentials always were: stores written by
earlier versions open unchanged. MultiFernet encrypts with the first key and opens with any,
which is what lets a rotation re-encrypt row by row while the old key still reads.
"""

import base64
import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from gridhub.config import Settings

KEYS_FILE = "secret_keys"
KEY_CONTEXT = b"gridhub/cameras/credentials/v1"
"""Derives the first key from the hub's secret key; kept from when only cameras sealed."""
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
HOST_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "json", "form", "xml"})
"""Schemes whose host is an address worth showing; in other (apprise) URLs, such as
``dingtalk://secret@token`` or ``wecombot://key``, the host itself is the secret."""
HIDDEN = "…"
SEALED = {"sealed": "text"}
"""Column ``info`` of a text column holding one sealed value (rotation and audits find it)."""
SEALED_JSON = {"sealed": "json"}
"""Column ``info`` of a JSON column holding sealed strings (notification URLs) inside."""


class SecretError(Exception):
    """A stored secret cannot be opened (another key, or not a sealed value)."""


class SecretBox:
    """Seals and opens secrets with the store's keys; built once and passed in."""

    def __init__(self, keys: Sequence[bytes], keys_file: Path | None = None) -> None:
        """``keys_file``, when given, is followed: when ``gridhub secrets rotate`` (another
        process) changes it, this box seals with the new key and opens with every key."""
        if not keys:
            raise ValueError("a secret box needs at least one key")
        self._keys_file = keys_file
        self._lock = threading.Lock()  # dispatcher threads open side by side
        self._seen = _mtime(keys_file)
        self._use(keys)

    @classmethod
    def for_settings(cls, settings: Settings) -> "SecretBox":
        path = settings.data_dir / KEYS_FILE
        return cls(read_keys(path) or [derived_key(settings.secret())], path)

    def seal(self, plaintext: str) -> str:
        self._follow()
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def opens(self, token: str) -> bool:
        """Whether ``token`` opens with this box's keys (without reading the keys file)."""
        try:
            self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    def seal_optional(self, plaintext: str | None) -> str | None:
        return None if plaintext is None else self.seal(plaintext)

    def open(self, token: str) -> str:
        fernet = self._fernet
        try:
            return fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeEncodeError):
            # New keys since: read by this call, or by another thread meanwhile.
            if self._follow() or self._fernet is not fernet:
                return self.open(token)
            raise SecretError(
                "a stored secret cannot be decrypted: was the hub's secret key or its "
                f"{KEYS_FILE} file changed, or was the value written in clear?"
            ) from None

    def open_optional(self, token: str | None) -> str | None:
        return None if token is None else self.open(token)

    def rotate(self, token: str) -> str:
        """The same secret sealed under the first key (raises SecretError like ``open``)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise SecretError("a stored secret cannot be decrypted with any key") from None

    def _use(self, keys: Sequence[bytes]) -> None:
        self.keys = tuple(keys)
        self._fernet = MultiFernet([Fernet(key) for key in self.keys])

    def _follow(self) -> bool:
        """Take up the keys file's keys if it changed (a stat: cheap beside AES)."""
        if self._keys_file is None:
            return False
        with self._lock:
            seen = _mtime(self._keys_file)
            if seen == self._seen:
                return False
            keys = read_keys(self._keys_file)
            self._seen = seen
            if not keys or tuple(keys) == self.keys:
                return False
            self._use(keys)
            return True


def _mtime(path: Path | None) -> int | None:
    try:
        return None if path is None else path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def derived_key(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(KEY_CONTEXT + secret.encode()).digest())


def read_keys(path: Path) -> list[bytes]:
    if not path.exists():
        return []
    return [line.strip().encode() for line in path.read_text().splitlines() if line.strip()]


def write_keys(path: Path, keys: Sequence[bytes]) -> None:
    """Replace the keys file atomically (a crash leaves the old file or the new, whole)."""
    private_dir(path.parent)
    draft = path.with_name(path.name + ".new")
    write_private(draft, b"".join(key + b"\n" for key in keys))
    os.replace(draft, path)


def write_private(path: Path, data: bytes) -> None:
    """Write a file that only the hub's user may read, from its first byte on."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    path.chmod(PRIVATE_FILE)  # O_CREAT's mode does not apply to a file that existed


def private_dir(path: Path) -> None:
    """Create ``path`` (mode 0700), or bring an existing one to 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    path.chmod(PRIVATE_DIR)


def redact_url(url: str) -> str:
    """What may be shown of a URL: scheme, and host and port where they are an address;
    user names, passwords, paths and queries (bot tokens, keys) become ``…``."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:  # not a URL one can take apart: show nothing of it
        return HIDDEN
    if not parts.scheme:
        return HIDDEN
    if parts.scheme.lower() not in HOST_SCHEMES or not host:
        return f"{parts.scheme}://{HIDDEN}"
    shown = f"{parts.scheme}://"
    if parts.username is not None or parts.password is not None:
        shown += f"{HIDDEN}@"
    shown += f"[{host}]" if ":" in host else host
    if port is not None:
        shown += f":{port}"
    if parts.path.strip("/") or parts.query or parts.fragment:
        shown += f"/{HIDDEN}"
    return shown
