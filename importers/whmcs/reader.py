"""Read-only SQL against a WHMCS 8.x database: version, lookups, and the joins that give each
streamed row what its mapping needs (the client's currency, payment sums, parsed links).

Nothing here writes; every query is ordered and filtered by the streamed table's ``id``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, inspect, text

from importers.base import UnsupportedSource

# the client's currency id, for tables that have a client but no currency of their own
CLIENT_CURRENCY = "LEFT JOIN tblclients cc ON cc.id = t.{col}"
CLIENT_CURRENCY_COLUMNS = "t.*, cc.currency AS _currency_id"

INVOICE_COLUMNS = (
    "t.*, cc.currency AS _currency_id, "
    "(SELECT COALESCE(SUM(a.amountin), 0) FROM tblaccounts a WHERE a.invoiceid = t.id) AS _paid, "
    "(SELECT COALESCE(SUM(a.amountout), 0) FROM tblaccounts a WHERE a.invoiceid = t.id)"
    " AS _refunded"
)
SERVER_COLUMNS = (
    "t.*, (SELECT MIN(r.groupid) FROM tblservergroupsrel r WHERE r.serverid = t.id) AS _group_id"
)
# whether WHMCS already ended the service a cancellation request is about
CANCEL_REQUEST_COLUMNS = (
    "t.*, h.domainstatus AS _service_status, h.termination_date AS _termination_date")
CANCEL_REQUEST_JOINS = "LEFT JOIN tblhosting h ON h.id = t.relid"
# a stored pay method with its card or bank account row (payment_id names one of them)
PAY_METHOD_COLUMNS = (
    "t.*, cc.card_type AS _card_type, cc.last_four AS _last_four, cc.expiry_date AS _expiry,"
    " cc.card_data AS _card_data, ba.bank_name AS _bank_name, ba.acct_type AS _acct_type,"
    " ba.bank_data AS _bank_data")
PAY_METHOD_JOINS = (
    "LEFT JOIN tblcreditcards cc ON cc.id = t.payment_id AND t.payment_type LIKE '%CreditCard'"
    " LEFT JOIN tblbankaccts ba ON ba.id = t.payment_id AND t.payment_type LIKE '%BankAccount'")
PRICING_COLUMNS = "t.*, p.paytype AS _paytype"
PRICING_JOINS = "LEFT JOIN tblproducts p ON t.type = 'product' AND p.id = t.relid"
# tbltickets.service is ``S<service id>`` or ``D<domain id>``
TICKET_COLUMNS = (
    "t.*, CASE WHEN t.service LIKE 'S%' THEN CAST(SUBSTRING(t.service, 2) AS UNSIGNED) END"
    " AS _service_id, CASE WHEN t.service LIKE 'D%' THEN CAST(SUBSTRING(t.service, 2)"
    " AS UNSIGNED) END AS _domain_id"
)


def read_version(conn: Connection) -> str:
    """``tblconfiguration.Version`` (e.g. ``8.4.0-release.1``); refuses a non-WHMCS database."""
    if not inspect(conn).has_table("tblconfiguration"):
        raise UnsupportedSource("not a WHMCS database: there is no tblconfiguration table")
    value = conn.scalar(text("SELECT value FROM tblconfiguration WHERE setting = 'Version'"))
    if not value:
        raise UnsupportedSource("not a WHMCS database: tblconfiguration has no Version setting")
    return str(value).strip()


def read_currencies(conn: Connection) -> tuple[dict[int, str], str]:
    """tblcurrencies as {id: code} and the default currency's code ("" when none)."""
    codes: dict[int, str] = {}
    default = ""
    for cid, code, is_default in conn.execute(
        text("SELECT id, code, `default` FROM tblcurrencies ORDER BY id")
    ):
        codes[int(cid)] = str(code).strip().upper()
        if int(is_default or 0) and not default:
            default = codes[int(cid)]
    if not default and codes:
        default = codes[min(codes)]
    return codes, default


def read_admin_names(conn: Connection) -> dict[str, int]:
    """Admins by lower-cased "first last" (ticket replies name staff, not ids) and username."""
    names: dict[str, int] = {}
    for aid, first, last, username in conn.execute(
        text("SELECT id, firstname, lastname, username FROM tbladmins ORDER BY id")
    ):
        full = f"{first or ''} {last or ''}".strip().lower()
        names.setdefault(full, int(aid))
        names.setdefault(str(username or "").strip().lower(), int(aid))
    return names


def read_duplicate_transids(conn: Connection) -> dict[tuple[str, str], int]:
    """(gateway, transid) pairs used by more than one tblaccounts row -> the first row's id."""
    rows = conn.execute(text(
        "SELECT gateway, transid, MIN(id) FROM tblaccounts WHERE transid <> ''"
        " GROUP BY gateway, transid HAVING COUNT(*) > 1"))
    return {(str(g), str(t).strip()): int(i) for g, t, i in rows}


def currency_of(payload: dict[str, Any], codes: dict[int, str], default: str,
                column: str = "_currency_id") -> str:
    """The currency code of a quarantined row's payload (for the money reconciliation)."""
    try:
        cid = int(payload.get(column) or 0)
    except ValueError:
        cid = 0
    return codes.get(cid) or default


def amount_of(payload: dict[str, Any], column: str) -> Decimal:
    """An exact amount from a quarantined payload (0 when it is not a number)."""
    try:
        return Decimal(str(payload.get(column) or 0))
    except ArithmeticError:
        return Decimal(0)
