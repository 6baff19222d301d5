"""The Blesta importer: version check, lookups and the entity list.

``bridge import blesta --source mysql+pymysql://... --config-file config/blesta.php`` (or
``--key <system key>``). The system key decrypts module row meta, service fields and custom
values, and is what imported ``blesta$`` password hashes are verified with at login. Blesta
stores UTC datetimes, so the default timezone is UTC.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from importers.base import (
    Entity,
    MapContext,
    MoneyCheck,
    Ref,
    Row,
    SourceConfig,
    SourceImporter,
    UnsupportedSource,
)

from . import mapping as m
from . import mapping_billing as b
from . import reader as r
from .source import SourceError, check_version, read_config_file


class Importer(SourceImporter):
    """Blesta 5.x core tables plus the support_manager plugin."""

    source = "blesta"

    def detect_version(self, conn: Connection) -> str:
        """``settings.database_version``; refuses databases without Blesta's tables."""
        tables = {str(t[0]) for t in conn.execute(text("SHOW TABLES"))}
        if not {"settings", "clients", "contacts", "invoice_lines"} <= tables:
            raise UnsupportedSource("this database has no Blesta settings/clients/contacts/"
                                    "invoice_lines tables: it is not a Blesta database")
        return r.database_version(conn) or ""

    def check_version(self, version: str) -> None:
        """Blesta 5.x only, naming what was found otherwise."""
        try:
            check_version(version)
        except SourceError as exc:
            raise UnsupportedSource(str(exc)) from exc

    def prepare(self, conn: Connection, ctx: MapContext) -> None:
        """Currencies, client custom fields (id -> encrypted) and login emails shared by
        several Blesta users."""
        default, codes = r.currencies(conn)
        ctx.lookups.update(default_currency=default, currencies=codes,
                           shared_logins=r.shared_login_emails(conn), client_field_ids={
            int(x[0]): bool(x[1])
            for x in conn.execute(text("SELECT id, encrypted FROM client_fields"))})

    @classmethod
    def parse_config_file(cls, path: Path) -> SourceConfig:
        """``config/blesta.php``: system key and database (Blesta dates are UTC)."""
        try:
            config = read_config_file(path)
        except SourceError as exc:
            raise ValueError(str(exc)) from exc
        return SourceConfig(key=config.system_key, timezone="UTC", url=config.database_url)

    def entities(self) -> list[Entity]:
        """People and catalogue first, then services, billing and support."""
        client = Ref("client_id", "clients")
        return [
            Entity("system_key", "(SELECT 1 AS id FROM settings s WHERE s.`key` = "
                   "'database_version')", "settings", m.map_system_key),
            Entity("companies", "companies", "companies", m.map_company),
            Entity("currencies", r.CURRENCY_TABLE, "currencies", m.map_currency,
                   id_column="rid"),
            Entity("taxes", "taxes", "tax_rules", m.map_tax),
            Entity("client_groups", "client_groups", "client_groups", m.map_client_group,
                   refs=[Ref("company_id", "companies")]),
            Entity("client_fields", "client_fields", "custom_fields", m.map_client_field),
            Entity("clients", "clients", "clients", m.map_client, columns=r.CLIENT_COLUMNS,
                   joins=r.CLIENT_JOINS, refs=[Ref("client_group_id", "client_groups")]),
            Entity("contact_users", "contacts", "users", m.map_contact_user,
                   columns=r.CONTACT_COLUMNS, joins=r.CONTACT_JOINS,
                   where="t.contact_type <> 'primary' AND u.id IS NOT NULL", refs=[client]),
            Entity("contacts", "contacts", "contacts", m.map_contact, columns=r.CONTACT_COLUMNS,
                   joins=r.CONTACT_JOINS,
                   refs=[client, Ref("user_id", "users", missing="null")]),
            Entity("staff", "staff", "admins", m.map_staff, columns=r.STAFF_COLUMNS,
                   joins=r.STAFF_JOINS),
            Entity("client_notes", "client_notes", "client_notes", m.map_client_note,
                   refs=[client, Ref("staff_id", "admins", missing="null")]),
            Entity("package_groups", "package_groups", "product_groups", m.map_package_group,
                   columns=r.PACKAGE_GROUP_COLUMNS),
            Entity("packages", "packages", "products", m.map_package, columns=r.PACKAGE_COLUMNS,
                   joins=r.PACKAGE_JOINS,
                   refs=[Ref("first_group_id", "product_groups", missing="null")]),
            Entity("pricings", "package_pricing", "prices", m.map_package_pricing,
                   columns=r.PRICING_COLUMNS, joins=r.PRICING_JOINS,
                   refs=[Ref("package_id", "products")]),
            Entity("coupons", "coupons", "promotions", m.map_coupon, columns=r.COUPON_COLUMNS),
            Entity("servers", "module_rows", "servers", m.map_module_row,
                   columns=r.MODULE_ROW_COLUMNS, joins=r.MODULE_ROW_JOINS),
            *self._options(), *self._billing(), *self._support(),
            Entity("login_log", "log_users", "activity_log", m.map_login_log, optional=True),
        ]

    def _options(self) -> list[Entity]:
        return [
            Entity("option_groups", "package_option_groups", "config_option_groups",
                   m.map_option_group, columns=r.OPTION_GROUP_COLUMNS),
            Entity("options", "package_options", "config_options", m.map_option,
                   columns=r.OPTION_COLUMNS,
                   refs=[Ref("first_group_id", "config_option_groups")]),
            Entity("option_values", "package_option_values", "config_option_values",
                   m.map_option_value, refs=[Ref("option_id", "config_options")]),
            Entity("option_pricings", "package_option_pricing", "prices", m.map_option_pricing,
                   columns=r.OPTION_PRICING_COLUMNS, joins=r.PRICING_JOINS,
                   refs=[Ref("option_value_id", "config_option_values")]),
        ]

    def _billing(self) -> list[Entity]:
        client = Ref("client_id", "clients")
        invoice_checks = [
            MoneyCheck(f"invoices {status}", r.invoice_total_sql(sql),
                       f"SELECT currency, SUM(total) FROM invoices WHERE status = '{status}' "
                       "GROUP BY currency", _held_invoice(status))
            for status, sql in r.INVOICE_STATUS_SQL.items()]
        return [
            Entity("services", "services", "services", b.map_service, columns=r.SERVICE_COLUMNS,
                   joins=r.SERVICE_JOINS,
                   refs=[client, Ref("package_id", "products"),
                         Ref("module_row_id", "servers", missing="null"),
                         Ref("coupon_id", "promotions", missing="null")]),
            Entity("service_options", "service_options", "service_config_options",
                   m.map_service_option, columns=r.SERVICE_OPTION_COLUMNS,
                   joins=r.SERVICE_OPTION_JOINS,
                   refs=[Ref("service_id", "services"), Ref("option_id", "config_options"),
                         Ref("option_value_id", "config_option_values")]),
            Entity("invoices", "invoices", "invoices", b.map_invoice, refs=[client],
                   money=invoice_checks),
            Entity("invoice_lines", "invoice_lines", "invoice_items", b.map_invoice_line,
                   columns=r.LINE_COLUMNS,
                   refs=[Ref("invoice_id", "invoices"),
                         Ref("service_id", "services", missing="null")]),
            Entity("transactions", "transactions", "transactions", b.map_transaction,
                   columns=r.TRANSACTION_COLUMNS, joins=r.TRANSACTION_JOINS,
                   refs=[client, Ref("first_invoice_id", "invoices", missing="null")],
                   money=[
                       MoneyCheck("payments", r.PAYMENTS_SQL,
                                  "SELECT currency, SUM(amount_in) FROM transactions WHERE "
                                  "kind = 'payment' AND status = 'completed' GROUP BY currency",
                                  _held_txn(("approved", "refunded"))),
                       MoneyCheck("refunds", r.REFUNDS_SQL,
                                  "SELECT currency, SUM(amount_out) FROM transactions WHERE "
                                  "kind = 'refund' AND status = 'completed' GROUP BY currency",
                                  _held_txn(("refunded",))),
                       MoneyCheck("credit (unapplied payments)", r.CREDIT_SQL,
                                  "SELECT currency, SUM(amount) FROM credit_entries "
                                  "GROUP BY currency", _held_credit)]),
        ]

    def _support(self) -> list[Entity]:
        ticket = Ref("ticket_id", "tickets")
        staff = Ref("staff_id", "admins", missing="null")
        return [
            Entity("departments", "support_departments", "ticket_departments",
                   b.map_department, optional=True),
            Entity("tickets", "support_tickets", "tickets", b.map_ticket, optional=True,
                   refs=[Ref("department_id", "ticket_departments"),
                         Ref("client_id", "clients"), staff,
                         Ref("service_id", "services", missing="null")]),
            Entity("ticket_replies", "support_replies", "ticket_messages", b.map_reply,
                   columns=r.REPLY_COLUMNS, joins=r.REPLY_JOINS, where="t.type = 'reply'",
                   optional=True, refs=[ticket, staff,
                                        Ref("contact_id", "contacts", missing="null"),
                                        Ref("ticket_client_id", "clients", missing="null")]),
            Entity("ticket_notes", "support_replies", "ticket_notes", b.map_note,
                   where="t.type IN ('note', 'log')", optional=True, refs=[ticket, staff]),
            Entity("ticket_attachments", "support_attachments", "ticket_attachments",
                   b.map_attachment, columns=r.ATTACHMENT_COLUMNS, joins=r.ATTACHMENT_JOINS,
                   optional=True, refs=[ticket, Ref("reply_id", "ticket_messages",
                                                    when=lambda row: row.get("reply_type")
                                                    == "reply"),
                                        Ref("reply_id", "ticket_notes",
                                            when=lambda row: row.get("reply_type") != "reply")]),
        ]


def _held_invoice(status: str) -> Any:
    def held(payload: Row) -> tuple[str, Decimal] | None:
        try:
            if b.invoice_status(payload) != status:
                return None
            return str(payload.get("currency") or "").upper(), Decimal(str(payload["total"]))
        except (ArithmeticError, KeyError, ValueError):
            return None
    return held


def _held_txn(statuses: tuple[str, ...]) -> Any:
    def held(payload: Row) -> tuple[str, Decimal] | None:
        if payload.get("status") not in statuses:
            return None
        return str(payload.get("currency") or "").upper(), Decimal(str(payload["amount"]))
    return held


def _held_credit(payload: Row) -> tuple[str, Decimal] | None:
    if payload.get("status") != "approved":
        return None
    left = Decimal(str(payload["amount"])) - Decimal(str(payload.get("applied_total") or 0))
    return (str(payload.get("currency") or "").upper(), left) if left > 0 else None
