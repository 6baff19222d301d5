"""What the Blesta importer must know before reading rows: the config file, the version and
how Blesta encrypts values with its system key.

- :func:`read_config_file` parses ``config/blesta.php`` (``Configure::set`` calls) for
  ``Blesta.system_key`` and ``Blesta.database_info``;
- :func:`check_version` accepts ``settings.database_version`` 5.x and refuses the rest;
- :func:`system_decrypt` is ``AppModel::systemDecrypt``: AES-256-CBC (PKCS#7) with key =
  raw HMAC-SHA256(key "systemEncrypt", system_key) and IV = system_key cut or zero-padded to
  16 bytes, base64 text (reference/blesta.md §3, "Secrets and how they are stored").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from importers._values import MappingError
from importers.php import PhpFormatError, php_configure_calls

SUPPORTED = "Blesta 5.x (settings.database_version 5.0.0 - 5.99)"


class SourceError(ValueError):
    """The Blesta source cannot be read as it is (config, version)."""


@dataclass(frozen=True)
class BlestaConfig:
    """What ``config/blesta.php`` says."""

    system_key: str
    database_url: str


def read_config_file(path: str | Path) -> BlestaConfig:
    """Parse ``config/blesta.php``; SourceError when the system key is missing."""
    try:
        calls = php_configure_calls(Path(path).read_text(encoding="utf-8"))
    except (OSError, PhpFormatError) as exc:
        raise SourceError(f"cannot read Blesta config {path}: {exc}") from exc
    key = str(calls.get("Blesta.system_key") or "")
    if not key:
        raise SourceError(f"{path} sets no Blesta.system_key")
    info = calls.get("Blesta.database_info")
    url = ""
    if isinstance(info, dict) and info.get("database"):
        user = quote(str(info.get("user", "")), safe="")
        password = quote(str(info.get("pass", "")), safe="")
        port = f":{info['port']}" if info.get("port") else ""
        url = (f"mysql+pymysql://{user}:{password}@{info.get('host', 'localhost')}{port}/"
               f"{info['database']}?charset=utf8mb4")
    return BlestaConfig(system_key=key, database_url=url)


def check_version(version: str | None) -> str:
    """The version if it is a Blesta 5 schema; SourceError naming what was found otherwise."""
    text = (version or "").strip()
    major = text.split(".", 1)[0]
    if not text or major != "5":
        found = repr(text) if text else "no settings.database_version"
        raise SourceError(f"found {found}; supported: {SUPPORTED}")
    return text


def _key_and_iv(system_key: str) -> tuple[bytes, bytes]:
    key = hmac.new(b"systemEncrypt", system_key.encode("utf-8"), hashlib.sha256).digest()
    iv = system_key.encode("utf-8")[:16].ljust(16, b"\0")
    return key, iv


def system_decrypt(value: str, system_key: str) -> str:
    """Decrypt an ``encrypted=1`` value; MappingError (-> quarantine) when it is unreadable."""
    if not value:
        return ""
    if not system_key:
        raise MappingError("value is encrypted with the Blesta system key; pass --key or "
                           "--config-file config/blesta.php")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MappingError("encrypted value is not base64") from exc
    if not raw or len(raw) % 16:
        raise MappingError("encrypted value has the wrong length")
    key, iv = _key_and_iv(system_key)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(raw) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return (unpadder.update(padded) + unpadder.finalize()).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise MappingError("cannot decrypt with the Blesta system key (wrong key?)") from exc


def system_encrypt(plain: str, system_key: str) -> str:
    """``AppModel::systemEncrypt`` (used to build test data)."""
    key, iv = _key_and_iv(system_key)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain.encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")


def blesta_password_hash(plain: str, system_key: str, rounds: int = 4) -> str:
    """``Users::hashPassword``: bcrypt of hex HMAC-SHA256(system_key, password) (test data)."""
    import bcrypt

    keyed = hmac.new(system_key.encode(), plain.encode(), hashlib.sha256).hexdigest()
    return bcrypt.hashpw(keyed.encode(), bcrypt.gensalt(rounds)).decode().replace("$2b$", "$2y$")
