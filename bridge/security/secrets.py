"""Reversible encryption of service, server and registrar passwords.

:class:`SecretBox` encrypts with the install key (``BRIDGE_SECRET_KEY``) using AES-256-GCM.
The ``whmcs_legacy_*`` functions implement WHMCS's legacy SHA1-XOR stream scheme (keyed by
``$cc_encryption_hash``) so importers can read passwords from a WHMCS database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PREFIX = "v1:"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_HKDF_INFO = b"hostbridge secretbox v1"
_DECRYPT_FAILED = "cannot decrypt: wrong BRIDGE_SECRET_KEY or corrupted value"
_WHMCS_FAILED = "cannot decrypt WHMCS value: wrong cc_encryption_hash or corrupted value"
_SHA1_BYTES = 20


class SecretError(ValueError):
    """A secret could not be decrypted (wrong key, tampering or a malformed value)."""


class SecretBox:
    """AES-GCM encryption of short secrets with a key derived from ``BRIDGE_SECRET_KEY``.

    Tokens look like ``v1:<urlsafe base64 of nonce + ciphertext + tag>``.  The empty string is
    reserved for "no secret" and passes through both directions unchanged.
    """

    def __init__(self, install_key: str) -> None:
        """Derive the 32-byte AES key from ``install_key`` with HKDF-SHA256."""
        if not install_key:
            raise SecretError("BRIDGE_SECRET_KEY must be a non-empty string")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO)
        self._aead = AESGCM(hkdf.derive(install_key.encode("utf-8")))

    def __repr__(self) -> str:
        """Never show key material."""
        return "SecretBox(<key hidden>)"

    def encrypt(self, plain: str) -> str:
        """Encrypt ``plain`` into an ASCII ``v1:`` token (a fresh random nonce each call)."""
        if plain == "":
            return ""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plain.encode("utf-8"), None)
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token made by :meth:`encrypt`; raise :class:`SecretError` on any failure."""
        if token == "":
            return ""
        if not token.startswith(_PREFIX):
            raise SecretError(_DECRYPT_FAILED + " (not a v1 token)")
        try:
            raw = base64.urlsafe_b64decode(token[len(_PREFIX) :].encode("ascii"))
        except (binascii.Error, ValueError) as exc:
            raise SecretError(_DECRYPT_FAILED) from exc
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise SecretError(_DECRYPT_FAILED)
        try:
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
        except InvalidTag as exc:
            raise SecretError(_DECRYPT_FAILED) from exc
        return plain.decode("utf-8")


def _whmcs_key(cc_encryption_hash: str) -> bytes:
    """K = raw sha1(md5hex(md5hex(H)) + md5hex(H)) (whmcs.md §3.6 step 1)."""
    if not cc_encryption_hash:
        raise SecretError("cc_encryption_hash must be a non-empty string")
    md5_h = hashlib.md5(cc_encryption_hash.encode("utf-8")).hexdigest()
    md5_md5_h = hashlib.md5(md5_h.encode("ascii")).hexdigest()
    return hashlib.sha1((md5_md5_h + md5_h).encode("ascii")).digest()


def _xor(a: bytes, b: bytes) -> bytes:
    """Byte-wise XOR of two equal-length byte strings."""
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def _whmcs_stream(block: bytes, data: bytes, *, decrypting: bool) -> bytes:
    """XOR ``data`` with the WHMCS key stream that starts at ``block`` (§3.6 steps 3-4).

    Every 20 bytes the block becomes raw sha1(block + previous 20 *plaintext* bytes).
    """
    out = bytearray()
    plain: bytes | bytearray = out if decrypting else data
    for i, byte in enumerate(data):
        if i > 0 and i % _SHA1_BYTES == 0:
            block = hashlib.sha1(block + bytes(plain[i - _SHA1_BYTES : i])).digest()
        out.append(block[i % _SHA1_BYTES] ^ byte)
    return bytes(out)


def whmcs_legacy_decrypt(value: str, cc_encryption_hash: str) -> str:
    """Decrypt a value written by WHMCS's legacy ``encrypt()`` (e.g. ``tblhosting.password``).

    Raises :class:`SecretError` for undecodable input or a non-UTF-8 result (usually a wrong
    ``cc_encryption_hash``).  An empty value decrypts to "".
    """
    if value.strip() == "":
        return ""
    key = _whmcs_key(cc_encryption_hash)
    try:
        raw = base64.b64decode(value.strip())
    except (binascii.Error, ValueError) as exc:
        raise SecretError(_WHMCS_FAILED + " (not base64)") from exc
    if len(raw) < _SHA1_BYTES:
        raise SecretError(_WHMCS_FAILED + " (too short)")
    seed, body = raw[:_SHA1_BYTES], raw[_SHA1_BYTES:]
    plain = _whmcs_stream(_xor(seed, key), body, decrypting=True)
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SecretError(_WHMCS_FAILED + " (result is not UTF-8)") from exc


def whmcs_legacy_encrypt(plain: str, cc_encryption_hash: str) -> str:
    """Encrypt ``plain`` the way WHMCS's legacy ``encrypt()`` does, with a random 20-byte seed.

    The output is non-deterministic and readable by :func:`whmcs_legacy_decrypt` (and WHMCS).
    """
    key = _whmcs_key(cc_encryption_hash)
    seed = os.urandom(_SHA1_BYTES)
    body = _whmcs_stream(_xor(seed, key), plain.encode("utf-8"), decrypting=False)
    return base64.b64encode(seed + body).decode("ascii")
