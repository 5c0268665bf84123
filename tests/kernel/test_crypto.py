"""Secrets at rest: AES-GCM, authenticated, rotatable."""

from __future__ import annotations

import pytest

from services.kernel.crypto import SecretBox, SecretBoxError, generate_key_spec


def test_round_trip_hides_the_secret() -> None:
    box = SecretBox([generate_key_spec("k1")])
    sealed = box.encrypt("refresh-token-123", context="conn-1")
    assert "refresh-token-123" not in sealed
    assert sealed.startswith("tb1.k1.")
    assert box.decrypt(sealed, context="conn-1") == "refresh-token-123"


def test_ciphertext_is_bound_to_its_context_and_tamper_evident() -> None:
    box = SecretBox([generate_key_spec("k1")])
    sealed = box.encrypt("secret", context="conn-1")
    with pytest.raises(SecretBoxError):
        box.decrypt(sealed, context="conn-2")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SecretBoxError):
        box.decrypt(tampered, context="conn-1")


def test_rotation_keeps_old_ciphertexts_readable_and_moves_them_to_the_new_key() -> None:
    old_key = generate_key_spec("old")
    old = SecretBox([old_key]).encrypt("token")
    rotated = SecretBox([generate_key_spec("new"), old_key])
    assert rotated.decrypt(old) == "token"
    moved = rotated.reencrypt(old)
    assert moved.startswith("tb1.new.")
    with pytest.raises(SecretBoxError):
        SecretBox([old_key]).decrypt(moved)


@pytest.mark.parametrize(
    "spec", ["", "nocolon", "k1:not-base64!", "k1:c2hvcnQ=", "a.b:" + "A" * 44]
)
def test_malformed_keys_are_refused(spec: str) -> None:
    with pytest.raises(SecretBoxError):
        SecretBox([spec] if spec else [])
