"""Secrets at rest: AES-256-GCM with named keys, so keys can be rotated.

Keys come from ``TUNEBRIDGE_SECRETS__KEYS``: a comma-separated list of ``<key id>:<base64
32-byte key>``; the first encrypts, all decrypt. Ciphertexts are
``tb1.<key id>.<base64(nonce + ciphertext)>``; ``reencrypt`` moves one to the current key.
"""

from __future__ import annotations

import base64
import os
import secrets

import msgspec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "tb1"


class SecretBoxError(ValueError):
    """A key list or a ciphertext is malformed, or was made with an unknown key."""


class SecretsSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``SECRETS``.

    Attributes:
        keys: ``<id>:<base64 32-byte key>``, newest first (``tunebridge up`` makes one).
    """

    keys: tuple[str, ...] = ()


def generate_key_spec(key_id: str | None = None) -> str:
    """A new ``<key id>:<base64 key>`` entry for ``TUNEBRIDGE_SECRETS__KEYS``."""
    key_id = key_id or secrets.token_hex(4)
    return f"{key_id}:{base64.urlsafe_b64encode(AESGCM.generate_key(256)).decode()}"


class SecretBox:
    """Encrypts and decrypts small secrets (tokens) with the current key."""

    def __init__(self, key_specs: list[str]) -> None:
        if not key_specs:
            raise SecretBoxError("no encryption key configured (TUNEBRIDGE_SECRETS__KEYS)")
        self._keys: dict[str, AESGCM] = {}
        self._current = ""
        for spec in key_specs:
            key_id, _, encoded = spec.partition(":")
            try:
                raw = base64.urlsafe_b64decode(encoded)
            except ValueError:
                raise SecretBoxError(f"key {key_id!r} is not base64") from None
            if not key_id or len(raw) != 32 or "." in key_id:
                raise SecretBoxError(f"key {key_id!r} must be '<id>:<base64 of 32 bytes>'")
            self._keys[key_id] = AESGCM(raw)
            self._current = self._current or key_id

    @property
    def current_key_id(self) -> str:
        """The id of the key new ciphertexts use."""
        return self._current

    def encrypt(self, plaintext: str, context: str = "") -> str:
        """Encrypt ``plaintext``; ``context`` (e.g. a connection id) is authenticated too."""
        nonce = os.urandom(12)
        sealed = self._keys[self._current].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{PREFIX}.{self._current}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, context: str = "") -> str:
        """Decrypt a ciphertext made by any configured key, with the same ``context``."""
        prefix, _, rest = token.partition(".")
        key_id, _, body = rest.partition(".")
        if prefix != PREFIX or key_id not in self._keys:
            raise SecretBoxError("ciphertext is malformed or its key is not configured")
        try:
            raw = base64.urlsafe_b64decode(body)
            return self._keys[key_id].decrypt(raw[:12], raw[12:], context.encode()).decode()
        except Exception:
            raise SecretBoxError("ciphertext does not authenticate") from None

    def reencrypt(self, token: str, context: str = "") -> str:
        """The same secret under the current key (for rotation)."""
        return self.encrypt(self.decrypt(token, context), context)
