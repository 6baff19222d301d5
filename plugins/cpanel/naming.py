"""Usernames and passwords for new cPanel accounts.

cPanel's rules for an account name (WHM API 1 ``createacct``): lowercase letters and digits,
the first character a letter, not starting with ``test``; at most 8 characters is the limit
that holds on every server (16 only when database prefixing is off), so 8 is what we generate.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Collection

MAX_USERNAME = 8

# system accounts that exist on every cPanel server, so createacct would refuse them
RESERVED = frozenset(
    {
        "all", "apache", "bin", "cpanel", "daemon", "dovecot", "ftp", "mail", "mailman",
        "mysql", "named", "nobody", "postgres", "root", "shadow", "sshd", "virtfs", "www",
    }
)

_PASSWORD_SYMBOLS = "!@#%^*-_=+"


def username_base(domain: str) -> str:
    """The name a domain suggests: its first label's letters and digits, starting with a letter.

    ``www.`` is ignored; a name that would start with ``test`` (which cPanel forbids) gets a
    leading ``u``; a domain with no usable letters gives ``user``.
    """
    host = domain.strip().lower().removeprefix("www.")
    label = host.split(".", 1)[0]
    base = re.sub(r"[^a-z0-9]", "", label).lstrip(string.digits)
    if base.startswith("test"):
        base = "u" + base
    return base[:MAX_USERNAME] or "user"


def generate_username(domain: str, taken: Collection[str] = ()) -> str:
    """An unused cPanel username for ``domain``.

    The base from :func:`username_base` is used as is when free; otherwise its tail is replaced
    by the smallest number that makes it unique (``example`` -> ``example1`` ... ``exampl10``),
    always within 8 characters. ``taken`` is the set of usernames already on the server.
    """
    used = {name.lower() for name in taken} | RESERVED
    base = username_base(domain)
    if base not in used:
        return base
    for number in range(1, 10 ** (MAX_USERNAME - 1)):
        suffix = str(number)
        candidate = base[: MAX_USERNAME - len(suffix)] + suffix
        if candidate not in used:
            return candidate
    raise ValueError(f"no free cPanel username left for {domain!r}")  # pragma: no cover


def generate_password(length: int = 16) -> str:
    """A random password with lowercase, uppercase, digits and symbols (cPanel's strength meter
    rates 16 such characters well above the default minimum)."""
    if length < 8:
        raise ValueError("a password needs at least 8 characters")
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, _PASSWORD_SYMBOLS)
    alphabet = "".join(classes)
    chars = [secrets.choice(group) for group in classes]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
