"""What an importer must know about a BoxBilling/FOSSBilling install before reading rows.

- :func:`read_config_file` parses ``bb-config.php`` (BoxBilling) or ``config.php``
  (FOSSBilling) for the salt, the timezone and the database settings;
- :func:`detect_version` names the release from ``setting.last_patch`` and refuses unknown ones;
- :func:`decrypt` reads values BoxBilling/FOSSBilling encrypted with the install salt
  (module configs in ``extension_meta``): base64(IV + AES-256-CBC), legacy key ``md5(salt)``
  (16 raw bytes, zero-padded by OpenSSL to 32), or ``v2:`` with a PBKDF2-SHA256 key (FB 0.8+).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from importers.php import PhpFormatError, php_return_array

SYSTEM = "boxbilling"


class SourceError(ValueError):
    """The source cannot be imported as it is (unknown version, unreadable config, bad key)."""


@dataclass(frozen=True)
class SourceConfig:
    """What the install's PHP config file says."""

    salt: str
    timezone: str
    database_url: str  # "" when the file names no MySQL database


def read_config_file(path: str | Path) -> SourceConfig:
    """Parse ``bb-config.php`` or ``config.php``; SourceError names what is missing."""
    try:
        data = php_return_array(Path(path).read_text(encoding="utf-8"))
    except (OSError, PhpFormatError) as exc:
        raise SourceError(f"cannot read BoxBilling/FOSSBilling config {path}: {exc}") from exc
    return config_from_array(data, str(path))


def _section(data: dict[Any, Any], name: str) -> dict[Any, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def config_from_array(data: dict[Any, Any], where: str = "config") -> SourceConfig:
    """Build :class:`SourceConfig` from the parsed array (BB keys or FB keys)."""
    info = _section(data, "info")
    salt = str(data.get("salt") or info.get("salt") or "")
    if not salt:
        raise SourceError(f"{where} has no 'salt' (BoxBilling) or 'info.salt' (FOSSBilling)")
    i18n = _section(data, "i18n")
    timezone = str(i18n.get("timezone") or data.get("timezone") or "UTC")
    db = _section(data, "db")
    url = ""
    if db.get("name") and db.get("type", "mysql") == "mysql":
        user = quote(str(db.get("user", "")), safe="")
        password = quote(str(db.get("password", "")), safe="")
        host = str(db.get("host", "localhost"))
        port = f":{db['port']}" if db.get("port") else ""
        url = f"mysql+pymysql://{user}:{password}@{host}{port}/{db['name']}?charset=utf8mb4"
    return SourceConfig(salt=salt, timezone=timezone, database_url=url)


# ---------------------------------------------------------------- versions

# setting.last_patch -> release (reference/fossbilling.md summary point 7 and §2)
_RELEASES: tuple[tuple[int, int, str, str], ...] = (
    # (lowest patch, highest patch, product, release)
    (0, 24, "BoxBilling", "4.x"),
    (25, 32, "FOSSBilling", "0.1-0.4"),
    (33, 37, "FOSSBilling", "0.5"),
    (38, 42, "FOSSBilling", "0.6"),
    (43, 43, "FOSSBilling", "0.7"),
    (44, 90, "FOSSBilling", "0.8.0-0.8.4"),
    (91, 91, "FOSSBilling", "0.8.5"),
)
SUPPORTED = "BoxBilling 4.x (last_patch <= 24) and FOSSBilling 0.5-0.8.5 (last_patch 33-91)"


@dataclass(frozen=True)
class SourceVersion:
    """A detected release; ``patch`` is ``setting.last_patch``."""

    product: str
    release: str
    patch: int

    @property
    def label(self) -> str:
        """``FOSSBilling 0.8.5 (last_patch 91)``."""
        return f"{self.product} {self.release} (last_patch {self.patch})"


def detect_version(last_patch: str | None, *, has_forum_table: bool = False) -> SourceVersion:
    """Name the release from ``setting.last_patch``; SourceError for anything unsupported.

    A missing ``last_patch`` is a BoxBilling install that never ran a patch (patch 0), but only
    when BoxBilling-only tables are there too; otherwise the database is not one we know.
    """
    if last_patch is None or str(last_patch).strip() == "":
        if has_forum_table:
            return SourceVersion("BoxBilling", "4.x", 0)
        raise SourceError("no setting 'last_patch' found: this is not a BoxBilling/FOSSBilling "
                          f"database we know; supported: {SUPPORTED}")
    try:
        patch = int(str(last_patch).strip())
    except ValueError as exc:
        raise SourceError(f"setting last_patch is {last_patch!r}, not a number; "
                          f"supported: {SUPPORTED}") from exc
    for low, high, product, release in _RELEASES:
        if low <= patch <= high and release != "0.1-0.4":
            return SourceVersion(product, release, patch)
    raise SourceError(f"found last_patch {patch}, which is not a supported release "
                      f"(supported: {SUPPORTED}); upgrade or downgrade the source first")


# ---------------------------------------------------------------- encryption

_V2 = "v2:"
_BLOCK = 16


def _legacy_key(salt: str) -> bytes:
    # OpenSSL zero-pads a short key up to the cipher's 32 bytes
    return hashlib.md5(salt.encode("utf-8")).digest().ljust(32, b"\0")


def _v2_key(salt: str) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", salt.encode("utf-8"), b"fossbilling_salt", 100000, 32)


def decrypt(value: str, salt: str) -> str:
    """Decrypt a BoxBilling/FOSSBilling encrypted value; SourceError when it is not readable."""
    if not value:
        return ""
    text, key = (value[3:], _v2_key(salt)) if value.startswith(_V2) else (value, _legacy_key(salt))
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SourceError("encrypted value is not base64") from exc
    if len(raw) < 2 * _BLOCK or len(raw) % _BLOCK:
        raise SourceError("encrypted value has the wrong length")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(raw[:_BLOCK])).decryptor()
    padded = decryptor.update(raw[_BLOCK:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        return plain.decode("utf-8").strip()
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError("cannot decrypt: wrong salt or corrupted value") from exc


def encrypt(plain: str, salt: str, *, v2: bool = False, iv: bytes | None = None) -> str:
    """Encrypt the way BoxBilling (or FOSSBilling 0.8 with ``v2``) does; used by test data."""
    import os

    vector = iv or os.urandom(_BLOCK)
    key = _v2_key(salt) if v2 else _legacy_key(salt)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain.encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(vector)).encryptor()
    body = base64.b64encode(vector + encryptor.update(padded) + encryptor.finalize()).decode()
    return (_V2 + body) if v2 else body
