"""Pure mappings of WHMCS 8.x rows to core rows: accounts, catalogue and servers.

Every function takes the source row (``dict``, joined helper columns start with ``_``) and the
:class:`~importers.base.MapContext` and returns core column values (ids kept), a list of
:class:`~importers.base.Emit`, or a :class:`~importers.base.Quarantine`.  WHMCS stores many
strings HTML-entity encoded, so names and descriptions go through ``ctx.text(..., unescape=True)``.
"""

from __future__ import annotations

from typing import Any

from bridge.security import whmcs_legacy_decrypt
from importers.base import Emit, MapContext, MappingError, Output, Row

# WHMCS billing cycle words -> core cycle codes
CYCLES = {
    "monthly": "1M", "quarterly": "3M", "semi-annually": "6M", "semiannually": "6M",
    "annually": "1Y", "biennially": "2Y", "triennially": "3Y",
    "one time": "onetime", "onetime": "onetime", "free account": "free", "free": "free",
}
# tblpricing columns: (recurring price, setup fee, core cycle)
PRICE_COLUMNS = (
    ("monthly", "msetupfee", "1M"), ("quarterly", "qsetupfee", "3M"),
    ("semiannually", "ssetupfee", "6M"), ("annually", "asetupfee", "1Y"),
    ("biennially", "bsetupfee", "2Y"), ("triennially", "tsetupfee", "3Y"),
)
# domain pricing rows hold years 1..10 in these columns (whmcs.md §3.4)
DOMAIN_YEAR_COLUMNS = (
    "msetupfee", "qsetupfee", "ssetupfee", "asetupfee", "bsetupfee",
    "monthly", "quarterly", "semiannually", "annually", "biennially",
)
PRICE_OWNERS = {
    "product": "product", "addon": "addon", "configoptions": "config_option_value",
    "domainregister": "tld_register", "domaintransfer": "tld_transfer",
    "domainrenew": "tld_renew",
}
PRODUCT_TYPES = {"hostingaccount": "hosting", "reselleraccount": "reseller",
                 "server": "server", "other": "other"}
AUTO_SETUP = {"": "", "on": "manual", "order": "order", "payment": "payment"}
OPTION_TYPES = {"1": "select", "2": "radio", "3": "yesno", "4": "quantity"}
PROMO_TYPES = {"percentage": "percent", "fixed amount": "fixed",
               "price override": "price_override", "free setup": "free_setup"}


def cycle(value: Any) -> str:
    """A WHMCS billing cycle word as a core cycle code (unknown words are mapping errors)."""
    word = str(value or "").strip().lower()
    if word not in CYCLES:
        raise MappingError(f"unknown billing cycle {value!r}")
    return CYCLES[word]


def slug_status(value: Any) -> str:
    """``Payment Pending`` -> ``payment_pending``, ``Customer-Reply`` -> ``customer_reply``."""
    return str(value or "").strip().lower().replace("-", "_").replace(" ", "_")


def currency_code(ctx: MapContext, currency_id: Any) -> str:
    """The ISO code of a tblcurrencies id; 0/unknown ids fall back to the default currency."""
    codes: dict[int, str] = ctx.lookups["currencies"]
    code = codes.get(ctx.int(currency_id)) or ctx.lookups.get("default_currency")
    if not code:
        raise MappingError(f"currency {currency_id!r} unknown and no default currency")
    return str(code)


def decrypt(ctx: MapContext, value: Any, what: str) -> str:
    """A WHMCS legacy-encrypted value re-encrypted with our install key ("" stays "")."""
    text = ctx.text(value)
    if not text.strip():
        return ""
    if not ctx.key:
        raise MappingError(f"{what} is encrypted and no --key (cc_encryption_hash) was given")
    return ctx.encrypt(whmcs_legacy_decrypt(text, ctx.key))


def _id_or_none(ctx: MapContext, value: Any) -> int | None:
    number = ctx.int(value)
    return number or None


def _csv_ints(value: Any) -> list[int]:
    return [int(p) for p in str(value or "").replace(" ", "").split(",") if p.isdigit()]


# ---------------------------------------------------------------- settings and accounts


def map_currency(row: Row, ctx: MapContext) -> Output:
    """tblcurrencies -> currencies."""
    return {"id": row["id"], "code": ctx.text(row["code"]).strip().upper(),
            "prefix": ctx.text(row["prefix"]), "suffix": ctx.text(row["suffix"]),
            "format": ctx.int(row["format"]) or 1, "rate": ctx.money(row["rate"], "rate"),
            "is_default": ctx.flag(row["default"])}


def map_tax(row: Row, ctx: MapContext) -> Output:
    """tbltax -> tax_rules."""
    return {"id": row["id"], "level": ctx.int(row["level"]) or 1,
            "name": ctx.text(row["name"], unescape=True), "country": ctx.text(row["country"]),
            "state": ctx.text(row["state"]), "rate": ctx.money(row["taxrate"], "taxrate")}


def map_client_group(row: Row, ctx: MapContext) -> Output:
    """tblclientgroups -> client_groups."""
    return {"id": row["id"], "name": ctx.text(row["groupname"], unescape=True),
            "color": ctx.text(row["groupcolour"]),
            "discount_percent": ctx.money(row["discountpercent"], "discountpercent"),
            "exempt_suspend_terminate": ctx.flag(row["susptermexempt"]),
            "separate_invoices": ctx.flag(row["separateinvoices"])}


def _person(row: Row, ctx: MapContext) -> Row:
    return {
        "first_name": ctx.text(row["firstname"], unescape=True),
        "last_name": ctx.text(row["lastname"], unescape=True),
        "company_name": ctx.text(row["companyname"], unescape=True),
        "email": ctx.text(row["email"]).strip(),
        "address1": ctx.text(row["address1"], unescape=True),
        "address2": ctx.text(row["address2"], unescape=True),
        "city": ctx.text(row["city"], unescape=True),
        "state": ctx.text(row["state"], unescape=True),
        "postcode": ctx.text(row["postcode"]), "country": ctx.text(row["country"]).strip().upper(),
        "phone": ctx.text(row["phonenumber"]), "tax_id": ctx.text(row["tax_id"]),
    }


def map_client(row: Row, ctx: MapContext) -> Output:
    """tblclients -> clients (login credentials live in tblusers in WHMCS 8)."""
    created = ctx.utc(row["created_at"]) or ctx.utc_or_epoch(row["datecreated"])
    return {
        "id": row["id"], **_person(row, ctx),
        "status": slug_status(row["status"]) or "active",
        "currency": currency_code(ctx, row["currency"]),
        "group_id": _id_or_none(ctx, row["groupid"]),
        "language": ctx.text(row["language"]), "notes": ctx.text(row["notes"]),
        "default_gateway": ctx.text(row["defaultgateway"]),
        "billing_contact_id": _id_or_none(ctx, row["billingcid"]),
        "tax_exempt": ctx.flag(row["taxexempt"]),
        "late_fee_exempt": ctx.flag(row["latefeeoveride"]),
        "overdue_notices_exempt": ctx.flag(row["overideduenotices"]),
        "separate_invoices": ctx.flag(row["separateinvoices"]),
        "disable_auto_charge": ctx.flag(row["disableautocc"]),
        "email_opt_out": ctx.flag(row["emailoptout"]),
        "marketing_opt_in": ctx.flag(row["marketing_emails_opt_in"]),
        "email_verified": ctx.flag(row["email_verified"]),
        "credit_balance": ctx.money(row["credit"], "credit"),
        "last_login_at": ctx.utc(row["lastlogin"]), "last_login_ip": ctx.text(row["ip"])[:45],
        "created_at": created, "updated_at": ctx.utc(row["updated_at"]),
        "closed_at": None,
    }


EMAIL_KINDS = ("general", "invoice", "product", "domain", "support", "affiliate")


def map_contact(row: Row, ctx: MapContext) -> Output:
    """tblcontacts -> contacts (the per-type email toggles become ``email_preferences``)."""
    return {
        "id": row["id"], "client_id": row["userid"], **_person(row, ctx), "kind": "other",
        "email_preferences": [k for k in EMAIL_KINDS if ctx.flag(row[f"{k}emails"])],
        "permissions": [p for p in ctx.text(row["permissions"]).split(",") if p],
        "created_at": ctx.utc_or_epoch(row["created_at"]),
    }


def map_user(row: Row, ctx: MapContext) -> Output:
    """tblusers -> users; the bcrypt/md5:salt hash is kept and verified at login, then rehashed."""
    return {
        "id": row["id"], "email": ctx.text(row["email"]).strip(),
        "password_hash": ctx.text(row["password"]),
        "first_name": ctx.text(row["first_name"], unescape=True),
        "last_name": ctx.text(row["last_name"], unescape=True),
        "language": ctx.text(row["language"]), "two_factor": ctx.text(row["second_factor"]),
        "email_verified_at": ctx.utc(row["email_verified_at"]),
        "last_login_at": ctx.utc(row["last_login"]), "last_ip": ctx.text(row["last_ip"])[:45],
        "created_at": ctx.utc_or_epoch(row["created_at"]),
    }


def map_user_client(row: Row, ctx: MapContext) -> Output:
    """tblusers_clients -> user_clients (owner flag and permission names)."""
    return {"id": row["id"], "user_id": row["auth_user_id"], "client_id": row["client_id"],
            "is_owner": ctx.flag(row["owner"]),
            "permissions": [p for p in ctx.text(row["permissions"]).split(",") if p],
            "last_login_at": ctx.utc(row["last_login"])}


def map_client_note(row: Row, ctx: MapContext) -> Output:
    """tblnotes -> client_notes."""
    return {"id": row["id"], "client_id": row["userid"],
            "admin_id": _id_or_none(ctx, row["adminid"]), "body": ctx.text(row["note"]),
            "sticky": ctx.flag(row["sticky"]), "created_at": ctx.utc_or_epoch(row["created"]),
            "updated_at": ctx.utc(row["modified"])}


def map_admin_role(row: Row, ctx: MapContext) -> Output:
    """tbladminroles -> admin_roles (permission rows of tbladminperms are not mapped)."""
    return {"id": row["id"], "name": ctx.text(row["name"], unescape=True), "permissions": []}


def map_admin(row: Row, ctx: MapContext) -> Output:
    """tbladmins -> admins (bcrypt hash kept; rehashed at first login)."""
    return {
        "id": row["id"], "role_id": _id_or_none(ctx, row["roleid"]),
        "username": ctx.text(row["username"]), "email": ctx.text(row["email"]),
        "first_name": ctx.text(row["firstname"], unescape=True),
        "last_name": ctx.text(row["lastname"], unescape=True),
        "password_hash": ctx.text(row["passwordhash"]) or ctx.text(row["password"]),
        "signature": ctx.text(row["signature"]), "notes": ctx.text(row["notes"]),
        "language": ctx.text(row["language"]),
        "support_department_ids": _csv_ints(row["supportdepts"]),
        "disabled": ctx.flag(row["disabled"]), "created_at": ctx.utc_or_epoch(row["created_at"]),
    }


# ---------------------------------------------------------------- catalogue


def map_product_group(row: Row, ctx: MapContext) -> Output:
    """tblproductgroups -> product_groups."""
    return {"id": row["id"], "name": ctx.text(row["name"], unescape=True),
            "slug": ctx.text(row["slug"]), "headline": ctx.text(row["headline"], unescape=True),
            "tagline": ctx.text(row["tagline"], unescape=True), "hidden": ctx.flag(row["hidden"]),
            "sort_order": ctx.int(row["order"])}


def map_product(row: Row, ctx: MapContext) -> Output:
    """tblproducts -> products (module settings configoption1..24 into ``module_config``)."""
    kind = str(row["type"] or "other").lower()
    if kind not in PRODUCT_TYPES:
        raise MappingError(f"unknown product type {row['type']!r}")
    setup = str(row["autosetup"] or "").lower()
    return {
        "id": row["id"], "group_id": _id_or_none(ctx, row["gid"]), "type": PRODUCT_TYPES[kind],
        "name": ctx.text(row["name"], unescape=True), "slug": ctx.text(row["slug"]),
        "description": ctx.text(row["description"]),
        "pay_type": str(row["paytype"] or "recurring").lower(),
        "hidden": ctx.flag(row["hidden"]), "retired": ctx.flag(row["retired"]),
        "taxable": ctx.flag(row["tax"]), "requires_domain": ctx.flag(row["showdomainoptions"]),
        "auto_setup": AUTO_SETUP.get(setup, setup), "module": ctx.text(row["servertype"]),
        "module_config": {f"configoption{i}": ctx.text(row[f"configoption{i}"])
                          for i in range(1, 25) if ctx.text(row[f"configoption{i}"])},
        "server_group_id": _id_or_none(ctx, row["servergroup"]),
        "stock_control": ctx.flag(row["stockcontrol"]), "stock_quantity": ctx.int(row["qty"]),
        "allow_quantity": ctx.int(row["allowqty"]),
        "prorata_billing": ctx.flag(row["proratabilling"]),
        "prorata_day": ctx.int(row["proratadate"]),
        "prorata_charge_next_month_day": ctx.int(row["proratachargenextmonth"]),
        "recurring_cycles_limit": ctx.int(row["recurringcycles"]),
        "auto_terminate_days": ctx.int(row["autoterminatedays"]),
        "welcome_email": str(ctx.int(row["welcomeemail"]) or ""),
        "sort_order": ctx.int(row["order"]), "created_at": ctx.utc_or_epoch(row["created_at"]),
    }


def map_config_group(row: Row, ctx: MapContext) -> Output:
    """tblproductconfiggroups -> config_option_groups."""
    return {"id": row["id"], "name": ctx.text(row["name"], unescape=True),
            "description": ctx.text(row["description"], unescape=True)}


def map_config_option(row: Row, ctx: MapContext) -> Output:
    """tblproductconfigoptions -> config_options (``value|Label`` names split)."""
    value, _, label = ctx.text(row["optionname"], unescape=True).partition("|")
    return {"id": row["id"], "group_id": row["gid"], "name": value, "label": label or value,
            "option_type": OPTION_TYPES.get(str(row["optiontype"]).strip(), "select"),
            "qty_min": ctx.int(row["qtyminimum"]), "qty_max": ctx.int(row["qtymaximum"]),
            "hidden": ctx.flag(row["hidden"]), "sort_order": ctx.int(row["order"])}


def map_config_value(row: Row, ctx: MapContext) -> Output:
    """tblproductconfigoptionssub -> config_option_values."""
    value, _, label = ctx.text(row["optionname"], unescape=True).partition("|")
    return {"id": row["id"], "option_id": row["configid"], "name": label or value,
            "value": value, "hidden": ctx.flag(row["hidden"]),
            "sort_order": ctx.int(row["sortorder"])}


def map_config_link(row: Row, ctx: MapContext) -> Output:
    """tblproductconfiglinks -> config_group_products (a group offered with a product)."""
    return {"group_id": ctx.int(row["gid"], "gid"),
            "product_id": ctx.int(row["pid"], "pid")}


def map_addon(row: Row, ctx: MapContext) -> Output:
    """tbladdons -> addons, and its comma list ``packages`` -> addon_products links (a listed
    product that no longer exists is skipped by the writer, as WHMCS itself ignores it)."""
    products = []
    for part in ctx.text(row["packages"]).split(","):
        if part.strip():
            products.append(ctx.int(part.strip(), "packages"))
    addon = _addon(row, ctx)
    links = [Emit("addon_products", {"addon_id": addon["id"], "product_id": pid})
             for pid in dict.fromkeys(products)]
    return [Emit("addons", addon), *links]


def _addon(row: Row, ctx: MapContext) -> Row:
    return {"id": row["id"], "name": ctx.text(row["name"], unescape=True),
            "description": ctx.text(row["description"]), "taxable": ctx.flag(row["tax"]),
            "show_on_order": ctx.flag(row["showorder"]), "hidden": ctx.flag(row["hidden"]),
            "retired": ctx.flag(row["retired"]), "auto_activate": ctx.flag(row["autoactivate"]),
            "suspend_parent": ctx.flag(row["suspendproduct"]), "module": ctx.text(row["module"]),
            "welcome_email": str(ctx.int(row["welcomeemail"]) or ""),
            "sort_order": ctx.int(row["weight"])}


def map_promotion(row: Row, ctx: MapContext) -> Output:
    """tblpromotions -> promotions (``appliesto`` split into product ids and ``D.tld`` TLDs)."""
    kind = str(row["type"] or "").strip().lower()
    if kind not in PROMO_TYPES:
        raise MappingError(f"unknown promotion type {row['type']!r}")
    applies = [p.strip() for p in ctx.text(row["appliesto"]).split(",") if p.strip()]
    cycles = [CYCLES.get(c.strip().lower(), c.strip())
              for c in ctx.text(row["cycles"]).split(",") if c.strip()]
    return {
        "id": row["id"], "code": ctx.text(row["code"]), "type": PROMO_TYPES[kind],
        "value": ctx.money(row["value"], "value"), "recurring": ctx.flag(row["recurring"]),
        "recur_for": ctx.int(row["recurfor"]), "cycles": cycles,
        "product_ids": [int(p) for p in applies if p.isdigit()],
        "tlds": [p[1:] for p in applies if p.startswith("D.")],
        "starts_at": ctx.utc(row["startdate"]), "expires_at": ctx.utc(row["expirationdate"]),
        "max_uses": ctx.int(row["maxuses"]), "uses": ctx.int(row["uses"]),
        "apply_once": ctx.flag(row["applyonce"]), "once_per_client": ctx.flag(row["onceperclient"]),
        "new_signups_only": ctx.flag(row["newsignups"]),
        "existing_clients_only": ctx.flag(row["existingclient"]),
        "notes": ctx.text(row["notes"]),
    }


def map_tld(row: Row, ctx: MapContext) -> Output:
    """tbldomainpricing -> tlds (-1 grace/redemption values = use the defaults = NULL)."""
    def days(v: Any) -> int | None:
        n = ctx.int(v)
        return None if n < 0 else n

    def fee(v: Any) -> Any:
        amount = ctx.money(v, "fee")
        return None if amount < 0 else amount

    return {"id": row["id"], "extension": ctx.text(row["extension"]).strip(),
            "registrar": ctx.text(row["autoreg"]), "epp_required": ctx.flag(row["eppcode"]),
            "dns_management": ctx.flag(row["dnsmanagement"]),
            "email_forwarding": ctx.flag(row["emailforwarding"]),
            "id_protection": ctx.flag(row["idprotection"]), "group": ctx.text(row["group"]),
            "grace_days": days(row["grace_period"]), "grace_fee": fee(row["grace_period_fee"]),
            "redemption_days": days(row["redemption_grace_period"]),
            "redemption_fee": fee(row["redemption_grace_period_fee"]),
            "sort_order": ctx.int(row["order"])}


def map_pricing(row: Row, ctx: MapContext) -> Output:
    """tblpricing -> prices: one row per cycle; ``-1.00`` = not offered (kept, disabled)."""
    kind = str(row["type"])
    if kind not in PRICE_OWNERS:
        raise MappingError(f"pricing type {kind!r} is not mapped")
    base = {"owner_type": PRICE_OWNERS[kind], "owner_id": row["relid"],
            "currency": currency_code(ctx, row["currency"])}
    if ctx.int(row["currency"]) not in ctx.lookups["currencies"]:
        raise MappingError(f"pricing currency {row['currency']!r} does not exist")
    prices: list[tuple[str, Any, Any]] = []
    if kind.startswith("domain"):
        prices = [(f"{year}Y", row[col], 0) for year, col in enumerate(DOMAIN_YEAR_COLUMNS, 1)]
    elif str(row.get("_paytype") or "").lower() == "onetime":
        prices = [("onetime", row["monthly"], row["msetupfee"])]
    else:
        prices = [(code, row[price], row[setup]) for price, setup, code in PRICE_COLUMNS]
    emits = []
    for code, amount, setup in prices:
        value = ctx.money(amount, code)
        enabled = value >= 0 and not (kind.startswith("domain") and value == 0)
        emits.append(Emit("prices", {
            **base, "cycle": code, "amount": value if enabled else 0,
            "setup_fee": max(ctx.money(setup, "setup"), 0) if enabled else 0, "enabled": enabled,
        }, key=("tblpricing", f"{row['id']}:{code}")))
    return emits


def map_server_group(row: Row, ctx: MapContext) -> Output:
    """tblservergroups -> server_groups (filltype 2 = fill the first server until full)."""
    return {"id": row["id"], "name": ctx.text(row["name"], unescape=True),
            "fill_type": "fill_first" if ctx.int(row["filltype"]) == 2 else "least_used"}


def map_server(row: Row, ctx: MapContext) -> Output:
    """tblservers -> servers; the password is decrypted with cc_encryption_hash, re-encrypted."""
    nameservers = [ctx.text(row[f"nameserver{i}"]) for i in range(1, 6)]
    return {
        "id": row["id"], "group_id": _id_or_none(ctx, row.get("_group_id")),
        "name": ctx.text(row["name"], unescape=True), "module": ctx.text(row["type"]),
        "hostname": ctx.text(row["hostname"]), "ip_address": ctx.text(row["ipaddress"]),
        "assigned_ips": [ip.strip() for ip in ctx.text(row["assignedips"]).split() if ip.strip()],
        "port": ctx.int(row["port"]) or None, "secure": ctx.flag(row["secure"]),
        "username": ctx.text(row["username"]),
        "password_enc": decrypt(ctx, row["password"], f"server {row['id']} password"),
        "access_hash_enc": ctx.encrypt(ctx.text(row["accesshash"]).strip()),
        "nameservers": [ns for ns in nameservers if ns],
        "max_accounts": ctx.int(row["maxaccounts"]), "status_url": ctx.text(row["statusaddress"]),
        "active": ctx.flag(row["active"]), "disabled": ctx.flag(row["disabled"]),
    }
