"""Names, privileges and passwords the mysql_hosting module puts into SQL.

Identifiers cannot be bound as query parameters, so every database name is checked against a
strict pattern *before* it is quoted with backticks and placed in a statement; user names and
passwords travel as bound parameters (string literals). Privileges come from an allow-list.
"""

from __future__ import annotations

import re
import secrets
import string

USERNAME_PATTERN = r"[a-z][a-z0-9_]{0,31}"
PREFIX_PATTERN = r"([a-z][a-z0-9_]{0,15})?"
_USERNAME = re.compile(USERNAME_PATTERN)
_PREFIX = re.compile(PREFIX_PATTERN)
_DATABASE = re.compile(r"[a-z][a-z0-9_]{0,63}")

# privileges that make sense on one database (``GRANT ... ON db.*``)
DATABASE_PRIVILEGES = frozenset(
    {
        "ALL", "ALL PRIVILEGES", "ALTER", "ALTER ROUTINE", "CREATE", "CREATE ROUTINE",
        "CREATE TEMPORARY TABLES", "CREATE VIEW", "DELETE", "DELETE HISTORY", "DROP", "EVENT",
        "EXECUTE", "INDEX", "INSERT", "LOCK TABLES", "REFERENCES", "SELECT", "SHOW VIEW",
        "TRIGGER", "UPDATE",
    }
)


def check_username(name: str) -> str:
    """``name`` if it is a safe account name (lowercase letter first, then lowercase letters,
    digits or ``_``, at most 32 characters); raises ValueError otherwise."""
    if not _USERNAME.fullmatch(name):
        raise ValueError(
            f"{name!r} is not a valid database user name: use a lowercase letter followed by "
            "lowercase letters, digits or '_' (at most 32 characters)"
        )
    return name


def check_prefix(prefix: str) -> str:
    """``prefix`` if empty or a lowercase letter followed by up to 15 letters/digits/``_``."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(
            f"db_prefix {prefix!r} is not valid: use a lowercase letter followed by up to 15 "
            "lowercase letters, digits or '_', or leave it empty"
        )
    return prefix


def quote_database(name: str) -> str:
    """The backtick-quoted identifier of database ``name`` after checking it."""
    if not _DATABASE.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid database name")
    return f"`{name}`"


def grant_target(name: str) -> str:
    """``name`` quoted for ``GRANT ... ON <target>.*``.

    In GRANT, ``_`` and ``%`` in a database name are wildcards; without escaping, a grant on
    ``hb_bob`` would also open ``hbxbob``. Checked names contain no ``%``, so escaping ``_``
    makes the grant cover exactly one database.
    """
    quote_database(name)
    return "`" + name.replace("_", "\\_") + "`"


def unescape_grant(pattern: str) -> str:
    """The database name a grant pattern from ``mysql.db`` stands for (``\\_`` -> ``_``)."""
    return pattern.replace("\\_", "_").replace("\\%", "%")


def parse_privileges(text: str) -> str:
    """The canonical privilege list for a GRANT from a comma-separated setting.

    ``"select, insert"`` -> ``"SELECT, INSERT"``; ``ALL`` means ``ALL PRIVILEGES`` (on the one
    database only). Raises ValueError for an empty list or anything outside
    :data:`DATABASE_PRIVILEGES` (global privileges such as FILE or SUPER, or stray SQL).
    """
    items = [" ".join(part.split()).upper() for part in text.split(",")]
    if not any(items):
        raise ValueError("privileges: name at least one privilege, e.g. ALL PRIVILEGES")
    unknown = [item for item in items if item not in DATABASE_PRIVILEGES]
    if unknown:
        raise ValueError(
            f"privileges: {', '.join(repr(u) for u in unknown)} cannot be granted on a database; "
            f"choose from {', '.join(sorted(DATABASE_PRIVILEGES))}"
        )
    if "ALL" in items or "ALL PRIVILEGES" in items:
        return "ALL PRIVILEGES"
    return ", ".join(dict.fromkeys(items))


def generate_username(prefix: str) -> str:
    """``prefix`` followed by 8 random lowercase letters/digits (the first a letter)."""
    tail = secrets.choice(string.ascii_lowercase) + "".join(
        secrets.choice(string.ascii_lowercase + string.digits) for _ in range(7)
    )
    return check_username(check_prefix(prefix) + tail)


def generate_password(length: int = 24) -> str:
    """A random password of letters, digits and a few symbols, each class present."""
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#%*+-=?@^_")
    alphabet = "".join(classes)
    chars = [secrets.choice(group) for group in classes]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
