"""Hashing of API credential secrets.

API secrets are checked on every API request, so they are hashed with a single salted SHA-256
on purpose instead of a slow password hash.  That is only safe because API secrets are long
random strings, not passwords people choose: the CLI generates one with
:func:`generate_api_secret` when none is given, and operators should never pick short ones.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets

_ALGO = "sha256"
_SALT_BYTES = 16
_STORED_RE = re.compile(r"^sha256\$([0-9a-fA-F]{32})\$([0-9a-fA-F]{64})$")


def _digest(salt: bytes, secret: str) -> str:
    """Hex SHA-256 of the raw salt bytes followed by the UTF-8 secret."""
    return hashlib.sha256(salt + secret.encode("utf-8")).hexdigest()


def hash_api_secret(secret: str) -> str:
    """Hash ``secret`` for storage as ``sha256$<32 hex salt>$<64 hex digest>``.

    The salt is 16 random bytes; the digest is ``sha256(salt_bytes + secret_utf8)``.
    """
    salt = os.urandom(_SALT_BYTES)
    return f"{_ALGO}${salt.hex()}${_digest(salt, secret)}"


def verify_api_secret(secret: str, stored: str) -> bool:
    """Return whether ``secret`` matches ``stored``; a malformed ``stored`` value gives False."""
    match = _STORED_RE.match(stored)
    if match is None:
        return False
    salt_hex, digest_hex = match.groups()
    try:
        computed = _digest(bytes.fromhex(salt_hex), secret)
    except UnicodeError:
        return False
    return hmac.compare_digest(computed.encode("ascii"), digest_hex.lower().encode("ascii"))


def legacy_md5_secret(secret: str) -> str:
    """Return the hex MD5 of a password, as sent by the WHMCS legacy API login.

    WHMCS's legacy admin API login sends ``password=md5(plain)``.  For an admin's legacy API
    login the core therefore stores ``hash_api_secret(legacy_md5_secret(plain))`` and checks
    the request's ``password`` field with ``verify_api_secret(request_password, stored)``.
    """
    return hashlib.md5(secret.encode("utf-8")).hexdigest()


def generate_api_secret() -> str:
    """Return a new random API secret (``secrets.token_urlsafe(32)``, 256 bits)."""
    return secrets.token_urlsafe(32)
