"""Test data for a Blesta 5.8 database (our reconstructed schema, fixtures/schemas/blesta-5.8.sql).

Passwords are real Blesta hashes (bcrypt of HMAC-SHA256 with the system key), module row
passwords and service passwords are encrypted the way Blesta does it, one value is encrypted
with another key (must be quarantined or flagged), and there are orphans, a zero date, emoji
and mojibake. :data:`EXPECTED_QUARANTINE` lists the source ids that must not map.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from importers.blesta.source import blesta_password_hash, system_encrypt

SYSTEM_KEY = "blesta-system-key-0123456789abcdef"
CLIENT_PASSWORD = "blesta-pass-1"
EMOJI = "Renée 🎉"
MOJIBAKE = "FranÃ§ois"


def fill(engine: Any) -> None:
    """Write the test install into a freshly loaded Blesta 5.8 schema."""
    with engine.begin() as conn:
        for table, rows in _data().items():
            for row in rows:
                names = ", ".join(f"`{k}`" for k in row)
                values = ", ".join(f":{k}" for k in row)
                conn.execute(text(f"INSERT INTO `{table}` ({names}) VALUES ({values})"), row)


def _enc(value: str) -> str:
    return system_encrypt(value, SYSTEM_KEY)


def _data() -> dict[str, list[dict[str, Any]]]:
    ts = "2024-05-01 10:00:00"
    user = {"two_factor_mode": "none", "date_added": ts}
    contact = {"contact_type": "primary", "date_added": ts, "country": "US"}
    return {
        "settings": [{"key": "database_version", "value": "5.8.1"}],
        "companies": [{"id": 1, "name": "Host Co", "hostname": "host.example", "address": ""}],
        "company_settings": [{"key": "default_currency", "company_id": 1, "value": "USD"}],
        "currencies": [
            {"code": "USD", "company_id": 1, "format": "#,###.##", "prefix": "$",
             "exchange_rate": "1.000000", "precision": 2},
            {"code": "EUR", "company_id": 1, "format": "#.###,##", "suffix": "€",
             "exchange_rate": "0.910000", "precision": 2}],
        "taxes": [{"id": 1, "company_id": 1, "level": 1, "name": "VAT", "amount": "20.0000",
                   "type": "exclusive", "country": "GB", "status": "active"}],
        "client_groups": [{"id": 1, "company_id": 1, "name": "Default", "description": ""}],
        "client_fields": [{"id": 1, "client_group_id": 1, "name": "VAT number", "type": "text",
                           "values": "", "regex": "", "encrypted": 1}],
        "users": [
            {"id": 10, "username": "alice", "password": blesta_password_hash(
                CLIENT_PASSWORD, SYSTEM_KEY), **user},
            {"id": 11, "username": "bob", "password": blesta_password_hash("x", SYSTEM_KEY),
             **user},
            {"id": 12, "username": "admin", "password": blesta_password_hash("adm", SYSTEM_KEY),
             **user},
            {"id": 13, "username": "nogroup", "password": "x", **user},
            {"id": 15, "username": "alice2", "password": "y", **user},
            {"id": 14, "username": "billy", "password": blesta_password_hash(
                "billy-pass", SYSTEM_KEY), **user}],
        "clients": [
            {"id": 1, "id_format": "{num}", "id_value": 1500, "user_id": 10,
             "client_group_id": 1, "status": "active"},
            {"id": 2, "id_format": "C-{num}", "id_value": 1501, "user_id": 11,
             "client_group_id": 1, "status": "inactive"},
            {"id": 3, "id_format": "{num}", "id_value": 1502, "user_id": 13,
             "client_group_id": 42, "status": "active"},
            {"id": 4, "id_format": "{num}", "id_value": 1503, "user_id": 15,
             "client_group_id": 1, "status": "active"}],
        "client_settings": [{"key": "default_currency", "client_id": 2, "value": "EUR"}],
        "client_values": [
            {"client_field_id": 1, "client_id": 1, "value": _enc("GB123"), "encrypted": 1},
            {"client_field_id": 1, "client_id": 2,
             "value": system_encrypt("DE999", "another-key"), "encrypted": 1}],
        "contacts": [
            {"id": 1, "client_id": 1, "user_id": 10, "first_name": EMOJI, "last_name": "Smith",
             "email": "alice@example.com", "address1": "1 Main St", "city": "Springfield",
             **contact},
            {"id": 2, "client_id": 2, "first_name": "Bob", "last_name": MOJIBAKE,
             "email": "bob@example.com", **contact, "date_added": "0000-00-00 00:00:00"},
            {"id": 3, "client_id": 1, "user_id": 14, "first_name": "Billy", "last_name": "Bill",
             "email": "billing@example.com", "contact_type": "billing", "date_added": ts},
            {"id": 4, "client_id": 3, "first_name": "No", "last_name": "Group",
             "email": "nogroup@example.com", **contact},
            {"id": 6, "client_id": 4, "first_name": "Alice", "last_name": "Again",
             "email": "ALICE@example.com", **contact},
            {"id": 5, "client_id": 99, "first_name": "Orphan", "last_name": "Contact",
             "email": "orphan@example.com", **contact}],
        "contact_numbers": [{"contact_id": 1, "number": "+1.5550100", "type": "phone",
                             "location": "work"}],
        "client_notes": [{"id": 1, "client_id": 1, "staff_id": 1, "title": "Note",
                          "description": "Good payer", "date_added": ts}],
        "staff": [{"id": 1, "user_id": 12, "first_name": "Ada", "last_name": "Admin",
                   "email": "ada@example.com", "status": "active"}],
        "package_groups": [{"id": 1, "type": "standard", "company_id": 1}],
        "package_group_names": [{"package_group_id": 1, "lang": "en_us", "name": "Hosting"}],
        "modules": [{"id": 1, "company_id": 1, "name": "cPanel", "class": "cpanel",
                     "version": "2.0"}],
        "module_rows": [{"id": 1, "module_id": 1}, {"id": 2, "module_id": 1}],
        "module_row_meta": [
            {"module_row_id": 1, "key": "host_name", "value": "cp1.example.com"},
            {"module_row_id": 1, "key": "user_name", "value": "root"},
            {"module_row_id": 1, "key": "key", "value": _enc("WHM-TOKEN"), "encrypted": 1},
            {"module_row_id": 1, "key": "name_servers",
             "value": 'a:2:{i:0;s:15:"ns1.example.com";i:1;s:15:"ns2.example.com";}',
             "serialized": 1},
            {"module_row_id": 1, "key": "account_limit", "value": "200"},
            {"module_row_id": 2, "key": "host_name", "value": "cp2.example.com"},
            {"module_row_id": 2, "key": "key", "value": system_encrypt("X", "wrong-key"),
             "encrypted": 1}],
        "packages": [{"id": 1, "id_format": "{num}", "id_value": 1, "module_id": 1,
                      "module_row": 1, "taxable": 1, "status": "active", "company_id": 1}],
        "package_names": [{"package_id": 1, "lang": "en_us", "name": "Basic Hosting"}],
        "package_descriptions": [{"package_id": 1, "lang": "en_us", "text": "Small plan"}],
        "package_group": [{"package_id": 1, "package_group_id": 1, "order": 0}],
        "pricings": [
            {"id": 1, "company_id": 1, "term": 1, "period": "month", "price": "9.9900",
             "setup_fee": "5.0000", "currency": "USD"},
            {"id": 2, "company_id": 1, "term": 1, "period": "year", "price": "99.0000",
             "currency": "EUR"},
            {"id": 3, "company_id": 1, "term": 1, "period": "month", "price": "2.0000",
             "currency": "USD"}],
        "package_pricing": [{"id": 7, "package_id": 1, "pricing_id": 1},
                            {"id": 8, "package_id": 1, "pricing_id": 2}],
        "coupons": [{"id": 1, "code": "WELCOME", "company_id": 1, "max_qty": 10,
                     "status": "active"}],
        "coupon_packages": [{"coupon_id": 1, "package_id": 1}],
        "coupon_terms": [{"coupon_id": 1, "term": 1, "period": "month"},
                         {"coupon_id": 1, "term": 1, "period": "year"}],
        "coupon_amounts": [{"coupon_id": 1, "currency": "USD", "amount": "15.0000",
                            "type": "percent"}],
        "services": [
            {"id": 1, "id_format": "{num}", "id_value": 1, "pricing_id": 7, "client_id": 1,
             "module_row_id": 1, "qty": 1, "status": "active", "date_added": ts,
             "date_renews": "2024-06-01 00:00:00"},
            {"id": 2, "id_format": "{num}", "id_value": 2, "pricing_id": 8, "client_id": 2,
             "module_row_id": 2, "qty": 2, "status": "suspended", "date_added": ts,
             "suspension_reason": "Overdue"},
            {"id": 3, "id_format": "{num}", "id_value": 3, "pricing_id": 7, "client_id": 99,
             "module_row_id": 1, "qty": 1, "status": "active", "date_added": ts}],
        "service_fields": [
            {"service_id": 1, "key": "cpanel_domain", "value": "alice.example"},
            {"service_id": 1, "key": "cpanel_username", "value": "alice"},
            {"service_id": 1, "key": "cpanel_password", "value": _enc("svc-pass"),
             "encrypted": 1},
            {"service_id": 2, "key": "cpanel_domain", "value": "bob.example"}],
        "invoices": [
            {"id": 1, "id_format": "INV-{num}", "id_value": 100, "client_id": 1,
             "date_billed": ts, "date_due": ts, "date_closed": ts, "status": "active",
             "currency": "USD", "subtotal": "14.9900", "total": "17.9900", "paid": "17.9900",
             "note_public": "Thanks ✔", "note_private": ""},
            {"id": 2, "id_format": "{num}", "id_value": 101, "client_id": 2, "date_billed": ts,
             "date_due": ts, "status": "active", "currency": "EUR", "subtotal": "198.0000",
             "total": "198.0000", "paid": "50.0000", "note_public": "", "note_private": ""},
            {"id": 3, "id_format": "{num}", "id_value": 102, "client_id": 1, "date_billed": ts,
             "date_due": ts, "status": "void", "currency": "USD", "subtotal": "3.0000",
             "total": "3.0000", "paid": "0", "note_public": "", "note_private": ""},
            {"id": 4, "id_format": "{num}", "id_value": 103, "client_id": 99,
             "date_billed": ts, "date_due": ts, "status": "active", "currency": "USD",
             "subtotal": "7.0000", "total": "7.0000", "paid": "0", "note_public": "",
             "note_private": ""}],
        "invoice_lines": [
            {"id": 1, "invoice_id": 1, "service_id": 1, "description": "Basic Hosting",
             "qty": "1.0000", "amount": "9.9900", "order": 0},
            {"id": 2, "invoice_id": 1, "description": "Setup", "qty": "1.0000",
             "amount": "5.0000", "order": 1},
            {"id": 3, "invoice_id": 2, "service_id": 2, "description": "Basic x2",
             "qty": "2.0000", "amount": "99.0000", "order": 0},
            {"id": 4, "invoice_id": 9, "description": "orphan line", "qty": "1",
             "amount": "1.0000", "order": 0}],
        "invoice_line_taxes": [{"line_id": 1, "tax_id": 1}],
        "gateways": [{"id": 1, "company_id": 1, "name": "Stripe", "class": "stripe_payments",
                      "version": "1.0"}],
        "transactions": [
            {"id": 1, "client_id": 1, "amount": "30.0000", "currency": "USD", "type": "cc",
             "gateway_id": 1, "transaction_id": "ch_1", "status": "approved",
             "date_added": ts},
            {"id": 2, "client_id": 2, "amount": "50.0000", "currency": "EUR", "type": "other",
             "transaction_id": "wire-2", "status": "refunded", "date_added": ts},
            {"id": 3, "client_id": 2, "amount": "50.0000", "currency": "EUR", "type": "other",
             "transaction_id": "wire-3", "status": "approved", "date_added": ts},
            {"id": 4, "client_id": 1, "amount": "12.0000", "currency": "USD", "type": "cc",
             "gateway_id": 1, "transaction_id": "ch_4", "status": "declined",
             "date_added": ts},
            {"id": 5, "client_id": 99, "amount": "5.0000", "currency": "USD", "type": "other",
             "status": "approved", "date_added": ts}],
        "transaction_applied": [
            {"transaction_id": 1, "invoice_id": 1, "amount": "17.9900", "date": ts},
            {"transaction_id": 3, "invoice_id": 2, "amount": "50.0000", "date": ts}],
        "support_departments": [{"id": 1, "company_id": 1, "name": "Support",
                                 "description": "", "email": "support@example.com"}],
        "support_tickets": [
            {"id": 1, "code": 482913, "department_id": 1, "client_id": 1, "summary": "Down 🔥",
             "priority": "high", "status": "open", "date_added": ts, "date_updated": ts},
            {"id": 2, "code": 482914, "department_id": 5, "client_id": 1, "summary": "x",
             "priority": "low", "status": "open", "date_added": ts, "date_updated": ts}],
        "support_replies": [
            {"id": 1, "ticket_id": 1, "contact_id": 1, "type": "reply",
             "details": "Site is down 😱", "date_added": ts},
            {"id": 2, "ticket_id": 1, "staff_id": 1, "type": "reply", "details": "Restarted.",
             "date_added": "2024-05-01 11:00:00"},
            {"id": 3, "ticket_id": 1, "staff_id": 1, "type": "note", "details": "Disk full",
             "date_added": ts},
            {"id": 4, "ticket_id": 1, "type": "log", "details": "Status changed",
             "date_added": ts}],
        "package_option_groups": [{"id": 1, "company_id": 1, "name": "Extras"}],
        "package_options": [
            {"id": 1, "company_id": 1, "label": "Memory", "name": "ram", "type": "select"},
            {"id": 2, "company_id": 1, "label": "Loose", "name": "loose", "type": "text"}],
        "package_option_group": [{"option_id": 1, "option_group_id": 1, "order": 0}],
        "package_option": [{"package_id": 1, "option_group_id": 1}],
        "package_option_values": [
            {"id": 1, "option_id": 1, "name": "1 GB", "value": "1024", "order": 0},
            {"id": 2, "option_id": 1, "name": "2 GB", "value": "2048", "order": 1}],
        "package_option_pricing": [{"id": 1, "option_value_id": 2, "pricing_id": 3}],
        "service_options": [{"id": 1, "service_id": 1, "option_pricing_id": 1, "qty": 1,
                             "value": "2048"}],
        "log_users": [{"id": 1, "user_id": 10, "ip_address": "192.0.2.7", "company_id": 1,
                       "date_added": ts, "date_updated": ts, "result": "success"}],
        "support_attachments": [{"id": 1, "reply_id": 1, "name": "screenshot.png",
                                 "file_name": "/uploads/abc123"}],
    }


EXPECTED_QUARANTINE = {
    "clients": {"3"}, "contacts": {"4", "5"}, "servers": {"2"}, "services": {"3"},
    "invoices": {"4"}, "invoice_lines": {"4"}, "transactions": {"5"}, "tickets": {"2"},
    "options": {"2"},
}
