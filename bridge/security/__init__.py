"""Security basics of the hostbridge core: password hashes, secret encryption, API secrets."""

from __future__ import annotations

from bridge.security.api_secrets import (
    generate_api_secret,
    hash_api_secret,
    legacy_md5_secret,
    verify_api_secret,
)
from bridge.security.passwords import (
    PasswordCheck,
    hash_password,
    legacy_scheme,
    verify_password,
)
from bridge.security.secrets import (
    SecretBox,
    SecretError,
    whmcs_legacy_decrypt,
    whmcs_legacy_encrypt,
)

__all__ = [
    "PasswordCheck",
    "SecretBox",
    "SecretError",
    "generate_api_secret",
    "hash_api_secret",
    "hash_password",
    "legacy_md5_secret",
    "legacy_scheme",
    "verify_api_secret",
    "verify_password",
    "whmcs_legacy_decrypt",
    "whmcs_legacy_encrypt",
]
