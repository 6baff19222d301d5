"""Tests for bridge.security.api_secrets."""

from __future__ import annotations

import hashlib
import re

import pytest

from bridge.security import (
    generate_api_secret,
    hash_api_secret,
    legacy_md5_secret,
    verify_api_secret,
)

SECRET = "s3cr3t-ÄPI-✓-" + "x" * 20


def test_hash_format_and_digest_definition() -> None:
    stored = hash_api_secret(SECRET)
    match = re.fullmatch(r"sha256\$([0-9a-f]{32})\$([0-9a-f]{64})", stored)
    assert match is not None
    salt_hex, digest_hex = match.groups()
    expected = hashlib.sha256(bytes.fromhex(salt_hex) + SECRET.encode("utf-8")).hexdigest()
    assert digest_hex == expected


def test_salt_is_random() -> None:
    first, second = hash_api_secret(SECRET), hash_api_secret(SECRET)
    assert first != second
    assert first.split("$")[1] != second.split("$")[1]


def test_verify_right_and_wrong() -> None:
    stored = hash_api_secret(SECRET)
    assert verify_api_secret(SECRET, stored) is True
    assert verify_api_secret(SECRET + " ", stored) is False
    assert verify_api_secret("", stored) is False
    assert verify_api_secret("", hash_api_secret("")) is True


def test_uppercase_stored_digest_still_verifies() -> None:
    algo, salt, digest = hash_api_secret(SECRET).split("$")
    assert verify_api_secret(SECRET, f"{algo}${salt.upper()}${digest.upper()}") is True


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain-secret",
        "sha256$",
        "sha256$00$" + "0" * 64,
        "sha256$" + "0" * 32 + "$" + "0" * 63,
        "sha1$" + "0" * 32 + "$" + "0" * 64,
        "sha256$" + "z" * 32 + "$" + "0" * 64,
    ],
)
def test_malformed_stored_is_false(stored: str) -> None:
    assert verify_api_secret(SECRET, stored) is False


def test_malformed_by_tampering() -> None:
    stored = hash_api_secret(SECRET)
    assert verify_api_secret(SECRET, stored + "0") is False
    flipped = stored[:-1] + ("1" if stored[-1] != "1" else "2")
    assert verify_api_secret(SECRET, flipped) is False


def test_unencodable_secret_is_false() -> None:
    assert verify_api_secret("\ud800", hash_api_secret(SECRET)) is False


def test_legacy_md5_login_flow() -> None:
    plain = "admin pässword"
    assert legacy_md5_secret(plain) == hashlib.md5(plain.encode("utf-8")).hexdigest()
    stored = hash_api_secret(legacy_md5_secret(plain))
    sent_by_client = hashlib.md5(plain.encode("utf-8")).hexdigest()  # password=md5(plain)
    assert verify_api_secret(sent_by_client, stored) is True
    assert verify_api_secret(plain, stored) is False


def test_generate_api_secret() -> None:
    secrets_ = {generate_api_secret() for _ in range(20)}
    assert len(secrets_) == 20
    for value in secrets_:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)
        assert verify_api_secret(value, hash_api_secret(value))
