"""The BoxBilling/FOSSBilling importer: version check, lookups and the entity list.

``bridge import boxbilling --source mysql+pymysql://... [--config-file bb-config.php]``. The
salt (``--key``) is only needed for values BoxBilling encrypted (module configs); panel
credentials and service passwords are plain text in the source and sealed with our key here.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

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
from .source import SourceError, detect_version, read_config_file

_TXN_AMOUNT_OK = r"t.amount REGEXP '^ *-?[0-9]+(\\.[0-9]+)? *$'"


def _is_addon(row: Row) -> bool:
    return bool(row.get("product_is_addon"))


class Importer(SourceImporter):
    """BoxBilling 4.x and FOSSBilling 0.5-0.8.5 (detected from ``setting.last_patch``)."""

    source = "boxbilling"

    def __init__(self, *, key: str = "", timezone: str = "UTC") -> None:
        """``key`` is the install salt; ``timezone`` the zone BoxBilling wrote dates in."""
        super().__init__(key=key, timezone=timezone)
        self.default_currency = "USD"

    def detect_version(self, conn: Connection) -> str:
        """``<product> <release> (last_patch N)``; refuses databases without BB tables."""
        tables = r.table_names(conn)
        if "client_order" not in tables or "invoice_item" not in tables:
            raise UnsupportedSource("this database has no client_order/invoice_item tables: it "
                                    "is not a BoxBilling or FOSSBilling database")
        try:
            return detect_version(r.last_patch(conn), has_forum_table="forum" in tables).label
        except SourceError as exc:
            raise UnsupportedSource(str(exc)) from exc

    def check_version(self, version: str) -> None:
        """:meth:`detect_version` already refused unknown releases; nothing else to check."""
        if not version.startswith(("BoxBilling", "FOSSBilling")):
            raise UnsupportedSource(f"unsupported BoxBilling/FOSSBilling version {version!r}")

    def prepare(self, conn: Connection, ctx: MapContext) -> None:
        """Currencies (default + defined codes) and addon -> parent product links."""
        default, codes = r.currencies(conn)
        self.default_currency = default
        ctx.lookups.update(default_currency=default, currencies=codes,
                           addon_parents=r.addon_parents(conn))

    @classmethod
    def parse_config_file(cls, path: Path) -> SourceConfig:
        """``bb-config.php`` (BoxBilling) or ``config.php`` (FOSSBilling)."""
        try:
            config = read_config_file(path)
        except SourceError as exc:
            raise ValueError(str(exc)) from exc
        return SourceConfig(key=config.salt, timezone=config.timezone, url=config.database_url)

    def entities(self) -> list[Entity]:
        """Catalogue and people first, then orders, billing, support and history."""
        return [*self._base_entities(), *self._order_entities(), *self._billing_entities(),
                *self._support_entities()]

    def _base_entities(self) -> list[Entity]:
        return [
            Entity("currencies", "currency", "currencies", m.map_currency),
            Entity("taxes", "tax", "tax_rules", m.map_tax),
            Entity("client_groups", "client_group", "client_groups", m.map_client_group),
            Entity("client_fields", "setting", "custom_fields", m.map_client_fields,
                   where="t.param = 'last_patch'"),
            Entity("clients", "client", "clients", m.map_client,
                   columns="t.*, (SELECT COALESCE(SUM(b.amount), 0) FROM client_balance b "
                           "WHERE b.client_id = t.id) AS balance_sum",
                   refs=[Ref("client_group_id", "client_groups")]),
            Entity("staff", "admin", "admins", m.map_admin),
            Entity("product_groups", "product_category", "product_groups",
                   m.map_product_category),
            Entity("products", "product", "products", m.map_product, columns=r.PRODUCT_COLUMNS,
                   joins=r.PRODUCT_JOIN, where="COALESCE(t.is_addon, 0) = 0",
                   refs=[Ref("product_category_id", "product_groups", missing="null")]),
            Entity("addons", "product", "addons", m.map_addon, columns=r.PRODUCT_COLUMNS,
                   joins=r.PRODUCT_JOIN, where="t.is_addon = 1"),
            Entity("promotions", "promo", "promotions", m.map_promo),
            Entity("servers", "service_hosting_server", "servers", m.map_server),
            Entity("tlds", "tld", "tlds", m.map_tld,
                   columns="t.*, tr.registrar AS registrar_name",
                   joins="LEFT JOIN tld_registrar tr ON tr.id = t.tld_registrar_id"),
        ]

    def _order_entities(self) -> list[Entity]:
        client = Ref("client_id", "clients")
        return [
            Entity("orders", "client_order", "orders", b.map_order, columns=r.ORDER_COLUMNS,
                   joins=r.ORDER_JOINS, where=r.PLAIN_ORDER_WHERE,
                   refs=[client, Ref("product_id", "products"),
                         Ref("promo_id", "promotions", missing="null"),
                         Ref("sh_server_id", "servers", missing="null")]),
            Entity("order_addons", "client_order", "orders", b.map_addon_order,
                   columns=r.ADDON_ORDER_COLUMNS, joins=r.ADDON_ORDER_JOINS,
                   where=r.ADDON_ORDER_WHERE,
                   refs=[client, Ref("product_id", "addons"), Ref("master_order_id", "services"),
                         Ref("promo_id", "promotions", missing="null")]),
        ]

    def _billing_entities(self) -> list[Entity]:
        dc = self.default_currency
        return [
            Entity("invoices", "invoice", "invoices", b.map_invoice, columns=r.INVOICE_COLUMNS,
                   joins="LEFT JOIN pay_gateway g ON g.id = t.gateway_id",
                   refs=[Ref("client_id", "clients")], money=self._invoice_checks(dc)),
            Entity("invoice_items", "invoice_item", "invoice_items", b.map_invoice_item,
                   columns=r.INVOICE_ITEM_COLUMNS, joins=r.INVOICE_ITEM_JOINS,
                   refs=[Ref("invoice_id", "invoices"),
                         Ref("order_ref", "services", missing="null",
                             when=lambda row: row.get("order_kind") == "service"),
                         Ref("order_ref", "domains", missing="null",
                             when=lambda row: row.get("order_kind") == "domain"),
                         Ref("order_ref", "service_addons", missing="null",
                             when=lambda row: row.get("order_kind") == "addon")]),
            Entity("transactions", "transaction", "transactions", b.map_transaction,
                   columns=r.TRANSACTION_COLUMNS, joins=r.TRANSACTION_JOINS,
                   refs=[Ref("invoice_id", "invoices", missing="null"),
                         Ref("invoice_client_id", "clients", missing="null")],
                   money=[self._txn_check("payment", dc), self._txn_check("refund", dc)]),
            Entity("credit", "client_balance", "credit_entries", m.map_client_balance,
                   columns="t.*, c.currency AS client_currency",
                   joins="LEFT JOIN client c ON c.id = t.client_id",
                   refs=[Ref("client_id", "clients")],
                   money=[MoneyCheck("credit ledger", r.balance_sum_sql(dc),
                                     "SELECT currency, SUM(amount) FROM credit_entries "
                                     "GROUP BY currency", _held_balance)]),
        ]

    def _invoice_checks(self, dc: str) -> list[MoneyCheck]:
        checks = []
        for status, status_sql in r.INVOICE_STATUS_SQL.items():
            checks.append(MoneyCheck(
                f"invoices {status}", r.invoice_total_sql(status_sql, dc),
                f"SELECT currency, SUM(total) FROM invoices WHERE status = '{status}' "
                "GROUP BY currency", _held_invoice_total(status, dc)))
        return checks

    def _txn_check(self, kind: str, dc: str) -> MoneyCheck:
        column = "amount_in" if kind == "payment" else "amount_out"
        source_sql = r.transaction_sum_sql(kind, dc).replace(
            "GROUP BY cur", f"AND {_TXN_AMOUNT_OK} GROUP BY cur")
        return MoneyCheck(f"{kind}s", source_sql,
                          f"SELECT currency, SUM({column}) FROM transactions WHERE kind = "
                          f"'{kind}' AND status = 'completed' GROUP BY currency",
                          _held_transaction(kind, dc))

    def _support_entities(self) -> list[Entity]:
        admin_or_null = Ref("admin_id", "admins", missing="null")
        return [
            Entity("departments", "support_helpdesk", "ticket_departments", m.map_helpdesk),
            Entity("tickets", "support_ticket", "tickets", b.map_ticket,
                   refs=[Ref("support_helpdesk_id", "ticket_departments"),
                         Ref("client_id", "clients")]),
            Entity("ticket_messages", "support_ticket_message", "ticket_messages",
                   b.map_ticket_message,
                   refs=[Ref("support_ticket_id", "tickets"), admin_or_null,
                         Ref("client_id", "clients", missing="null")]),
            Entity("ticket_notes", "support_ticket_note", "ticket_notes", b.map_ticket_note,
                   refs=[Ref("support_ticket_id", "tickets"), admin_or_null]),
            Entity("guest_tickets", "support_p_ticket", "tickets", b.map_guest_ticket,
                   columns="t.*, (SELECT MIN(h.id) FROM support_helpdesk h) "
                           "AS default_department_id",
                   refs=[Ref("default_department_id", "ticket_departments")], optional=True),
            Entity("guest_ticket_messages", "support_p_ticket_message", "ticket_messages",
                   b.map_guest_ticket_message,
                   columns=f"t.*, p.author_name, p.author_email, "
                           f"t.support_p_ticket_id + {b.GUEST_ID_OFFSET} AS guest_ticket_ref",
                   joins="LEFT JOIN support_p_ticket p ON p.id = t.support_p_ticket_id",
                   refs=[Ref("guest_ticket_ref", "tickets"), admin_or_null], optional=True),
            Entity("activity", "activity_system", "activity_log", b.map_activity,
                   refs=[Ref("client_id", "clients", missing="null"),
                         Ref("admin_id", "admins", missing="null")]),
            Entity("client_logins", "activity_client_history", "activity_log",
                   b.map_client_login, refs=[Ref("client_id", "clients", missing="null")]),
        ]


def _held_balance(payload: Row) -> tuple[str, Decimal] | None:
    currency = str(payload.get("client_currency") or "").upper()
    if not currency:
        return None  # orphan row: the source total (joined to its client) leaves it out too
    return currency, Decimal(str(payload.get("amount") or 0))


def _held_invoice_total(status: str, dc: str) -> Any:
    def held(payload: Row) -> tuple[str, Decimal] | None:
        source_status = payload.get("status") or "unpaid"
        approved = str(payload.get("approved") or "0") not in ("0", "False")
        core = {"paid": "paid", "refunded": "refunded", "canceled": "cancelled"}.get(
            source_status, "unpaid" if approved else "draft")
        if core != status:
            return None
        try:
            rate = Decimal(str(payload.get("taxrate") or "0").strip() or "0")
            items = [p.split(":") for p in str(payload.get("item_list") or "").split(";") if p]
            total = sum((Decimal(pr) * int(q) + (b.php_round(Decimal(pr) * rate / 100) * int(q)
                                                 if tx == "1" else Decimal(0))
                         for pr, q, tx in items), Decimal(0))
        except (ArithmeticError, ValueError):
            return None
        return (str(payload.get("currency") or dc).upper(), total)
    return held


def _held_transaction(kind: str, dc: str) -> Any:
    def held(payload: Row) -> tuple[str, Decimal] | None:
        if payload.get("type") != kind or payload.get("status") not in ("approved", "processed"):
            return None
        try:
            amount = abs(Decimal(str(payload.get("amount") or "").strip()))
        except ArithmeticError:
            return None
        currency = payload.get("currency") or payload.get("invoice_currency") or dc
        return (str(currency).upper(), amount)
    return held
