"""Tests for bridge.security.secrets: SecretBox and the WHMCS legacy stream cipher."""

from __future__ import annotations

import base64
import hashlib
import os
import re

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bridge.security import SecretBox, SecretError, whmcs_legacy_decrypt, whmcs_legacy_encrypt

KEY = "install-key-for-tests"
MESSAGE = "cPanel pässwörd ✓ 日本語 🔑"
CC_HASH = "mVgYSkDc3ZzHlXgcDIUV8dB4t0nBTpPHdqXKP5IULXYk9zQIRJ2cyqafeOtBU8bo"


def test_round_trip_unicode() -> None:
    box = SecretBox(KEY)
    token = box.encrypt(MESSAGE)
    assert token.startswith("v1:")
    assert token.isascii()
    assert re.fullmatch(r"v1:[A-Za-z0-9_=-]+", token)
    assert MESSAGE not in token
    assert box.decrypt(token) == MESSAGE
    assert SecretBox(KEY).decrypt(token) == MESSAGE  # same key, new instance


def test_random_nonce_makes_tokens_differ() -> None:
    box = SecretBox(KEY)
    tokens = {box.encrypt("same") for _ in range(10)}
    assert len(tokens) == 10
    assert {box.decrypt(t) for t in tokens} == {"same"}


def test_token_layout_matches_hkdf_and_aesgcm_definition() -> None:
    token = SecretBox(KEY).encrypt(MESSAGE)
    raw = base64.urlsafe_b64decode(token[3:])
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hostbridge secretbox v1")
    key = hkdf.derive(KEY.encode())
    assert AESGCM(key).decrypt(raw[:12], raw[12:], None).decode() == MESSAGE


def test_empty_means_no_secret() -> None:
    box = SecretBox(KEY)
    assert box.encrypt("") == ""
    assert box.decrypt("") == ""


def test_wrong_key_raises_clear_error() -> None:
    token = SecretBox(KEY).encrypt(MESSAGE)
    with pytest.raises(SecretError, match="wrong BRIDGE_SECRET_KEY or corrupted value") as info:
        SecretBox(KEY + "!").decrypt(token)
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith("cannot decrypt:")


def test_tampered_ciphertext_raises() -> None:
    box = SecretBox(KEY)
    raw = bytearray(base64.urlsafe_b64decode(box.encrypt(MESSAGE)[3:]))
    for index in (0, 12, len(raw) - 1):  # nonce, ciphertext, tag
        tampered = bytearray(raw)
        tampered[index] ^= 0x01
        token = "v1:" + base64.urlsafe_b64encode(bytes(tampered)).decode()
        with pytest.raises(SecretError, match="corrupted value"):
            box.decrypt(token)


@pytest.mark.parametrize(
    "token",
    ["plaintext", "v2:AAAA", "v1:", "v1:AAAA", "v1:!!!not base64", "v1:é", "v1:A"],
)
def test_malformed_tokens_raise(token: str) -> None:
    with pytest.raises(SecretError, match="cannot decrypt"):
        SecretBox(KEY).decrypt(token)


def test_truncated_token_raises() -> None:
    token = SecretBox(KEY).encrypt(MESSAGE)
    with pytest.raises(SecretError):
        SecretBox(KEY).decrypt(token[:-8])


def test_empty_install_key_rejected() -> None:
    with pytest.raises(SecretError):
        SecretBox("")


def test_repr_hides_key() -> None:
    assert KEY not in repr(SecretBox(KEY))


# --- WHMCS legacy scheme (whmcs.md §3.6) -------------------------------------------------


def reference_whmcs_encrypt(plain: str, cc_hash: str, seed: bytes) -> str:
    """Encryption written straight from whmcs.md §3.6, with a fixed seed."""
    md5_h = hashlib.md5(cc_hash.encode()).hexdigest()
    key = hashlib.sha1((hashlib.md5(md5_h.encode()).hexdigest() + md5_h).encode()).digest()
    z = bytes(a ^ b for a, b in zip(seed, key, strict=True))
    data = plain.encode("utf-8")
    body = bytearray()
    for i in range(len(data)):
        if i > 0 and i % 20 == 0:
            z = hashlib.sha1(z + data[i - 20 : i]).digest()
        body.append(z[i % 20] ^ data[i])
    return base64.b64encode(seed + bytes(body)).decode()


@pytest.mark.parametrize("plain", ["x", "exactly-twenty-bytes", MESSAGE * 3, "a" * 41])
def test_whmcs_decrypt_matches_reference_definition(plain: str) -> None:
    seed = bytes(range(7, 27))
    stored = reference_whmcs_encrypt(plain, CC_HASH, seed)
    assert whmcs_legacy_decrypt(stored, CC_HASH) == plain
    assert whmcs_legacy_decrypt(stored + "\n", CC_HASH) == plain  # DB values may carry newlines


@pytest.mark.parametrize("plain", ["", "p", "Zs9!kL#2", MESSAGE, MESSAGE * 5])
def test_whmcs_round_trip(plain: str) -> None:
    stored = whmcs_legacy_encrypt(plain, CC_HASH)
    assert len(base64.b64decode(stored)) == 20 + len(plain.encode("utf-8"))
    assert whmcs_legacy_decrypt(stored, CC_HASH) == plain


def test_whmcs_encrypt_is_randomised() -> None:
    outputs = {whmcs_legacy_encrypt("same password", CC_HASH) for _ in range(10)}
    assert len(outputs) == 10
    assert {whmcs_legacy_decrypt(o, CC_HASH) for o in outputs} == {"same password"}


def test_whmcs_encrypt_output_readable_by_reference_decryption() -> None:
    stored = whmcs_legacy_encrypt(MESSAGE * 2, CC_HASH)
    seed = base64.b64decode(stored)[:20]
    assert stored == reference_whmcs_encrypt(MESSAGE * 2, CC_HASH, seed)


def test_whmcs_wrong_hash_fails() -> None:
    stored = reference_whmcs_encrypt("a" * 64, CC_HASH, os.urandom(20))
    with pytest.raises(SecretError, match="cc_encryption_hash"):
        whmcs_legacy_decrypt(stored, CC_HASH + "x")


@pytest.mark.parametrize("value", ["", "   "])
def test_whmcs_empty_value(value: str) -> None:
    assert whmcs_legacy_decrypt(value, CC_HASH) == ""


@pytest.mark.parametrize("value", ["QUJD", "A", base64.b64encode(b"x" * 19).decode()])
def test_whmcs_malformed_value_raises(value: str) -> None:
    with pytest.raises(SecretError):
        whmcs_legacy_decrypt(value, CC_HASH)


def test_whmcs_empty_hash_rejected() -> None:
    with pytest.raises(SecretError):
        whmcs_legacy_encrypt("x", "")
