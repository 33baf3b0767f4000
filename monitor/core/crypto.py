"""Encryption at rest for interview notes and answers to sensitive questions.

Authenticated encryption (Fernet: AES-128-CBC with HMAC-SHA256) from ``cryptography``. Keys live
outside the database: in ``MONITOR_DATA_KEYS`` (comma-separated) or in a key file (one key per
line, newest first), created with mode 0600 on first use. The first key encrypts; every key can
decrypt, so ``monitor keys rotate`` can add a key and re-encrypt at leisure.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from monitor.core.errors import ConfigError


class Vault:
    """Encrypts and decrypts small values with the installation's keys."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ConfigError("no data encryption key: set MONITOR_DATA_KEYS or a key file.")
        try:
            self._fernets = [Fernet(k.encode("ascii")) for k in keys]
        except (ValueError, UnicodeEncodeError) as error:
            raise ConfigError(
                "a data encryption key is malformed: each key must be 32 url-safe base64-encoded "
                "bytes, as made by `monitor keys generate`."
            ) from error
        self._multi = MultiFernet(self._fernets)

    def encrypt(self, value: Any) -> bytes:
        """Encrypt any JSON-serialisable *value*."""
        return self._multi.encrypt(json.dumps(value, ensure_ascii=False).encode("utf-8"))

    def decrypt(self, token: bytes) -> Any:
        """Return the value sealed in *token*.

        :raises ConfigError: no configured key opens it (wrong or missing key).
        """
        try:
            return json.loads(self._multi.decrypt(bytes(token)).decode("utf-8"))
        except InvalidToken as error:
            raise ConfigError(
                "encrypted data cannot be opened with the configured keys; is the right key "
                "file or MONITOR_DATA_KEYS in place?"
            ) from error

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt *token* with the newest key."""
        return self._multi.rotate(bytes(token))


def generate_key() -> str:
    """Return a new random key as text."""
    return Fernet.generate_key().decode("ascii")


def read_key_file(path: Path, *, create: bool) -> list[str]:
    """Return the keys in *path*, creating the file with one new key when allowed."""
    if not path.exists():
        if not create:
            return []
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generate_key() + "\n", encoding="ascii")
        path.chmod(0o600)
    return [line.strip() for line in path.read_text(encoding="ascii").splitlines() if line.strip()]


def add_key(path: Path) -> str:
    """Put a new key first in the key file (older keys stay, to decrypt old data)."""
    keys = read_key_file(path, create=False)
    new = generate_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([new, *keys]) + "\n", encoding="ascii")
    path.chmod(0o600)
    return new


def vault_for(keys: Sequence[str], key_file: Path | None) -> Vault:
    """Build the vault from explicit keys or, failing that, the key file."""
    if keys:
        return Vault(keys)
    if key_file is None:
        raise ConfigError("no data encryption key: set MONITOR_DATA_KEYS or MONITOR_DATA_KEY_FILE.")
    return Vault(read_key_file(key_file, create=True))
