"""Read-only SQL on a Blesta 5 database: version, lookups and the entity SELECT shapes.

Joined columns are prefixed (``pc_`` primary contact, ``u_`` user, ``pr_`` pricing) and
key/value tables (``service_fields``, ``module_row_meta``) are packed per row as JSON with
their ``encrypted``/``serialized`` flags in the key, so one source row stays one stream row.
"""

from __future__ import annotations

from sqlalchemy import Connection, text


def database_version(conn: Connection) -> str | None:
    """``settings.database_version`` (None when absent)."""
    value = conn.scalar(text("SELECT value FROM settings WHERE `key` = 'database_version'"))
    return None if value is None else str(value)


def currencies(conn: Connection) -> tuple[str, set[str]]:
    """(default currency, every defined code); the default is company 1's setting."""
    codes = {str(r[0]).upper() for r in conn.execute(text("SELECT DISTINCT code FROM currencies"))}
    default = conn.scalar(text(
        "SELECT value FROM company_settings WHERE `key` = 'default_currency' "
        "ORDER BY company_id LIMIT 1"))
    chosen = str(default or "").upper() or (sorted(codes)[0] if codes else "USD")
    return chosen, codes or {chosen}


# one row per currency code (currencies are per company, the core has one list)
CURRENCY_TABLE = ("(SELECT c.*, ROW_NUMBER() OVER (ORDER BY c.code) AS rid FROM currencies c "
                  "WHERE c.company_id = (SELECT MIN(c2.company_id) FROM currencies c2 "
                  "WHERE c2.code = c.code))")

CLIENT_COLUMNS = (
    "t.*, g.company_id, u.id AS u_id, u.username AS u_username, u.password AS u_password, "
    "u.two_factor_mode AS u_two_factor_mode, u.date_added AS u_date_added, pc.id AS pc_id, "
    "pc.first_name AS pc_first_name, pc.last_name AS pc_last_name, pc.company AS pc_company, "
    "pc.email AS pc_email, pc.address1 AS pc_address1, pc.address2 AS pc_address2, "
    "pc.city AS pc_city, pc.state AS pc_state, pc.zip AS pc_zip, pc.country AS pc_country, "
    "pc.date_added AS pc_date_added, "
    "(SELECT n.number FROM contact_numbers n WHERE n.contact_id = pc.id AND n.type = 'phone' "
    "ORDER BY n.id LIMIT 1) AS phone, "
    "(SELECT s.value FROM client_settings s WHERE s.client_id = t.id "
    "AND s.`key` = 'default_currency') AS client_currency, "
    "(SELECT JSON_OBJECTAGG(CONCAT(COALESCE(v.encrypted, 0), '0:', v.client_field_id), v.value)"
    " FROM client_values v WHERE v.client_id = t.id) AS values_json, "
    # Blesta's credit: approved payments less what was applied to invoices
    "(SELECT COALESCE(SUM(x.amount - COALESCE((SELECT SUM(a.amount) FROM transaction_applied a "
    "WHERE a.transaction_id = x.id), 0)), 0) FROM transactions x WHERE x.client_id = t.id "
    "AND x.status = 'approved' AND x.amount > COALESCE((SELECT SUM(a.amount) FROM "
    "transaction_applied a WHERE a.transaction_id = x.id), 0)) AS credit_sum")
CLIENT_JOINS = ("LEFT JOIN client_groups g ON g.id = t.client_group_id "
                "LEFT JOIN users u ON u.id = t.user_id "
                "LEFT JOIN contacts pc ON pc.id = (SELECT MIN(p.id) FROM contacts p "
                "WHERE p.client_id = t.id AND p.contact_type = 'primary')")

CONTACT_COLUMNS = ("t.*, (SELECT n.number FROM contact_numbers n WHERE n.contact_id = t.id "
                   "AND n.type = 'phone' ORDER BY n.id LIMIT 1) AS phone, u.id AS u_id, "
                   "u.username AS u_username, "
                   "u.password AS u_password, u.date_added AS u_date_added")
CONTACT_JOINS = "LEFT JOIN users u ON u.id = t.user_id"

STAFF_COLUMNS = ("t.*, u.username AS u_username, u.password AS u_password, "
                 "u.date_added AS u_date_added")
STAFF_JOINS = "LEFT JOIN users u ON u.id = t.user_id"

PACKAGE_GROUP_COLUMNS = ("t.*, (SELECT n.name FROM package_group_names n WHERE "
                         "n.package_group_id = t.id ORDER BY n.lang = 'en_us' DESC, n.lang "
                         "LIMIT 1) AS group_name")
PACKAGE_COLUMNS = (
    "t.*, m.class AS module_class, "
    "(SELECT n.name FROM package_names n WHERE n.package_id = t.id "
    "ORDER BY n.lang = 'en_us' DESC, n.lang LIMIT 1) AS package_name, "
    "(SELECT COALESCE(d.text, d.html) FROM package_descriptions d WHERE d.package_id = t.id "
    "ORDER BY d.lang = 'en_us' DESC, d.lang LIMIT 1) AS package_description, "
    "(SELECT pg.package_group_id FROM package_group pg WHERE pg.package_id = t.id "
    "ORDER BY pg.`order`, pg.package_group_id LIMIT 1) AS first_group_id")
PACKAGE_JOINS = "LEFT JOIN modules m ON m.id = t.module_id"

PRICING_COLUMNS = ("t.*, pr.term AS pr_term, pr.period AS pr_period, pr.price AS pr_price, "
                   "pr.setup_fee AS pr_setup_fee, pr.currency AS pr_currency")
PRICING_JOINS = "LEFT JOIN pricings pr ON pr.id = t.pricing_id"

COUPON_COLUMNS = ("t.*, (SELECT a.amount FROM coupon_amounts a WHERE a.coupon_id = t.id "
                  "ORDER BY a.currency LIMIT 1) AS amount, (SELECT a.type FROM coupon_amounts a "
                  "WHERE a.coupon_id = t.id ORDER BY a.currency LIMIT 1) AS amount_type, "
                  "(SELECT a.currency FROM coupon_amounts a WHERE a.coupon_id = t.id "
                  "ORDER BY a.currency LIMIT 1) AS amount_currency, "
                  "(SELECT GROUP_CONCAT(cp.package_id ORDER BY cp.package_id) FROM "
                  "coupon_packages cp WHERE cp.coupon_id = t.id) AS package_ids, "
                  "(SELECT GROUP_CONCAT(CONCAT(ct.term, ':', ct.period) ORDER BY ct.id) FROM "
                  "coupon_terms ct WHERE ct.coupon_id = t.id) AS terms")


def packed(table: str, owner_column: str, owner: str) -> str:
    """JSON object ``{"<encrypted><serialized>:<key>": value}`` of one owner's meta rows."""
    return (f"(SELECT JSON_OBJECTAGG(CONCAT(COALESCE(f.encrypted, 0), COALESCE(f.serialized, 0),"
            f" ':', f.`key`), f.value) FROM {table} f WHERE f.{owner_column} = {owner})")


MODULE_ROW_COLUMNS = (f"t.*, m.class AS module_class, "
                      f"{packed('module_row_meta', 'module_row_id', 't.id')} AS meta_json")
MODULE_ROW_JOINS = "LEFT JOIN modules m ON m.id = t.module_id"

SERVICE_COLUMNS = (
    "t.*, pp.package_id, pr.term AS pr_term, pr.period AS pr_period, pr.price AS pr_price, "
    "pr.setup_fee AS pr_setup_fee, pr.currency AS pr_currency, "
    f"{packed('service_fields', 'service_id', 't.id')} AS fields_json")
SERVICE_JOINS = ("LEFT JOIN package_pricing pp ON pp.id = t.pricing_id "
                 "LEFT JOIN pricings pr ON pr.id = pp.pricing_id")

LINE_COLUMNS = ("t.*, EXISTS(SELECT 1 FROM invoice_line_taxes x WHERE x.line_id = t.id) "
                "AS taxed")

TRANSACTION_COLUMNS = (
    "t.*, g.class AS gateway_class, tt.name AS type_name, "
    "(SELECT MIN(a.invoice_id) FROM transaction_applied a WHERE a.transaction_id = t.id) "
    "AS first_invoice_id, (SELECT COALESCE(SUM(a.amount), 0) FROM transaction_applied a "
    "WHERE a.transaction_id = t.id) AS applied_total")
TRANSACTION_JOINS = ("LEFT JOIN gateways g ON g.id = t.gateway_id "
                     "LEFT JOIN transaction_types tt ON tt.id = t.transaction_type_id")

REPLY_COLUMNS = "t.*, k.client_id AS ticket_client_id, k.email AS ticket_email"
REPLY_JOINS = "LEFT JOIN support_tickets k ON k.id = t.ticket_id"
ATTACHMENT_COLUMNS = ("t.*, r.ticket_id, r.type AS reply_type, r.date_added AS reply_date")
ATTACHMENT_JOINS = "LEFT JOIN support_replies r ON r.id = t.reply_id"

# source money per currency, for the reconciliation
INVOICE_STATUS_SQL = {
    "cancelled": "i.status = 'void'",
    "draft": "i.status IN ('draft', 'proforma')",
    "paid": "i.status = 'active' AND ((i.total > 0 AND i.paid >= i.total) OR "
            "(i.total = 0 AND i.date_closed IS NOT NULL))",
    "unpaid": "i.status = 'active' AND NOT ((i.total > 0 AND i.paid >= i.total) OR "
              "(i.total = 0 AND i.date_closed IS NOT NULL))",
}


def invoice_total_sql(status_sql: str) -> str:
    """Source invoice totals per currency for one core status."""
    return f"SELECT UPPER(i.currency), SUM(i.total) FROM invoices i WHERE {status_sql} " \
           "GROUP BY UPPER(i.currency)"


PAYMENTS_SQL = ("SELECT UPPER(t.currency), SUM(t.amount) FROM transactions t "
                "WHERE t.status IN ('approved', 'refunded') GROUP BY UPPER(t.currency)")
REFUNDS_SQL = ("SELECT UPPER(t.currency), SUM(t.amount) FROM transactions t "
               "WHERE t.status = 'refunded' GROUP BY UPPER(t.currency)")
CREDIT_SQL = ("SELECT UPPER(t.currency), SUM(t.amount - COALESCE((SELECT SUM(a.amount) FROM "
              "transaction_applied a WHERE a.transaction_id = t.id), 0)) FROM transactions t "
              "WHERE t.status = 'approved' AND t.amount > COALESCE((SELECT SUM(a.amount) FROM "
              "transaction_applied a WHERE a.transaction_id = t.id), 0) "
              "GROUP BY UPPER(t.currency)")

# the packages a group is offered with (package_option has no id of its own)
OPTION_GROUP_COLUMNS = ("t.*, (SELECT GROUP_CONCAT(po.package_id ORDER BY po.package_id) "
                        "FROM package_option po WHERE po.option_group_id = t.id) AS package_ids")
OPTION_COLUMNS = ("t.*, (SELECT g.option_group_id FROM package_option_group g WHERE "
                  "g.option_id = t.id ORDER BY g.option_group_id LIMIT 1) AS first_group_id, "
                  "(SELECT g.`order` FROM package_option_group g WHERE g.option_id = t.id "
                  "ORDER BY g.option_group_id LIMIT 1) AS group_order")
OPTION_PRICING_COLUMNS = PRICING_COLUMNS
SERVICE_OPTION_COLUMNS = ("t.*, op.option_value_id, v.option_id")
SERVICE_OPTION_JOINS = ("LEFT JOIN package_option_pricing op ON op.id = t.option_pricing_id "
                        "LEFT JOIN package_option_values v ON v.id = op.option_value_id")


def shared_login_emails(conn: Connection) -> dict[str, int]:
    """Emails that more than one Blesta login would get (a client's primary contact, a
    contact's own login) -> the lowest user id, who keeps the login."""
    rows = conn.execute(text(
        "SELECT LOWER(c.email), MIN(u.id) FROM contacts c JOIN users u ON u.id = "
        "COALESCE(c.user_id, (SELECT cl.user_id FROM clients cl WHERE cl.id = c.client_id "
        "AND c.contact_type = 'primary')) WHERE c.email <> '' GROUP BY LOWER(c.email) "
        "HAVING COUNT(DISTINCT u.id) > 1"))
    return {str(email): int(user_id or 0) for email, user_id in rows}
