"""Pure mapping of BoxBilling/FOSSBilling rows to core rows (catalogue, clients, staff).

Every ``map_*`` takes one source row (a dict shaped by the entity's SELECT in
:mod:`importers.boxbilling.reader`) and the :class:`~importers.base.MapContext`, and returns a
core row (ids kept), a list of :class:`~importers.base.Emit`, or raises ``MappingError`` with
the quarantine reason. ``ctx.lookups`` holds ``default_currency`` and ``currencies`` (codes).
Orders, services, invoices and tickets are in :mod:`importers.boxbilling.mapping_billing`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from importers.base import Emit, MapContext, MappingError, Row

# product_payment column prefix -> core cycle code (reference/fossbilling.md §1.2)
PERIOD_PREFIXES = {"w": "1W", "m": "1M", "q": "3M", "b": "6M", "a": "1Y", "bia": "2Y", "tria": "3Y"}
CLIENT_STATUS = {"active": "active", "suspended": "inactive", "canceled": "closed"}
PRODUCT_TYPE = {"hosting": "hosting", "domain": "domain"}
PAY_TYPES = {"free": "free", "once": "onetime", "recurrent": "recurring"}
SETUP = {"after_payment": "payment", "after_order": "order", "manual": "manual"}
PROMO_TYPES = {"percentage": "percent", "absolute": "fixed"}
# client columns without a core column: kept as client custom fields named "boxbilling:<col>"
CLIENT_EXTRA_COLUMNS = tuple(
    ["aid", "type", "gender", "birthday", "company_number", "referred_by", "document_type",
     "document_nr", "billing_email", "timezone", "ip", "api_token"]
    + [f"custom_{n}" for n in range(1, 21)]
)
FIELD_KEY = "boxbilling.client_field"


def json_value(value: Any, what: str) -> Any:
    """Decode a JSON TEXT column (None for empty); MappingError names the column."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise MappingError(f"{what} is not valid JSON: {text[:60]!r}") from exc


def currency_of(ctx: MapContext, code: Any, what: str) -> str:
    """A currency the source defines (empty = its default); MappingError for unknown codes."""
    value = ctx.text(code).strip().upper() or ctx.lookups["default_currency"]
    if value not in ctx.lookups["currencies"]:
        raise MappingError(f"{what} uses currency {value!r}, which the source does not define")
    return value


def _ids(values: Any) -> list[int]:
    return [int(v) for v in (values or []) if str(v).strip().isdigit()]


# ---------------------------------------------------------------- settings-like tables

def map_currency(row: Row, ctx: MapContext) -> Row:
    """``currency`` -> currencies; BoxBilling's ``format`` ("${{price}}") gives prefix/suffix."""
    code = ctx.text(row.get("code")).strip().upper()
    if len(code) != 3:
        raise MappingError(f"currency code {code!r} is not a 3-letter ISO code")
    fmt = ctx.text(row.get("format"))
    prefix, _, suffix = fmt.partition("{{price}}") if "{{price}}" in fmt else ("", "", "")
    return {"id": int(row["id"]), "code": code, "prefix": prefix.strip()[:16],
            "suffix": suffix.strip()[:16], "is_default": ctx.flag(row.get("is_default")),
            "rate": ctx.money(row.get("conversion_rate") or 1, "conversion_rate"), "places": 2}


def map_tax(row: Row, ctx: MapContext) -> Row:
    """``tax`` -> tax_rules (``taxrate`` is a VARCHAR percentage)."""
    return {"id": int(row["id"]), "level": int(row.get("level") or 1),
            "name": ctx.text(row.get("name")) or "Tax",
            "country": ctx.text(row.get("country")).strip().upper(),
            "state": ctx.text(row.get("state")),
            "rate": ctx.money(ctx.text(row.get("taxrate")).strip().rstrip("%"), "taxrate")}


def map_client_group(row: Row, ctx: MapContext) -> Row:
    """``client_group`` -> client_groups."""
    return {"id": int(row["id"]), "name": ctx.text(row.get("title")) or f"Group {row['id']}"}


def map_client_fields(row: Row, ctx: MapContext) -> list[Emit]:
    """Once per run: the custom field definitions that keep client columns without a core
    column (custom_1..20, document numbers, gender, birthday, ...)."""
    del row
    return [Emit("custom_fields", {"owner_type": "client", "owner_id": None,
                                   "name": f"boxbilling:{column}", "field_type": "text",
                                   "admin_only": column == "api_token", "sort_order": n},
                 key=(FIELD_KEY, column))
            for n, column in enumerate(CLIENT_EXTRA_COLUMNS)]


# ---------------------------------------------------------------- clients and staff

def _phone(row: Row, ctx: MapContext) -> str:
    cc, number = ctx.text(row.get("phone_cc")).strip(), ctx.text(row.get("phone")).strip()
    return f"+{cc.lstrip('+')}.{number}" if cc and number else number


def map_client(row: Row, ctx: MapContext) -> list[Emit]:
    """``client`` -> clients + users (the login, password hash kept) + user_clients + the
    custom field values of columns the core has no place for.

    ``client_group_id`` 0 is BoxBilling's "no group" (the Ref treats 0 as no reference).
    """
    client_id = int(row["id"])
    country = ctx.text(row.get("country")).strip().upper()
    if country and len(country) != 2:
        raise MappingError(f"country {country!r} is not an ISO 3166 alpha-2 code")
    status = ctx.text(row.get("status")) or "active"
    if status not in CLIENT_STATUS:
        raise MappingError(f"unknown client status {status!r}")
    email = ctx.text(row.get("email")).strip()
    created = ctx.utc_or_epoch(row.get("created_at"))
    group = row.get("client_group_id")
    client = {
        "id": client_id, "group_id": int(group) if group else None,
        "status": CLIENT_STATUS[status], "email": email,
        "first_name": ctx.text(row.get("first_name")), "last_name": ctx.text(row.get("last_name")),
        "company_name": ctx.text(row.get("company")), "tax_id": ctx.text(row.get("company_vat")),
        "address1": ctx.text(row.get("address_1")), "address2": ctx.text(row.get("address_2")),
        "city": ctx.text(row.get("city")), "state": ctx.text(row.get("state")),
        "postcode": ctx.text(row.get("postcode")), "country": country,
        "phone": _phone(row, ctx),
        "currency": currency_of(ctx, row.get("currency"), "the client"),
        "language": ctx.text(row.get("lang")), "notes": ctx.text(row.get("notes")),
        "tax_exempt": ctx.flag(row.get("tax_exempt")),
        "email_verified": ctx.flag(row.get("email_approved")),
        # the cached sum of the client_balance ledger, imported as credit_entries
        "credit_balance": ctx.money(row.get("balance_sum"), "balance"),
        "created_at": created, "updated_at": ctx.utc(row.get("updated_at")),
    }
    out = [Emit("clients", client)]
    if email:
        # the BoxBilling client is its own login: bcrypt or legacy sha1 hash kept as it is,
        # verified in that format at the first login and then rehashed
        out.append(Emit("users", {"id": client_id, "email": email,
                                  "password_hash": ctx.text(row.get("pass")),
                                  "first_name": client["first_name"],
                                  "last_name": client["last_name"], "created_at": created}))
        out.append(Emit("user_clients", {"user_id": client_id, "client_id": client_id,
                                         "is_owner": True, "permissions": []},
                        key=("client.owner", str(client_id))))
    for column in CLIENT_EXTRA_COLUMNS:
        value = row.get(column)
        if value is None or ctx.text(value) == "":
            continue
        # field_id 0 is a placeholder the pipeline replaces with the resolved id
        out.append(Emit("custom_field_values", {"field_id": 0, "entity_id": client_id,
                                                "value": ctx.text(value)},
                        key=(f"client.{column}", str(client_id)),
                        resolve={"field_id": (FIELD_KEY, column)}))
    return out


def map_admin(row: Row, ctx: MapContext) -> Row:
    """``admin`` -> admins; the email is the username, the password hash is kept.

    The ``cron`` role (BB, FB <= 0.8.0) and ``system_name`` accounts (FB 0.8.5) are system
    users: imported, but disabled so nobody can log in as them.
    """
    email = ctx.text(row.get("email")).strip()
    if not email:
        raise MappingError("admin has no email (BoxBilling's login name)")
    first, _, last = ctx.text(row.get("name")).strip().partition(" ")
    system = ctx.text(row.get("role")) == "cron" or bool(ctx.text(row.get("system_name")))
    return {"id": int(row["id"]), "username": email, "email": email,
            "first_name": first, "last_name": last,
            "password_hash": ctx.text(row.get("pass")), "signature": ctx.text(row.get("signature")),
            "disabled": ctx.text(row.get("status")) == "inactive" or system,
            "created_at": ctx.utc_or_epoch(row.get("created_at"))}


def map_client_balance(row: Row, ctx: MapContext) -> Row:
    """``client_balance`` -> credit_entries (the ledger; a client's credit is their sum), in
    the client's currency."""
    return {"id": int(row["id"]), "client_id": int(row["client_id"]),
            "date": ctx.utc_or_epoch(row.get("created_at")),
            "description": ctx.text(row.get("description")) or ctx.text(row.get("type")),
            "amount": ctx.money(row.get("amount")),
            "currency": currency_of(ctx, row.get("client_currency"), "the balance row")}


# ---------------------------------------------------------------- catalogue

def map_product_category(row: Row, ctx: MapContext) -> Row:
    """``product_category`` -> product_groups."""
    return {"id": int(row["id"]), "name": ctx.text(row.get("title")) or f"Group {row['id']}",
            "headline": ctx.text(row.get("description"))}


def _prices(owner_type: str, owner_id: int, row: Row, ctx: MapContext) -> list[Emit]:
    currency = ctx.lookups["default_currency"]
    kind = ctx.text(row.get("pay_type")) or "free"
    if kind == "free":
        points = [("free", Decimal(0), Decimal(0), True)]
    elif kind == "once":
        points = [("onetime", ctx.money(row.get("once_price"), "once_price"),
                   ctx.money(row.get("once_setup_price"), "once_setup_price"), True)]
    elif kind == "recurrent":
        points = [(cycle, ctx.money(row.get(f"{p}_price"), f"{p}_price"),
                   ctx.money(row.get(f"{p}_setup_price"), f"{p}_setup_price"),
                   ctx.flag(row.get(f"{p}_enabled"))) for p, cycle in PERIOD_PREFIXES.items()]
    else:
        raise MappingError(f"unknown product_payment type {kind!r}")
    return [Emit("prices", {"owner_type": owner_type, "owner_id": owner_id,
                            "currency": currency, "cycle": cycle, "amount": amount,
                            "setup_fee": setup, "enabled": enabled},
                 key=(f"product_payment.{owner_type}", f"{owner_id}:{cycle}"))
            for cycle, amount, setup, enabled in points]


def map_product(row: Row, ctx: MapContext) -> list[Emit]:
    """``product`` + its ``product_payment`` (``pay_*`` columns) -> products and prices.

    BoxBilling prices are in the default currency (converted at order time), so the price
    rows are written in the default currency. Addon products go through :func:`map_addon`.
    """
    product_id = int(row["id"])
    config = json_value(row.get("config"), "product config") or {}
    group = row.get("product_category_id")
    product = {
        "id": product_id, "group_id": int(group) if group else None,
        "type": PRODUCT_TYPE.get(ctx.text(row.get("type")), "other"),
        "name": ctx.text(row.get("title")) or f"Product {product_id}",
        "slug": ctx.text(row.get("slug")), "description": ctx.text(row.get("description")),
        "pay_type": PAY_TYPES.get(ctx.text(row.get("pay_type")) or "free", "free"),
        "hidden": ctx.flag(row.get("hidden")) or not ctx.flag(row.get("active")),
        "retired": ctx.text(row.get("status")) == "disabled",
        "auto_setup": SETUP.get(ctx.text(row.get("setup")), "payment"),
        "module": ctx.text(row.get("type")),
        "module_config": config if isinstance(config, dict) else {"config": config},
        "stock_control": ctx.flag(row.get("stock_control")),
        "stock_quantity": int(row.get("quantity_in_stock") or 0),
        "allow_quantity": 1 if ctx.flag(row.get("allow_quantity_select")) else 0,
        "upgrade_product_ids": _ids(json_value(row.get("upgrades"), "product upgrades")),
        "sort_order": int(row.get("priority") or 0),
        "created_at": ctx.utc_or_epoch(row.get("created_at")),
    }
    return [Emit("products", product), *_prices("product", product_id, row, ctx)]


def map_addon(row: Row, ctx: MapContext) -> list[Emit]:
    """An addon ``product`` (``is_addon=1``) -> addons, prices and addon_products links."""
    addon_id = int(row["id"])
    addon = {"id": addon_id, "name": ctx.text(row.get("title")) or f"Addon {addon_id}",
             "description": ctx.text(row.get("description")),
             "hidden": ctx.flag(row.get("hidden")) or not ctx.flag(row.get("active")),
             "retired": ctx.text(row.get("status")) == "disabled",
             "auto_activate": ctx.text(row.get("setup")) != "manual"}
    # the parents that offer the addon list it in their product.addons JSON (read in prepare);
    # a parent that was quarantined or deleted is skipped by the writer
    links = [Emit("addon_products", {"addon_id": addon_id, "product_id": parent})
             for parent in dict.fromkeys(ctx.lookups.get("addon_parents", {}).get(addon_id, []))]
    return [Emit("addons", addon), *_prices("addon", addon_id, row, ctx), *links]


def map_promo(row: Row, ctx: MapContext) -> Row:
    """``promo`` -> promotions (products/periods are JSON lists)."""
    kind = ctx.text(row.get("type"))
    if kind not in PROMO_TYPES:
        raise MappingError(f"promo type {kind!r} has no core equivalent")
    periods = json_value(row.get("periods"), "promo periods") or []
    return {"id": int(row["id"]), "code": ctx.text(row.get("code")), "type": PROMO_TYPES[kind],
            "value": ctx.money(row.get("value"), "value"), "currency": None,
            "recurring": ctx.flag(row.get("recurring")), "cycles": [str(p) for p in periods],
            "product_ids": _ids(json_value(row.get("products"), "promo products")),
            "starts_at": ctx.utc(row.get("start_at")), "expires_at": ctx.utc(row.get("end_at")),
            "max_uses": int(row.get("maxuses") or 0), "uses": int(row.get("used") or 0),
            "once_per_client": ctx.flag(row.get("once_per_client")),
            "active": ctx.flag(row.get("active")), "notes": ctx.text(row.get("description")),
            "created_at": ctx.utc_or_epoch(row.get("created_at"))}


def map_server(row: Row, ctx: MapContext) -> Row:
    """``service_hosting_server`` -> servers. BoxBilling keeps panel credentials in plain text;
    they are encrypted with our install key here."""
    ips = json_value(row.get("assigned_ips"), "assigned_ips") or []
    port = ctx.text(row.get("port")).strip()
    config = json_value(row.get("config"), "server config") or {}
    return {"id": int(row["id"]), "name": ctx.text(row.get("name")) or f"Server {row['id']}",
            "module": ctx.text(row.get("manager")).lower(),
            "hostname": ctx.text(row.get("hostname")), "ip_address": ctx.text(row.get("ip")),
            "assigned_ips": [str(ip) for ip in ips] if isinstance(ips, list) else [],
            "port": int(port) if port.isdigit() else None, "secure": ctx.flag(row.get("secure")),
            "username": ctx.text(row.get("username")),
            "password_enc": ctx.encrypt(ctx.text(row.get("password"))),
            "access_hash_enc": ctx.encrypt(ctx.text(row.get("accesshash"))),
            "nameservers": [ctx.text(row[f"ns{n}"]) for n in range(1, 5) if row.get(f"ns{n}")],
            "max_accounts": int(row.get("max_accounts") or 0),
            "status_url": ctx.text(row.get("status_url")),
            "config": config if isinstance(config, dict) else {},
            "active": ctx.flag(row.get("active"))}


def map_helpdesk(row: Row, ctx: MapContext) -> Row:
    """``support_helpdesk`` -> ticket_departments."""
    return {"id": int(row["id"]), "name": ctx.text(row.get("name")) or f"Helpdesk {row['id']}",
            "email": ctx.text(row.get("email")),
            "auto_close_hours": int(row.get("close_after") or 0)}


def map_tld(row: Row, ctx: MapContext) -> list[Emit]:
    """``tld`` (+ its registrar) -> tlds + yearly register/transfer/renew prices in the
    default currency (BoxBilling prices domains per year)."""
    extension = ctx.text(row.get("tld")).strip().lower()
    if not extension.startswith(".") or len(extension) < 2:
        raise MappingError(f"TLD {extension!r} does not look like '.com'")
    tld_id = int(row["id"])
    tld = {"id": tld_id, "extension": extension,
           "registrar": ctx.text(row.get("registrar_name")).lower(),
           "sort_order": tld_id}
    prices = [Emit("prices", {"owner_type": f"tld_{kind}", "owner_id": tld_id,
                              "currency": ctx.lookups["default_currency"], "cycle": "1Y",
                              "amount": ctx.money(row.get(column), column),
                              "setup_fee": Decimal(0),
                              "enabled": ctx.flag(row.get("active")) and (
                                  kind == "renew" or ctx.flag(row.get(f"allow_{kind}")))},
                  key=(f"tld.{kind}", str(tld_id)))
              for kind, column in (("register", "price_registration"),
                                   ("transfer", "price_transfer"), ("renew", "price_renew"))]
    return [Emit("tlds", tld), *prices]
