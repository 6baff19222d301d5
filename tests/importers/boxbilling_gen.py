"""Test data for a BoxBilling 4.22 / FOSSBilling 0.7.2 / 0.8.5 database (real schema files).

:func:`fill` writes a small install with everything an importer meets in the wild: legacy
sha1 and bcrypt passwords, orphans, zero dates, mojibake, emoji, a VARCHAR amount with a
decimal comma, DOUBLE money, guest tickets. Columns a release does not have are left out, so
the same data goes into all three schemas. :data:`EXPECTED` lists what must be quarantined.
"""

from __future__ import annotations

import hashlib
from typing import Any

import bcrypt
from sqlalchemy import text

from importers.boxbilling.source import encrypt

PATCH = {"boxbilling-4.22.1.5.sql": "17", "fossbilling-0.7.2.sql": "43",
         "fossbilling-0.8.5.sql": "91"}
SALT = "bb-install-salt-42"
BCRYPT_PASSWORD = "bcrypt-pass-1"
SHA1_PASSWORD = "old-sha1-pass"
MOJIBAKE = "MÃ¼ller"  # "Müller" stored twice-encoded by an old latin1 connection: kept as it is
EMOJI_NAME = "Zoë 🚀"


def _bcrypt(plain: str) -> str:
    # PHP writes $2y$; the bcrypt package verifies it the same way
    return bcrypt.hashpw(plain.encode(), bcrypt.gensalt(4)).decode().replace("$2b$", "$2y$", 1)


def _insert(conn: Any, table: str, rows: list[dict[str, Any]], cols: dict[str, set[str]]) -> None:
    if table not in cols:
        return
    for row in rows:
        kept = {k: v for k, v in row.items() if k in cols[table]}
        names = ", ".join(f"`{k}`" for k in kept)
        values = ", ".join(f":{k}" for k in kept)
        conn.execute(text(f"INSERT INTO `{table}` ({names}) VALUES ({values})"), kept)


def _columns(conn: Any) -> dict[str, set[str]]:
    cols: dict[str, set[str]] = {}
    for table, column in conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = DATABASE()")):
        cols.setdefault(str(table), set()).add(str(column))
    return cols


def fill(engine: Any, schema: str) -> None:
    """Write the test install into a freshly loaded schema."""
    with engine.begin() as conn:
        # emoji need 4-byte UTF-8; BoxBilling's tables are utf8(mb3) like most real installs,
        # the ones holding emoji here are converted the way hosts do before upgrading
        for table in ("client", "support_ticket_message"):
            conn.execute(text(f"ALTER TABLE `{table}` CONVERT TO CHARACTER SET utf8mb4"))
        cols = _columns(conn)
        for table, rows in _data(schema).items():
            _insert(conn, table, rows, cols)


def _data(schema: str) -> dict[str, list[dict[str, Any]]]:
    ts = "2024-03-10 12:00:00"
    return {
        "setting": [{"id": 1, "param": "last_patch", "value": PATCH[schema]}],
        "currency": [
            {"id": 1, "title": "US Dollar", "code": "USD", "is_default": 1,
             "conversion_rate": "1.000000", "format": "${{price}}"},
            {"id": 2, "title": "Euro", "code": "EUR", "is_default": 0,
             "conversion_rate": "0.920000", "format": "{{price}} €"}],
        "tax": [{"id": 1, "level": 1, "name": "VAT", "country": "DE", "taxrate": "19.5"}],
        "client_group": [{"id": 1, "title": "VIP"}],
        "client": [
            {"id": 1, "email": "one@example.com", "pass": _bcrypt(BCRYPT_PASSWORD),
             "status": "active", "first_name": "Ann", "last_name": "One", "currency": "USD",
             "country": "US", "phone_cc": "1", "phone": "5551234", "created_at": ts,
             "custom_1": "blue", "company_vat": "US123"},
            {"id": 2, "email": "two@example.com",
             "pass": hashlib.sha1(SHA1_PASSWORD.encode()).hexdigest(), "status": "suspended",
             "first_name": EMOJI_NAME, "last_name": MOJIBAKE, "currency": "EUR",
             "client_group_id": 1, "country": "de", "created_at": "2024-07-01 00:30:00",
             "notes": "pays late"},
            {"id": 3, "email": "orphan-group@example.com", "pass": "x", "client_group_id": 99,
             "currency": "USD", "created_at": ts},
            {"id": 4, "email": "zero@example.com", "pass": "x", "client_group_id": 0,
             "currency": "", "created_at": "0000-00-00 00:00:00"},
            {"id": 5, "email": "country@example.com", "pass": "x", "country": "Germany",
             "currency": "USD", "created_at": ts}],
        "admin": [{"id": 1, "email": "boss@example.com", "pass": _bcrypt("admin-pass"),
                   "name": "Big Boss", "status": "active", "role": "admin", "created_at": ts}],
        "product_category": [{"id": 1, "title": "Hosting"}],
        "product_payment": [
            {"id": 1, "type": "recurrent", "m_price": "10.00", "a_price": "100.00",
             "q_price": "29.00", "w_enabled": 0},
            {"id": 2, "type": "once", "once_price": "5.00", "once_setup_price": "1.00"},
            {"id": 3, "type": "free"}],
        "product": [
            {"id": 1, "product_category_id": 1, "product_payment_id": 1, "title": "Shared S",
             "slug": "shared-s", "type": "hosting", "is_addon": 0, "active": 1,
             "status": "enabled", "setup": "after_payment", "addons": '["3"]',
             "config": '{"server_id": 1}', "created_at": ts},
            {"id": 2, "product_category_id": 1, "product_payment_id": 3, "title": "Domains",
             "slug": "domains", "type": "domain", "is_addon": 0, "active": 1, "created_at": ts},
            {"id": 3, "product_payment_id": 2, "title": "Backup addon", "slug": "backup",
             "type": "custom", "is_addon": 1, "active": 1, "created_at": ts}],
        "promo": [{"id": 1, "code": "SAVE10", "type": "percentage", "value": "10.00",
                   "products": '["1"]', "periods": '["1M"]', "active": 1}],
        "service_hosting_server": [
            {"id": 1, "name": "web1", "ip": "10.0.0.1", "hostname": "web1.example.com",
             "manager": "Whm", "username": "root", "password": "srv-pass",
             "accesshash": "HASH123", "port": "2087", "secure": 1, "active": 1,
             "assigned_ips": '["10.0.0.5"]', "ns1": "ns1.example.com"}],
        "service_hosting_hp": [{"id": 1, "name": "plan-s"}],
        "service_hosting": [{"id": 1, "client_id": 1, "service_hosting_server_id": 1,
                             "service_hosting_hp_id": 1, "sld": "ann", "tld": ".com",
                             "username": "annuser", "pass": "host-pass"}],
        "tld_registrar": [{"id": 1, "name": "Custom", "registrar": "Custom"}],
        "service_domain": [{"id": 1, "client_id": 2, "tld_registrar_id": 1, "sld": "zoe",
                            "tld": ".de", "period": 1, "locked": 1, "action": "register",
                            "ns1": "ns1.example.com", "transfer_code": "EPP-1",
                            "registered_at": ts, "expires_at": "2025-03-10 12:00:00"}],
        "client_order": [
            {"id": 1, "client_id": 1, "product_id": 1, "group_id": "g1", "group_master": 1,
             "title": "Shared S", "currency": "USD", "service_id": 1, "service_type": "hosting",
             "period": "1M", "quantity": 1, "price": 10.0, "discount": 0.0, "status": "active",
             "activated_at": ts, "expires_at": "2024-04-10 12:00:00", "created_at": ts},
            {"id": 2, "client_id": 1, "product_id": 3, "group_id": "g1", "group_master": 0,
             "title": "Backup addon", "currency": "USD", "service_type": "custom",
             "period": None, "quantity": 2, "price": 5.0, "status": "active", "created_at": ts},
            {"id": 3, "client_id": 2, "product_id": 2, "group_id": "g2", "group_master": 1,
             "title": "zoe.de", "currency": "EUR", "service_id": 1, "service_type": "domain",
             "period": "1Y", "quantity": 1, "price": 12.5, "status": "active",
             "expires_at": "2025-03-10 12:00:00", "created_at": ts},
            {"id": 4, "client_id": 99, "product_id": 1, "currency": "USD", "status": "active",
             "period": "1M", "price": 10.0, "created_at": ts}],
        "client_order_meta": [{"id": 1, "client_order_id": 1, "name": "cancel_at_period_end",
                               "value": "1"}],
        "invoice": [
            {"id": 1, "client_id": 1, "serie": "BB", "nr": "1", "currency": "USD",
             "gateway_id": 1, "status": "paid", "approved": 1, "taxname": "VAT", "taxrate": "19.5",
             "credit": 0.0, "created_at": ts, "due_at": ts, "paid_at": ts},
            {"id": 2, "client_id": 2, "serie": "BB", "nr": "2", "currency": "EUR",
             "status": "unpaid", "approved": 1, "taxrate": "19.5", "created_at": ts,
             "due_at": "0000-00-00 00:00:00"},
            {"id": 3, "client_id": 1, "currency": "USD", "status": "unpaid", "approved": 0,
             "created_at": ts},
            {"id": 4, "client_id": 99, "currency": "USD", "status": "paid", "approved": 1,
             "created_at": ts},
            {"id": 5, "client_id": 1, "currency": "USD", "status": "refunded", "approved": 1,
             "refund": 5.0, "created_at": ts}],
        "invoice_item": [
            {"id": 1, "invoice_id": 1, "type": "order", "rel_id": "1", "task": "renew",
             "title": "Shared S", "quantity": 1, "price": 10.0, "taxed": 1},
            {"id": 2, "invoice_id": 1, "type": "order", "rel_id": "2", "title": "Backup",
             "quantity": 2, "price": 5.0, "taxed": 0},
            {"id": 3, "invoice_id": 2, "type": "order", "rel_id": "3", "title": "zoe.de",
             "quantity": 3, "price": 33.33, "taxed": 1},
            {"id": 4, "invoice_id": 3, "type": "custom", "title": "Draft work", "quantity": 1,
             "price": 7.77, "taxed": 0},
            {"id": 5, "invoice_id": 4, "type": "custom", "title": "Orphan", "quantity": 1,
             "price": 8.0, "taxed": 0},
            {"id": 6, "invoice_id": 5, "type": "deposit", "title": "Funds", "quantity": 1,
             "price": 5.0, "taxed": 0},
            {"id": 7, "invoice_id": 77, "type": "custom", "title": "No invoice", "quantity": 1,
             "price": 1.0}],
        "pay_gateway": [{"id": 1, "name": "PayPal", "gateway": "PayPalEmail", "enabled": 1}],
        "transaction": [
            {"id": 1, "invoice_id": 1, "gateway_id": 1, "txn_id": "PP-1", "amount": "21.95",
             "currency": "USD", "type": "payment", "status": "processed", "created_at": ts},
            {"id": 2, "invoice_id": 5, "gateway_id": 1, "txn_id": "PP-2", "amount": "5.00",
             "currency": "USD", "type": "refund", "status": "processed", "created_at": ts},
            {"id": 3, "invoice_id": 2, "gateway_id": 1, "txn_id": "PP-3", "amount": "119.49",
             "currency": "EUR", "type": "payment", "status": "received", "created_at": ts},
            {"id": 4, "invoice_id": 2, "gateway_id": 1, "txn_id": "PP-4", "amount": "12,50",
             "currency": "EUR", "type": "payment", "status": "approved", "created_at": ts},
            {"id": 5, "invoice_id": None, "gateway_id": 1, "txn_id": "S-1", "amount": "0",
             "type": "subscription_create", "status": "processed", "created_at": ts}],
        "client_balance": [
            {"id": 1, "client_id": 1, "type": "gift", "amount": "50.00", "created_at": ts},
            {"id": 2, "client_id": 1, "type": "invoice", "rel_id": "3", "amount": "-10.00",
             "created_at": ts},
            {"id": 3, "client_id": 99, "type": "gift", "amount": "5.00", "created_at": ts}],
        "support_helpdesk": [{"id": 1, "name": "General", "email": "help@example.com"}],
        "support_ticket": [
            {"id": 1, "support_helpdesk_id": 1, "client_id": 1, "subject": "Help ✨",
             "status": "open", "created_at": ts},
            {"id": 2, "support_helpdesk_id": 9, "client_id": 1, "subject": "Lost dept",
             "status": "closed", "created_at": ts}],
        "support_ticket_message": [
            {"id": 1, "support_ticket_id": 1, "client_id": 1, "content": "It broke 😭",
             "ip": "10.1.1.1", "created_at": ts},
            {"id": 2, "support_ticket_id": 1, "admin_id": 1, "content": "Fixed.",
             "attachment": "uploads/log.txt", "created_at": "2024-03-10 13:00:00"},
            {"id": 3, "support_ticket_id": 2, "client_id": 1, "content": "orphan",
             "created_at": ts}],
        "support_ticket_note": [{"id": 1, "support_ticket_id": 1, "admin_id": 1,
                                 "note": "VIP customer", "created_at": ts}],
        "support_p_ticket": [{"id": 1, "hash": "abc", "author_name": "Guest",
                              "author_email": "guest@example.com", "subject": "Pre-sales",
                              "status": "open", "created_at": ts}],
        "support_p_ticket_message": [{"id": 1, "support_p_ticket_id": 1,
                                      "content": "Do you host Python?", "created_at": ts}],
        "tld": [{"id": 1, "tld_registrar_id": 1, "tld": ".de", "price_registration": "9.99",
                 "price_renew": "11.50", "price_transfer": "5.00", "allow_register": 1,
                 "allow_transfer": 0, "active": 1, "min_years": 1},
                {"id": 2, "tld": "com", "price_registration": "1.00", "active": 1}],
        "activity_client_history": [{"id": 1, "client_id": 1, "ip": "10.1.1.9",
                                     "created_at": ts}],
        "activity_system": [{"id": 1, "priority": 6, "client_id": 1, "message": "Logged in",
                             "ip": "10.1.1.1", "created_at": ts}],
        "extension_meta": [{"id": 1, "extension": "mod_x", "meta_key": "config",
                            "meta_value": encrypt('{"api_key":"k"}', SALT)}],
    }


# entity -> source ids expected in quarantine (the same for every release)
EXPECTED_QUARANTINE = {
    "clients": {"3", "5"}, "orders": {"4"}, "invoices": {"4"}, "invoice_items": {"5", "7"},
    "transactions": {"4"}, "credit": {"3"}, "tickets": {"2"}, "ticket_messages": {"3"},
    "tlds": {"2"},
}
