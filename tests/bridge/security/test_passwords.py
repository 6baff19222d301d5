"""Tests for bridge.security.passwords: argon2id hashing and legacy hash verification."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac

import bcrypt
import pytest
from argon2 import PasswordHasher

from bridge.security import PasswordCheck, hash_password, legacy_scheme, verify_password

PW = "correct horse ✓ battery"
BLESTA_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0-system-key"


def php_bcrypt(secret: bytes, prefix: str = "$2y$") -> str:
    """A bcrypt hash with the prefix PHP's password_hash writes ($2y$), cost 4 for speed."""
    hashed = bcrypt.hashpw(secret, bcrypt.gensalt(rounds=4)).decode("ascii")
    return prefix + hashed[4:]


def whmcs_md5_salt(password: str, salt: str) -> str:
    """WHMCS 4.2.1-6.2.x: md5(salt . password) . ':' . salt."""
    return hashlib.md5((salt + password).encode("utf-8")).hexdigest() + ":" + salt


def blesta_hash(password: str, system_key: str) -> str:
    """Blesta: bcrypt(HMAC-SHA256-hex(key=system_key, msg=password)), stored with our marker."""
    keyed = hmac.new(system_key.encode(), password.encode(), hashlib.sha256).hexdigest()
    return "blesta$" + php_bcrypt(keyed.encode("ascii"))


def test_hash_password_is_argon2id_and_verifies() -> None:
    stored = hash_password(PW)
    assert stored.startswith("$argon2id$")
    assert stored != hash_password(PW)  # random salt
    assert verify_password(PW, stored) == PasswordCheck(True, False, "argon2")
    assert verify_password(PW + "x", stored) == PasswordCheck(False, False, "argon2")


def test_argon2_with_weak_parameters_needs_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PW)
    assert verify_password(PW, weak) == PasswordCheck(ok=True, needs_rehash=True, scheme="argon2")
    assert verify_password("nope", weak).ok is False


def test_malformed_argon2_does_not_raise() -> None:
    result = verify_password(PW, "$argon2id$v=19$garbage")
    assert result == PasswordCheck(ok=False, needs_rehash=False, scheme="argon2")


@pytest.mark.parametrize("prefix", ["$2y$", "$2a$", "$2b$"])
def test_bcrypt_variants(prefix: str) -> None:
    stored = php_bcrypt(PW.encode("utf-8"), prefix)
    assert stored.startswith(prefix)
    assert legacy_scheme(stored) == "bcrypt"
    assert verify_password(PW, stored) == PasswordCheck(ok=True, needs_rehash=True, scheme="bcrypt")
    assert verify_password("wrong", stored) == PasswordCheck(False, False, "bcrypt")


def test_bcrypt_long_password_truncated_like_php() -> None:
    long_pw = "p" * 100
    stored = php_bcrypt(long_pw.encode()[:72])  # PHP only hashed the first 72 bytes
    assert verify_password(long_pw, stored).ok is True
    assert verify_password("p" * 71, stored).ok is False


@pytest.mark.parametrize("salt", ["e93h2", "a:b;c", "ü~1!x"])
def test_whmcs_md5_salt(salt: str) -> None:
    stored = whmcs_md5_salt(PW, salt)
    assert legacy_scheme(stored) == "whmcs-md5-salt"
    assert verify_password(PW, stored) == PasswordCheck(True, True, "whmcs-md5-salt")
    assert verify_password(PW, whmcs_md5_salt(PW, salt + "z")).ok is True
    assert verify_password("wrong", stored) == PasswordCheck(False, False, "whmcs-md5-salt")
    # the salt goes first: md5(password . salt) must not verify
    swapped = hashlib.md5((PW + salt).encode()).hexdigest() + ":" + salt
    assert verify_password(PW, swapped).ok is False


def test_plain_md5_any_case() -> None:
    digest = hashlib.md5(PW.encode()).hexdigest()
    assert verify_password(PW, digest) == PasswordCheck(True, True, "md5")
    assert verify_password(PW, digest.upper()).ok is True
    assert verify_password("wrong", digest) == PasswordCheck(False, False, "md5")


def test_boxbilling_sha1_is_unsalted() -> None:
    digest = hashlib.sha1(PW.encode()).hexdigest()
    assert verify_password(PW, digest) == PasswordCheck(True, True, "boxbilling-sha1")
    assert verify_password("wrong", digest).ok is False
    salted = hashlib.sha1(("somesalt" + PW).encode()).hexdigest()
    assert verify_password(PW, salted) == PasswordCheck(False, False, "boxbilling-sha1")


def test_blesta_hmac_bcrypt() -> None:
    stored = blesta_hash(PW, BLESTA_KEY)
    assert legacy_scheme(stored) == "blesta-hmac-bcrypt"
    good = verify_password(PW, stored, blesta_key=BLESTA_KEY)
    assert good == PasswordCheck(ok=True, needs_rehash=True, scheme="blesta-hmac-bcrypt")
    assert verify_password("wrong", stored, blesta_key=BLESTA_KEY).ok is False
    assert verify_password(PW, stored, blesta_key=BLESTA_KEY + "x").ok is False


@pytest.mark.parametrize("key", [None, ""])
def test_blesta_without_key_fails(key: str | None) -> None:
    stored = blesta_hash(PW, BLESTA_KEY)
    result = verify_password(PW, stored, blesta_key=key)
    assert result == PasswordCheck(ok=False, needs_rehash=False, scheme="blesta-hmac-bcrypt")


def test_blesta_marker_needs_the_hmac_step() -> None:
    plain_bcrypt = "blesta$" + php_bcrypt(PW.encode())
    assert verify_password(PW, plain_bcrypt, blesta_key=BLESTA_KEY).ok is False
    # and a Blesta hash without the marker is just an (unverifiable) bcrypt hash
    bare = blesta_hash(PW, BLESTA_KEY).removeprefix("blesta$")
    assert verify_password(PW, bare, blesta_key=BLESTA_KEY).ok is False


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "hunter2",
        "$1$abcdefgh$0123456789abcdefghijkl",
        "0" * 64 + ":key",  # fleio hex64:key HMAC format is not supported
        "0" * 64,
        "0" * 31,
        "g" * 32,
        "blesta$not-a-bcrypt-hash",
        "$2y$10$tooshort",
        hashlib.md5(b"x").hexdigest() + ":",
    ],
)
def test_unknown_formats(stored: str) -> None:
    assert legacy_scheme(stored) == "unknown"
    result = verify_password("hunter2", stored, blesta_key=BLESTA_KEY)
    assert result == PasswordCheck(ok=False, needs_rehash=False, scheme="unknown")


def test_unencodable_password_never_raises() -> None:
    for stored in (hash_password(PW), hashlib.md5(PW.encode()).hexdigest()):
        assert verify_password("\ud800", stored).ok is False


def test_password_check_is_frozen() -> None:
    result = verify_password(PW, hash_password(PW))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ok = False  # type: ignore[misc]
    assert result.ok is True
