"""Read-only SQL on a BoxBilling/FOSSBilling database: version, lookups and the SELECT shapes
of the entities (joined columns are prefixed so mappings never see ambiguous names).

Columns that differ between releases are probed in ``information_schema`` rather than trusted
from the version (reference/fossbilling.md §2: an install may sit between two releases).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text


def table_names(conn: Connection) -> set[str]:
    """Tables of the source database."""
    rows = conn.execute(text("SELECT table_name FROM information_schema.tables "
                             "WHERE table_schema = DATABASE()"))
    return {str(r[0]) for r in rows}


def columns(conn: Connection, table: str) -> set[str]:
    """Columns of one source table."""
    rows = conn.execute(text("SELECT column_name FROM information_schema.columns "
                             "WHERE table_schema = DATABASE() AND table_name = :t"), {"t": table})
    return {str(r[0]) for r in rows}


def last_patch(conn: Connection) -> str | None:
    """``setting.last_patch`` (None when the table or the row is missing)."""
    if "setting" not in table_names(conn):
        return None
    value = conn.scalar(text("SELECT value FROM setting WHERE param = 'last_patch'"))
    return None if value is None else str(value)


def currencies(conn: Connection) -> tuple[str, set[str]]:
    """(default currency code, every defined code)."""
    rows = conn.execute(text("SELECT code, is_default FROM currency ORDER BY is_default DESC, id"))
    codes = [(str(r[0] or "").strip().upper(), bool(r[1])) for r in rows]
    defined = {c for c, _ in codes if c}
    if not defined:
        return "USD", {"USD"}
    return next((c for c, d in codes if d and c), sorted(defined)[0]), defined


def addon_parents(conn: Connection) -> dict[int, list[int]]:
    """addon product id -> ids of the products whose ``addons`` JSON lists it."""
    parents: dict[int, list[int]] = {}
    for pid, addons in conn.execute(text("SELECT id, addons FROM product "
                                         "WHERE addons IS NOT NULL AND addons <> ''")):
        try:
            listed: Any = json.loads(addons)
        except ValueError:
            continue  # the product mapping quarantines nothing for it; the link is just absent
        for addon in listed if isinstance(listed, list) else []:
            if str(addon).strip().isdigit():
                parents.setdefault(int(addon), []).append(int(pid))
    return parents


# ---------------------------------------------------------------- entity SELECT shapes

PRODUCT_JOIN = "LEFT JOIN product_payment pp ON pp.id = t.product_payment_id"
PRODUCT_COLUMNS = "t.*, pp.type AS pay_type, " + ", ".join(
    f"pp.{p}_price, pp.{p}_setup_price, pp.{p}_enabled"
    for p in ("w", "m", "q", "b", "a", "bia", "tria")) + ", pp.once_price, pp.once_setup_price"

_SH = ("id", "service_hosting_server_id AS sh_server_id", "service_hosting_hp_id AS sh_hp_id",
       "sld", "tld", "ip", "username", "pass", "reseller")
_SD = ("id", "sld", "tld", "ns1", "ns2", "ns3", "ns4", "period", "privacy", "locked",
       "transfer_code", "action", "registered_at", "expires_at", "synced_at", "contact_email",
       "contact_company", "contact_first_name", "contact_last_name", "contact_address1",
       "contact_address2", "contact_city", "contact_state", "contact_postcode",
       "contact_country", "contact_phone_cc", "contact_phone")


def _prefixed(alias: str, names: tuple[str, ...]) -> str:
    return ", ".join(f"{alias}.{n}" if " AS " in n else f"{alias}.{n} AS {alias}_{n}"
                     for n in names)


ORDER_COLUMNS = (f"t.*, {_prefixed('sh', _SH)}, hp.name AS hp_name, {_prefixed('sd', _SD)}, "
                 "tr.registrar AS registrar_name, p.is_addon AS product_is_addon, "
                 "(SELECT JSON_OBJECTAGG(om.name, om.value) FROM client_order_meta om "
                 "WHERE om.client_order_id = t.id) AS meta_json")
# client_order.group_id has no index: the master lookup is only made for (few) addon orders
ADDON_ORDER_COLUMNS = ("t.*, p.is_addon AS product_is_addon, "
                       "(SELECT MIN(m.id) FROM client_order m WHERE m.group_id = t.group_id "
                       "AND m.group_master = 1 AND m.id <> t.id) AS master_order_id")
ADDON_ORDER_JOINS = "LEFT JOIN product p ON p.id = t.product_id"
ORDER_JOINS = ("LEFT JOIN product p ON p.id = t.product_id "
               "LEFT JOIN service_hosting sh ON t.service_type = 'hosting' "
               "AND sh.id = t.service_id "
               "LEFT JOIN service_hosting_hp hp ON hp.id = sh.service_hosting_hp_id "
               "LEFT JOIN service_domain sd ON t.service_type = 'domain' AND sd.id = t.service_id "
               "LEFT JOIN tld_registrar tr ON tr.id = sd.tld_registrar_id")
ADDON_ORDER_WHERE = "t.product_id IN (SELECT id FROM product WHERE is_addon = 1)"
PLAIN_ORDER_WHERE = "NOT (" + ADDON_ORDER_WHERE + ")"

# items packed as price:quantity:taxed; CAST keeps the DOUBLE's two declared decimals exactly
INVOICE_COLUMNS = (
    "t.*, g.gateway AS gateway_name, "
    "(SELECT GROUP_CONCAT(CONCAT(CAST(ii.price AS DECIMAL(18,2)), ':', "
    "COALESCE(ii.quantity, 0), ':', COALESCE(ii.taxed, 0)) ORDER BY ii.id SEPARATOR ';') "
    "FROM invoice_item ii WHERE ii.invoice_id = t.id) AS item_list")

INVOICE_ITEM_COLUMNS = (
    "t.*, CASE WHEN t.type = 'order' AND o.id IS NOT NULL THEN o.id END AS order_ref, "
    "CASE WHEN o.service_type = 'domain' THEN 'domain' WHEN p.is_addon = 1 THEN 'addon' "
    "ELSE 'service' END AS order_kind")
INVOICE_ITEM_JOINS = ("LEFT JOIN client_order o ON t.type = 'order' AND t.rel_id REGEXP '^[0-9]+$' "
                      "AND o.id = CAST(t.rel_id AS UNSIGNED) "
                      "LEFT JOIN product p ON p.id = o.product_id")

TRANSACTION_COLUMNS = ("t.*, i.client_id AS invoice_client_id, i.currency AS invoice_currency, "
                       "g.gateway AS gateway_name")
TRANSACTION_JOINS = ("LEFT JOIN invoice i ON i.id = t.invoice_id "
                     "LEFT JOIN pay_gateway g ON g.id = t.gateway_id")

# ---------------------------------------------------------------- source money totals

def invoice_total_sql(status_sql: str, default_currency: str) -> str:
    """Source invoice totals per currency for one core status, computed in SQL from the items
    (an independent path from the Python mapping it is checked against)."""
    return (
        "SELECT COALESCE(NULLIF(UPPER(i.currency), ''), :dc) AS cur, SUM("
        "CAST(ii.price AS DECIMAL(18,2)) * COALESCE(ii.quantity, 0) + CASE WHEN ii.taxed = 1 "
        "THEN ROUND(CAST(ii.price AS DECIMAL(18,2)) * CAST(COALESCE(NULLIF(i.taxrate, ''), '0') "
        "AS DECIMAL(18,4)) / 100, 2) * COALESCE(ii.quantity, 0) ELSE 0 END) "
        "FROM invoice i JOIN invoice_item ii ON ii.invoice_id = i.id "
        f"WHERE ({status_sql}) GROUP BY cur"
    ).replace(":dc", f"'{default_currency}'")


INVOICE_STATUS_SQL = {
    "draft": "i.approved = 0 AND COALESCE(i.status, 'unpaid') = 'unpaid'",
    "unpaid": "i.approved <> 0 AND COALESCE(i.status, 'unpaid') = 'unpaid'",
    "paid": "i.status = 'paid'",
    "refunded": "i.status = 'refunded'",
    "cancelled": "i.status = 'canceled'",
}


def transaction_sum_sql(kind: str, default_currency: str) -> str:
    """Source money moved by approved/processed transactions of ``kind`` per currency."""
    return ("SELECT COALESCE(NULLIF(UPPER(COALESCE(t.currency, i.currency)), ''), "
            f"'{default_currency}') AS cur, SUM(ABS(CAST(t.amount AS DECIMAL(18,4)))) "
            "FROM transaction t LEFT JOIN invoice i ON i.id = t.invoice_id "
            f"WHERE t.type = '{kind}' AND t.status IN ('approved', 'processed') GROUP BY cur")


def balance_sum_sql(default_currency: str) -> str:
    """Source credit per currency: the sum of the ``client_balance`` ledger."""
    return (f"SELECT COALESCE(NULLIF(UPPER(c.currency), ''), '{default_currency}') AS cur, "
            "SUM(b.amount) FROM client_balance b JOIN client c ON c.id = b.client_id GROUP BY cur")
