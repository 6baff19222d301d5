"""Login password hashing and verification of hashes imported from other billing systems.

New hashes are always argon2id.  Hashes imported from WHMCS, BoxBilling/FOSSBilling and Blesta are
recognised by their shape and verified lazily; a successful check of a legacy hash reports
``needs_rehash=True`` so the caller can replace it with :func:`hash_password` at login time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Prefix marking an imported Blesta hash: "blesta$" + the bcrypt hash from Blesta's users.password.
BLESTA_PREFIX = "blesta$"

_hasher = PasswordHasher()  # argon2id with argon2-cffi's default (RFC 9106 low-memory) parameters

_BCRYPT_RE = re.compile(r"^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$")
_WHMCS_MD5_SALT_RE = re.compile(r"^([0-9a-fA-F]{32}):(.+)$", re.DOTALL)
_MD5_RE = re.compile(r"^[0-9a-fA-F]{32}$")
_SHA1_RE = re.compile(r"^[0-9a-fA-F]{40}$")
# bcrypt only uses the first 72 bytes of the password; PHP truncates silently, the bcrypt
# package raises instead, so truncate to reproduce what PHP verified.
_BCRYPT_MAX_BYTES = 72


@dataclass(frozen=True)
class PasswordCheck:
    """Result of :func:`verify_password`.

    ``needs_rehash`` is only ever True together with ``ok``: a failed check never asks the caller
    to overwrite the stored hash.
    """

    ok: bool
    needs_rehash: bool
    scheme: str


def hash_password(plain: str) -> str:
    """Return a new argon2id hash (``$argon2id$...``) of ``plain``."""
    return _hasher.hash(plain)


def legacy_scheme(stored: str) -> str:
    """Name the hash format of ``stored``.

    One of "argon2", "bcrypt", "whmcs-md5-salt", "md5", "boxbilling-sha1",
    "blesta-hmac-bcrypt" or "unknown".
    """
    if stored.startswith("$argon2"):
        return "argon2"
    if stored.startswith(BLESTA_PREFIX):
        return "blesta-hmac-bcrypt" if _BCRYPT_RE.match(stored[len(BLESTA_PREFIX) :]) else "unknown"
    if _BCRYPT_RE.match(stored):
        return "bcrypt"
    if _WHMCS_MD5_SALT_RE.match(stored):
        return "whmcs-md5-salt"
    if _MD5_RE.match(stored):
        return "md5"
    if _SHA1_RE.match(stored):
        return "boxbilling-sha1"
    return "unknown"


def _bcrypt_ok(secret: bytes, bcrypt_hash: str) -> bool:
    """Check ``secret`` against a PHP-style bcrypt hash ($2y$/$2a$/$2b$); never raises."""
    try:
        return bcrypt.checkpw(secret[:_BCRYPT_MAX_BYTES], bcrypt_hash.encode("ascii"))
    except ValueError:
        return False


def _hex_equal(computed: str, stored: str) -> bool:
    """Constant-time comparison of two hex digests, ignoring the case of ``stored``."""
    return hmac.compare_digest(computed.encode("ascii"), stored.lower().encode("ascii"))


def _verify_argon2(plain: str, stored: str) -> PasswordCheck:
    """Verify an argon2 hash and ask argon2-cffi whether its parameters are outdated."""
    try:
        _hasher.verify(stored, plain)
        rehash = _hasher.check_needs_rehash(stored)
    except (VerificationError, InvalidHashError):
        return PasswordCheck(ok=False, needs_rehash=False, scheme="argon2")
    return PasswordCheck(ok=True, needs_rehash=rehash, scheme="argon2")


def _check_legacy(plain: str, stored: str, scheme: str, blesta_key: str | None) -> bool:
    """Return whether ``plain`` matches ``stored`` for one of the legacy (non-argon2) schemes."""
    pw = plain.encode("utf-8")
    if scheme == "bcrypt":
        # WHMCS >= 6.3 (tblclients / 8.x tblusers) and FOSSBilling: PHP password_hash.
        return _bcrypt_ok(pw, stored)
    if scheme == "whmcs-md5-salt":
        # WHMCS 4.2.1 - 6.2.x: md5(salt . password) . ':' . salt
        digest, salt = stored.split(":", 1)
        computed = hashlib.md5(salt.encode("utf-8") + pw).hexdigest()
        return _hex_equal(computed, digest)
    if scheme == "md5":
        return _hex_equal(hashlib.md5(pw).hexdigest(), stored)
    if scheme == "boxbilling-sha1":
        # BoxBilling / FOSSBilling <= 0.7: bare unsalted sha1(password); the salt column is unused.
        return _hex_equal(hashlib.sha1(pw).hexdigest(), stored)
    if scheme == "blesta-hmac-bcrypt":
        # Blesta: password_hash(hash_hmac('sha256', password, system_key), PASSWORD_BCRYPT)
        if not blesta_key:
            return False
        keyed = hmac.new(blesta_key.encode("utf-8"), pw, hashlib.sha256).hexdigest()
        return _bcrypt_ok(keyed.encode("ascii"), stored[len(BLESTA_PREFIX) :])
    return False


def verify_password(plain: str, stored: str, *, blesta_key: str | None = None) -> PasswordCheck:
    """Check ``plain`` against ``stored`` in any supported format; never raises.

    ``blesta_key`` is the source install's ``Blesta.system_key``, needed for ``blesta$`` hashes.
    Unknown formats give ``ok=False, scheme="unknown"``.  Every legacy format that verifies
    reports ``needs_rehash=True``.
    """
    scheme = legacy_scheme(stored)
    if scheme == "unknown":
        return PasswordCheck(ok=False, needs_rehash=False, scheme=scheme)
    try:
        if scheme == "argon2":
            return _verify_argon2(plain, stored)
        ok = _check_legacy(plain, stored, scheme, blesta_key)
    except UnicodeError:  # e.g. lone surrogates in the submitted password
        return PasswordCheck(ok=False, needs_rehash=False, scheme=scheme)
    return PasswordCheck(ok=ok, needs_rehash=ok, scheme=scheme)
