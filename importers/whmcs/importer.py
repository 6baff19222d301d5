"""The WHMCS 8.x importer: version check, lookups, and the entities in dependency order with
their references and money reconciliation (docs/importers/whmcs.md has the mapping table)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from sqlalchemy import Connection

from importers.base import (
    Entity,
    MapContext,
    MoneyCheck,
    Ref,
    SourceConfig,
    SourceImporter,
    UnsupportedSource,
)
from importers.whmcs import mapping as m
from importers.whmcs import mapping_billing as b
from importers.whmcs import mapping_extra as x
from importers.whmcs import paymethods as pm
from importers.whmcs import reader as r

SUPPORTED_MAJOR = 8
# the currency of a row whose client has none (or no client): the default, as in read_currencies
DEFAULT_CODE = "(SELECT code FROM tblcurrencies ORDER BY `default` DESC, id LIMIT 1)"


def _client_currency(col: str) -> dict[str, Any]:
    return {"columns": r.CLIENT_CURRENCY_COLUMNS, "joins": r.CLIENT_CURRENCY.format(col=col)}


def _money_sql(table: str, client_col: str, amount: str, *, own_currency: bool = False,
               extra_key: str = "") -> str:
    currency_id = "CASE WHEN t.currency <> 0 THEN t.currency ELSE c.currency END" if (
        own_currency) else "c.currency"
    key = f", {extra_key}" if extra_key else ""
    return (
        f"SELECT COALESCE(cur.code, {DEFAULT_CODE}) AS code{key}, SUM({amount}) FROM {table} t"
        f" LEFT JOIN tblclients c ON c.id = t.{client_col}"
        f" LEFT JOIN tblcurrencies cur ON cur.id = {currency_id}"
        f" GROUP BY code{key}"
    )


STATUS_SQL = "LOWER(REPLACE(REPLACE(t.status, ' ', '_'), '-', '_'))"


class Importer(SourceImporter):
    """WHMCS 8.x (tested with the 8.4.0 schema)."""

    source = "whmcs"
    batch_size = 2000

    def detect_version(self, conn: Connection) -> str:
        """``tblconfiguration.Version``."""
        return r.read_version(conn)

    def check_version(self, version: str) -> None:
        """WHMCS 8.x only: v8 moved logins to tblusers, which this mapping relies on."""
        major = version.split(".", 1)[0]
        if not major.isdigit() or int(major) != SUPPORTED_MAJOR:
            raise UnsupportedSource(
                f"WHMCS version {version!r} is not supported: this importer maps WHMCS 8.x "
                "(tested with 8.4.0)")

    def prepare(self, conn: Connection, ctx: MapContext) -> None:
        """Currencies, admin names (ticket replies name staff) and duplicated gateway ids."""
        codes, default = r.read_currencies(conn)
        ctx.lookups["currencies"] = codes
        ctx.lookups["default_currency"] = default
        ctx.lookups["admins"] = r.read_admin_names(conn)
        ctx.lookups["duplicate_txn"] = r.read_duplicate_transids(conn)
        self._codes, self._default = codes, default

    def _held(self, amount: str, *, status: bool = False, own: bool = False) -> Any:
        """Money of a quarantined payload: (currency[ status], amount)."""
        def held(payload: dict[str, Any]) -> tuple[str, Decimal]:
            currency_id = payload.get("currency") if own and str(
                payload.get("currency") or "0") != "0" else payload.get("_currency_id")
            code = r.currency_of({"x": currency_id}, self._codes, self._default, "x")
            key = f"{code} {m.slug_status(payload.get('status'))}" if status else code
            return key, r.amount_of(payload, amount)
        return held

    def entities(self) -> list[Entity]:
        """Every mapped WHMCS table, parents before children."""
        orphan = Ref  # missing parent -> the row is quarantined
        def soft(col: str, table: str, **kw: Any) -> Ref:
            return Ref(col, table, missing="null", **kw)

        invoices_money = [
            MoneyCheck("invoice totals by status",
                       _money_sql("tblinvoices", "userid", "t.total", extra_key=STATUS_SQL),
                       "SELECT currency, status, SUM(total - credit_applied) FROM invoices"
                       " GROUP BY currency, status",
                       self._held("total", status=True)),
        ]
        tx_money = [
            MoneyCheck("payments in", _money_sql("tblaccounts", "userid", "t.amountin",
                                                 own_currency=True),
                       "SELECT currency, SUM(amount_in) FROM transactions GROUP BY currency",
                       self._held("amountin", own=True)),
            MoneyCheck("refunds / money out", _money_sql("tblaccounts", "userid", "t.amountout",
                                                         own_currency=True),
                       "SELECT currency, SUM(amount_out) FROM transactions GROUP BY currency",
                       self._held("amountout", own=True)),
        ]
        return [
            Entity("currencies", "tblcurrencies", "currencies", m.map_currency),
            Entity("tax_rules", "tbltax", "tax_rules", m.map_tax),
            Entity("client_groups", "tblclientgroups", "client_groups", m.map_client_group),
            Entity("admin_roles", "tbladminroles", "admin_roles", m.map_admin_role),
            Entity("admins", "tbladmins", "admins", m.map_admin,
                   refs=[soft("roleid", "admin_roles")]),
            Entity("clients", "tblclients", "clients", m.map_client,
                   refs=[soft("groupid", "client_groups")],
                   money=[MoneyCheck(
                       "credit balances",
                       "SELECT COALESCE(cur.code, " + DEFAULT_CODE + ") AS code, SUM(t.credit)"
                       " FROM tblclients t LEFT JOIN tblcurrencies cur ON cur.id = t.currency"
                       " GROUP BY code",
                       "SELECT currency, SUM(credit_balance) FROM clients GROUP BY currency",
                       self._held_client_credit)]),
            Entity("contacts", "tblcontacts", "contacts", m.map_contact,
                   refs=[orphan("userid", "clients")]),
            Entity("users", "tblusers", "users", m.map_user),
            Entity("user_clients", "tblusers_clients", "user_clients", m.map_user_client,
                   refs=[orphan("auth_user_id", "users"), orphan("client_id", "clients")]),
            Entity("client_notes", "tblnotes", "client_notes", m.map_client_note,
                   refs=[orphan("userid", "clients"), soft("adminid", "admins")]),
            Entity("pay_methods", "tblpaymethods", "pay_methods", pm.map_pay_method,
                   columns=r.PAY_METHOD_COLUMNS, joins=r.PAY_METHOD_JOINS,
                   refs=[orphan("userid", "clients"),
                         soft("contact_id", "contacts",
                              when=lambda x: str(x["contact_type"]).lower() == "contact")]),
            Entity("custom_fields", "tblcustomfields", "custom_fields", b.map_custom_field),
            Entity("product_groups", "tblproductgroups", "product_groups", m.map_product_group),
            Entity("server_groups", "tblservergroups", "server_groups", m.map_server_group),
            Entity("servers", "tblservers", "servers", m.map_server, columns=r.SERVER_COLUMNS),
            Entity("products", "tblproducts", "products", m.map_product,
                   refs=[soft("gid", "product_groups"), soft("servergroup", "server_groups")]),
            Entity("config_groups", "tblproductconfiggroups", "config_option_groups",
                   m.map_config_group),
            Entity("config_options", "tblproductconfigoptions", "config_options",
                   m.map_config_option, refs=[orphan("gid", "config_option_groups")]),
            Entity("config_values", "tblproductconfigoptionssub", "config_option_values",
                   m.map_config_value, refs=[orphan("configid", "config_options")]),
            Entity("config_links", "tblproductconfiglinks", "config_group_products",
                   m.map_config_link,
                   refs=[orphan("gid", "config_option_groups"), orphan("pid", "products")]),
            Entity("addons", "tbladdons", "addons", m.map_addon),
            Entity("promotions", "tblpromotions", "promotions", m.map_promotion),
            Entity("tlds", "tbldomainpricing", "tlds", m.map_tld),
            Entity("pricing", "tblpricing", "prices", m.map_pricing,
                   columns=r.PRICING_COLUMNS, joins=r.PRICING_JOINS,
                   where="t.type IN ('product', 'addon', 'configoptions', 'domainregister',"
                         " 'domaintransfer', 'domainrenew')",
                   refs=[orphan("relid", "products", when=lambda x: x["type"] == "product"),
                         orphan("relid", "addons", when=lambda x: x["type"] == "addon"),
                         orphan("relid", "config_option_values",
                                when=lambda x: x["type"] == "configoptions"),
                         orphan("relid", "tlds", when=lambda x: str(x["type"]).startswith(
                             "domain"))]),
            Entity("invoices", "tblinvoices", "invoices", b.map_invoice,
                   columns=r.INVOICE_COLUMNS, joins=r.CLIENT_CURRENCY.format(col="userid"),
                   refs=[orphan("userid", "clients")], money=invoices_money),
            Entity("orders", "tblorders", "orders", b.map_order,
                   **_client_currency("userid"),
                   refs=[orphan("userid", "clients"), soft("invoiceid", "invoices")]),
            Entity("services", "tblhosting", "services", b.map_service,
                   **_client_currency("userid"),
                   refs=[orphan("userid", "clients"), orphan("packageid", "products"),
                         soft("orderid", "orders"), soft("server", "servers"),
                         soft("promoid", "promotions")]),
            Entity("service_options", "tblhostingconfigoptions", "service_config_options",
                   b.map_service_option,
                   refs=[orphan("relid", "services"), orphan("configid", "config_options"),
                         soft("optionid", "config_option_values")]),
            Entity("service_addons", "tblhostingaddons", "service_addons", b.map_service_addon,
                   **_client_currency("userid"),
                   refs=[orphan("hostingid", "services"), orphan("userid", "clients"),
                         soft("addonid", "addons"), soft("orderid", "orders"),
                         soft("server", "servers")]),
            Entity("domains", "tbldomains", "domains", b.map_domain, **_client_currency("userid"),
                   refs=[orphan("userid", "clients"), soft("orderid", "orders"),
                         soft("promoid", "promotions")]),
            Entity("cancel_requests", "tblcancelrequests", "cancellation_requests",
                   x.map_cancel_request, columns=r.CANCEL_REQUEST_COLUMNS,
                   joins=r.CANCEL_REQUEST_JOINS, refs=[orphan("relid", "services")]),
            Entity("domain_fields", "tbldomainsadditionalfields", "domain_fields",
                   x.map_domain_field, refs=[orphan("domainid", "domains")]),
            Entity("billable_items", "tblbillableitems", "billable_items", x.map_billable_item,
                   **_client_currency("userid"), refs=[orphan("userid", "clients")],
                   money=[MoneyCheck(
                       "billable items", _money_sql("tblbillableitems", "userid", "t.amount"),
                       "SELECT currency, SUM(unit_amount * quantity) FROM billable_items"
                       " GROUP BY currency", self._held("amount"))]),
            Entity("affiliates", "tblaffiliates", "affiliates", x.map_affiliate,
                   **_client_currency("clientid"), refs=[orphan("clientid", "clients")],
                   money=[MoneyCheck(
                       "affiliate balances", _money_sql("tblaffiliates", "clientid",
                                                        "t.balance"),
                       "SELECT currency, SUM(balance) FROM affiliates GROUP BY currency",
                       self._held("balance"))]),
            Entity("custom_values", "tblcustomfieldsvalues", "custom_field_values",
                   b.map_custom_value, refs=[orphan("fieldid", "custom_fields")]),
            Entity("invoice_items", "tblinvoiceitems", "invoice_items", b.map_invoice_item,
                   refs=[orphan("invoiceid", "invoices"),
                         soft("relid", "services", when=_links("service_id")),
                         soft("relid", "service_addons", when=_links("service_addon_id")),
                         soft("relid", "domains", when=_links("domain_id"))]),
            Entity("quotes", "tblquotes", "quotes", x.map_quote, **_client_currency("userid"),
                   refs=[orphan("userid", "clients")],
                   money=[MoneyCheck(
                       "quote totals", _money_sql("tblquotes", "userid", "t.total",
                                                  own_currency=True),
                       "SELECT currency, SUM(total) FROM quotes GROUP BY currency",
                       self._held("total", own=True))]),
            Entity("quote_items", "tblquoteitems", "quote_items", x.map_quote_item,
                   refs=[orphan("quoteid", "quotes")]),
            Entity("transactions", "tblaccounts", "transactions", b.map_transaction,
                   **_client_currency("userid"),
                   refs=[soft("userid", "clients"), soft("invoiceid", "invoices"),
                         soft("refundid", "transactions")], money=tx_money),
            Entity("credit", "tblcredit", "credit_entries", b.map_credit,
                   **_client_currency("clientid"),
                   refs=[orphan("clientid", "clients"), soft("relid", "invoices"),
                         soft("admin_id", "admins")],
                   money=[MoneyCheck(
                       "credit ledger", _money_sql("tblcredit", "clientid", "t.amount"),
                       "SELECT currency, SUM(amount) FROM credit_entries GROUP BY currency",
                       self._held("amount"))]),
            Entity("departments", "tblticketdepartments", "ticket_departments",
                   b.map_department),
            Entity("ticket_statuses", "tblticketstatuses", "ticket_statuses",
                   x.map_ticket_status),
            Entity("tickets", "tbltickets", "tickets", b.map_ticket, columns=r.TICKET_COLUMNS,
                   refs=[orphan("did", "ticket_departments"), soft("userid", "clients"),
                         soft("contactid", "contacts"), soft("requestor_id", "users"),
                         soft("_service_id", "services"), soft("_domain_id", "domains"),
                         soft("flag", "admins"), soft("merged_ticket_id", "tickets")]),
            Entity("ticket_replies", "tblticketreplies", "ticket_messages", b.map_reply,
                   refs=[orphan("tid", "tickets"), soft("userid", "clients"),
                         soft("contactid", "contacts")]),
            Entity("ticket_notes", "tblticketnotes", "ticket_notes", b.map_ticket_note,
                   refs=[orphan("ticketid", "tickets")]),
            Entity("activity", "tblactivitylog", "activity_log", b.map_activity, optional=True),
        ]

    def _held_client_credit(self, payload: dict[str, Any]) -> tuple[str, Decimal]:
        code = r.currency_of(payload, self._codes, self._default, "currency")
        return code, r.amount_of(payload, "credit")

    @classmethod
    def parse_config_file(cls, path: Path) -> SourceConfig:
        """WHMCS ``configuration.php``: ``$cc_encryption_hash``, ``$db_*`` and the timezone."""
        return parse_configuration_php(path.read_text(encoding="utf-8", errors="replace"))


def _links(column: str) -> Any:
    return lambda row: b.SERVICE_LINKS.get(str(row["type"] or "").strip().lower()) == column


_ASSIGN = re.compile(r"""\$(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(\d+))\s*;""")
_TZ = re.compile(r"""date_default_timezone_set\(\s*['"]([^'"]+)['"]\s*\)""")


def parse_configuration_php(source: str) -> SourceConfig:
    """Read the literal assignments of a WHMCS ``configuration.php`` (no PHP is executed)."""
    values: dict[str, str] = {}
    for match in _ASSIGN.finditer(source):
        raw = next(g for g in match.groups()[1:] if g is not None)
        values[match.group(1)] = re.sub(r"\\(.)", r"\1", raw)
    if "cc_encryption_hash" not in values:
        raise ValueError("no $cc_encryption_hash assignment found (is this configuration.php?)")
    url = ""
    if values.get("db_name"):
        host = values.get("db_host") or "localhost"
        port = f":{values['db_port']}" if values.get("db_port") else ""
        user = quote_plus(values.get("db_username", ""))
        password = quote_plus(values.get("db_password", ""))
        url = (f"mysql+pymysql://{user}:{password}@{host}{port}/{values['db_name']}"
               "?charset=utf8mb4")
    tz = _TZ.search(source)
    return SourceConfig(key=values["cc_encryption_hash"], timezone=tz.group(1) if tz else "",
                        url=url)
