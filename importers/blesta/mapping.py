"""Pure mapping of Blesta 5 rows (people and catalogue) to core rows.

Each ``map_*`` takes a row shaped by the entity's SELECT (see :mod:`importers.blesta.reader`)
and the :class:`~importers.base.MapContext` (``ctx.key`` is the system key) and returns a core
row with the source id kept, a list of :class:`~importers.base.Emit`, or raises
``MappingError``. Password hashes are stored as ``blesta$<bcrypt>`` (verified with the system
key at the first login, then rehashed).
"""

from __future__ import annotations

import json
from typing import Any

from bridge.security.passwords import BLESTA_PREFIX
from bridge.services.access import IMPORTED_BLESTA_KEY
from importers.base import Emit, MapContext, MappingError, Row
from importers.php import PhpFormatError, php_unserialize

from .source import system_decrypt

PERIODS = {"day": "D", "week": "W", "month": "M", "year": "Y"}
CLIENT_STATUS = {"active": "active", "inactive": "inactive", "fraud": "fraud"}
CONTACT_KINDS = {"primary", "billing", "other"}


def cycle(term: Any, period: Any) -> str:
    """Blesta term + period (1 month, 2 year, onetime) -> core cycle code."""
    name = "" if period is None else str(period)
    if name == "onetime":
        return "onetime"
    if name not in PERIODS:
        raise MappingError(f"unknown pricing period {name!r}")
    count = int(term or 0)
    if count < 1:
        raise MappingError(f"pricing term {term!r} is not a positive number")
    return f"{count}{PERIODS[name]}"


def meta_value(value: Any, serialized: Any, encrypted: Any, ctx: MapContext) -> Any:
    """A Blesta meta/field value: decrypted (system key) then unserialized when flagged."""
    text = ctx.text(value)
    if ctx.flag(encrypted):
        text = system_decrypt(text, ctx.key)
    if ctx.flag(serialized):
        try:
            return php_unserialize(text)
        except PhpFormatError as exc:
            raise MappingError(f"serialized value is unreadable: {exc}") from exc
    return text


UNREADABLE = "__undecryptable__"


def packed_fields(packed: Any, ctx: MapContext, *, lenient: bool = False) -> dict[str, Any]:
    """Fields packed by the reader as JSON ``{"<encrypted><serialized>:<key>": value}``.

    ``lenient``: a value that cannot be decrypted or unserialized is left out and its key
    listed under ``UNREADABLE`` instead of failing the whole row.
    """
    text = ctx.text(packed)
    if not text:
        return {}
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise MappingError("packed fields are not valid JSON") from exc
    out: dict[str, Any] = {}
    for flags_key, value in raw.items():
        flags, _, key = flags_key.partition(":")
        try:
            out[key] = meta_value(value, flags[1:2] == "1", flags[0:1] == "1", ctx)
        except MappingError:
            if not lenient:
                raise
            out.setdefault(UNREADABLE, []).append(key)
    return out


def currency_of(ctx: MapContext, code: Any, what: str) -> str:
    """A currency the source defines (empty = its default); MappingError for unknown codes."""
    value = ctx.text(code).strip().upper() or ctx.lookups["default_currency"]
    if value not in ctx.lookups["currencies"]:
        raise MappingError(f"{what} uses currency {value!r}, which the source does not define")
    return value


def map_system_key(row: Row, ctx: MapContext) -> list[Emit]:
    """Once per run: the source's system key, encrypted with ours, as the setting the login
    uses to verify imported ``blesta$`` hashes (nothing without ``--key``)."""
    del row
    if not ctx.key:
        return []
    return [Emit("settings", {"company_id": None, "key": IMPORTED_BLESTA_KEY,
                              "value": ctx.encrypt(ctx.key)}, key=("blesta.system_key", "1"))]


def map_company(row: Row, ctx: MapContext) -> Row:
    """``companies`` -> companies."""
    return {"id": int(row["id"]), "name": ctx.text(row.get("name")),
            "hostname": ctx.text(row.get("hostname")), "address": ctx.text(row.get("address")),
            "phone": ctx.text(row.get("phone"))}


def map_currency(row: Row, ctx: MapContext) -> Row:
    """``currencies`` (one row per code) -> currencies."""
    code = ctx.text(row.get("code")).strip().upper()
    if len(code) != 3:
        raise MappingError(f"currency code {code!r} is not a 3-letter ISO code")
    return {"id": int(row["rid"]), "code": code, "prefix": ctx.text(row.get("prefix")),
            "suffix": ctx.text(row.get("suffix")),
            "rate": ctx.money(row.get("exchange_rate") or 1, "exchange_rate"),
            "places": int(row.get("precision") or 2),
            "is_default": code == ctx.lookups.get("default_currency"),
            "rate_updated_at": ctx.utc(row.get("exchange_updated"))}


def map_tax(row: Row, ctx: MapContext) -> Row:
    """``taxes`` -> tax_rules."""
    return {"id": int(row["id"]), "company_id": int(row["company_id"]) or None,
            "level": int(row.get("level") or 1), "name": ctx.text(row.get("name")) or "Tax",
            "country": ctx.text(row.get("country")).upper(), "state": ctx.text(row.get("state")),
            "rate": ctx.money(row.get("amount"), "amount"),
            "active": ctx.text(row.get("status")) != "inactive"}


def map_client_group(row: Row, ctx: MapContext) -> Row:
    """``client_groups`` -> client_groups."""
    return {"id": int(row["id"]), "company_id": int(row["company_id"]),
            "name": ctx.text(row.get("name")) or f"Group {row['id']}",
            "description": ctx.text(row.get("description")), "color": ctx.text(row.get("color"))}


def map_client(row: Row, ctx: MapContext) -> list[Emit]:
    """``clients`` + its user and primary contact -> clients, users (blesta$ hash), owner link.

    The login keeps Blesta's user id; its email is the primary contact's (Blesta logs in by
    username, hostbridge by email). Custom field values come packed in ``values_json``.
    """
    client_id = int(row["id"])
    status = ctx.text(row.get("status")) or "active"
    if status not in CLIENT_STATUS:
        raise MappingError(f"unknown client status {status!r}")
    if row.get("pc_id") is None:
        raise MappingError("client has no primary contact (name, email and address live there)")
    email = ctx.text(row.get("pc_email")).strip()
    created = ctx.utc(row.get("pc_date_added")) or ctx.utc_or_epoch(row.get("u_date_added"))
    id_code = ctx.text(row.get("id_format")).replace("{num}", ctx.text(row.get("id_value")))
    client = {
        "id": client_id, "company_id": int(row["company_id"]) if row.get("company_id") else None,
        "group_id": int(row["client_group_id"]), "id_code": id_code or str(client_id),
        "status": CLIENT_STATUS[status], "email": email,
        "first_name": ctx.text(row.get("pc_first_name")),
        "last_name": ctx.text(row.get("pc_last_name")),
        "company_name": ctx.text(row.get("pc_company")),
        "address1": ctx.text(row.get("pc_address1")), "address2": ctx.text(row.get("pc_address2")),
        "city": ctx.text(row.get("pc_city")), "state": ctx.text(row.get("pc_state")),
        "postcode": ctx.text(row.get("pc_zip")),
        "country": ctx.text(row.get("pc_country")).upper(), "phone": ctx.text(row.get("phone")),
        "currency": currency_of(ctx, row.get("client_currency"), "the client"),
        # cached sum of the credit entries made from unapplied payments (map_transaction)
        "credit_balance": ctx.money(row.get("credit_sum"), "credit"),
        "created_at": created,
    }
    out = [Emit("clients", client)]
    if row.get("u_id") is not None and email and not _login_taken(row, email, ctx, out):
        password = ctx.text(row.get("u_password"))
        out.append(Emit("users", {"id": int(row["u_id"]), "email": email,
                                  "password_hash": BLESTA_PREFIX + password if password else "",
                                  "first_name": client["first_name"],
                                  "last_name": client["last_name"],
                                  "two_factor": ctx.text(row.get("u_two_factor_mode"))
                                  if ctx.text(row.get("u_two_factor_mode")) != "none" else "",
                                  "created_at": ctx.utc_or_epoch(row.get("u_date_added"))}))
        out.append(Emit("user_clients", {"user_id": int(row["u_id"]), "client_id": client_id,
                                         "is_owner": True, "permissions": []},
                        key=("clients.owner", str(client_id))))
    return out + _custom_values(client_id, row.get("values_json"), ctx)


ENCRYPTED_MARK = "blesta-encrypted:"


def _custom_values(client_id: int, packed: Any, ctx: MapContext) -> list[Emit]:
    """``client_values`` of one client (packed by the reader) -> custom_field_values.

    An encrypted value that the system key cannot open is kept as its ciphertext marked
    ``blesta-encrypted:`` rather than dropping it or the whole client.
    """
    try:
        raw = json.loads(ctx.text(packed) or "{}")
    except ValueError as exc:
        raise MappingError("packed client values are not valid JSON") from exc
    out = []
    for flags_key, value in raw.items():
        flags, _, field_id = flags_key.partition(":")
        if int(field_id) not in ctx.lookups["client_field_ids"]:
            raise MappingError(f"client value refers to client field {field_id}, which does "
                               "not exist")
        try:
            text = str(meta_value(value, False, flags[0:1] == "1", ctx))
        except MappingError:
            text = ENCRYPTED_MARK + ctx.text(value)
        if ctx.lookups["client_field_ids"][int(field_id)]:
            text = ctx.encrypt(text)  # the core keeps encrypted fields encrypted with our key
        out.append(Emit("custom_field_values", {"field_id": int(field_id),
                                                "entity_id": client_id, "value": text},
                        key=("client_values", f"{field_id}:{client_id}")))
    return out


# activity notes about logins not imported, in their own id range of activity_log
LOGIN_NOTE_OFFSET = 2_000_000_000


def _login_taken(row: Row, email: str, ctx: MapContext, out: list[Emit]) -> bool:
    """Whether another Blesta user keeps the login ``email`` (hostbridge logins are unique
    by email); if so, an activity note for staff records the login that was not imported."""
    owner = ctx.lookups["shared_logins"].get(email.lower())
    user_id = int(row["u_id"])
    if owner is None or owner == user_id:
        return False
    out.append(Emit("activity_log", {
        "id": LOGIN_NOTE_OFFSET + user_id, "source": "import:blesta",
        "action": "import.login_not_imported", "actor_type": "system",
        "client_id": int(row.get("client_id") or row["id"]),
        "description": f"Blesta user {user_id} ({ctx.text(row.get('u_username'))}) shares the "
                       f"login email {email} with user {owner}; set a new email to log in",
        "data": {"blesta_user_id": user_id, "email": email}}))
    return True


def map_contact_user(row: Row, ctx: MapContext) -> list[Emit]:
    """A non-primary contact with its own Blesta user (a sub-account login) -> users (its
    ``blesta$`` hash kept) + a non-owner link to the client. Runs before :func:`map_contact`."""
    email = ctx.text(row.get("email")).strip()
    if not email:
        raise MappingError("contact login has no email (hostbridge logs in by email)")
    notes: list[Emit] = []
    if _login_taken(row, email, ctx, notes):
        return notes
    password = ctx.text(row.get("u_password"))
    return [Emit("users", {"id": int(row["u_id"]), "email": email,
                           "password_hash": BLESTA_PREFIX + password if password else "",
                           "first_name": ctx.text(row.get("first_name")),
                           "last_name": ctx.text(row.get("last_name")),
                           "created_at": ctx.utc_or_epoch(row.get("u_date_added"))}),
            Emit("user_clients", {"user_id": int(row["u_id"]), "client_id": int(row["client_id"]),
                                  "is_owner": False, "permissions": []},
                 key=("contacts.user", str(row["id"])))]


def map_contact(row: Row, ctx: MapContext) -> Row:
    """``contacts`` (every type, the primary one too, so contact ids stay valid) -> contacts."""
    kind = ctx.text(row.get("contact_type")) or "other"
    if kind not in CONTACT_KINDS:
        raise MappingError(f"unknown contact type {kind!r}")
    return {"id": int(row["id"]), "client_id": int(row["client_id"]),
            "user_id": int(row["user_id"]) if row.get("user_id") else None, "kind": kind,
            "first_name": ctx.text(row.get("first_name")),
            "last_name": ctx.text(row.get("last_name")), "title": ctx.text(row.get("title")),
            "company_name": ctx.text(row.get("company")), "email": ctx.text(row.get("email")),
            "address1": ctx.text(row.get("address1")), "address2": ctx.text(row.get("address2")),
            "city": ctx.text(row.get("city")), "state": ctx.text(row.get("state")),
            "postcode": ctx.text(row.get("zip")), "country": ctx.text(row.get("country")).upper(),
            "phone": ctx.text(row.get("phone")),
            "created_at": ctx.utc_or_epoch(row.get("date_added"))}


def map_client_note(row: Row, ctx: MapContext) -> Row:
    """``client_notes`` -> client_notes (the author staff member -> admin)."""
    return {"id": int(row["id"]), "client_id": int(row["client_id"]),
            "admin_id": int(row["staff_id"]) if row.get("staff_id") else None,
            "title": ctx.text(row.get("title")), "body": ctx.text(row.get("description")),
            "sticky": ctx.flag(row.get("stickied")),
            "created_at": ctx.utc_or_epoch(row.get("date_added")),
            "updated_at": ctx.utc(row.get("date_updated"))}


def map_client_field(row: Row, ctx: MapContext) -> Row:
    """``client_fields`` -> custom_fields (owner client)."""
    values = ctx.text(row.get("values"))
    try:
        options = php_unserialize(values) if values.startswith("a:") else []
    except PhpFormatError:
        options = [values]
    if isinstance(options, dict):
        options = list(options.values())
    return {"id": int(row["id"]), "owner_type": "client", "owner_id": None,
            "name": ctx.text(row.get("name")), "field_type": ctx.text(row.get("type")) or "text",
            "options": [str(o) for o in options], "regex": ctx.text(row.get("regex")),
            "admin_only": not ctx.flag(row.get("show_client")),
            "encrypted": ctx.flag(row.get("encrypted"))}


def map_staff(row: Row, ctx: MapContext) -> Row:
    """``staff`` + its user -> admins (Blesta username, blesta$ hash kept)."""
    password = ctx.text(row.get("u_password"))
    return {"id": int(row["id"]),
            "username": ctx.text(row.get("u_username")) or f"staff{row['id']}",
            "email": ctx.text(row.get("email")), "first_name": ctx.text(row.get("first_name")),
            "last_name": ctx.text(row.get("last_name")),
            "password_hash": BLESTA_PREFIX + password if password else "",
            "disabled": ctx.text(row.get("status")) == "inactive",
            "created_at": ctx.utc_or_epoch(row.get("u_date_added"))}


def map_package_group(row: Row, ctx: MapContext) -> Row:
    """``package_groups`` (+ name in the first language) -> product_groups."""
    return {"id": int(row["id"]), "company_id": int(row["company_id"]) or None,
            "name": ctx.text(row.get("group_name")) or f"Group {row['id']}",
            "hidden": ctx.flag(row.get("hidden"))}


def map_package(row: Row, ctx: MapContext) -> Row:
    """``packages`` (+ name, description, module class, first group) -> products."""
    status = ctx.text(row.get("status")) or "active"
    return {"id": int(row["id"]),
            "group_id": int(row["first_group_id"]) if row.get("first_group_id") else None,
            "name": ctx.text(row.get("package_name")) or f"Package {row['id']}",
            "description": ctx.text(row.get("package_description")),
            "hidden": ctx.flag(row.get("hidden")) or status == "restricted",
            "retired": status == "inactive", "taxable": ctx.flag(row.get("taxable")),
            "module": ctx.text(row.get("module_class")).lower(),
            "module_config": {"module_row": row.get("module_row"),
                              "module_group": row.get("module_group")},
            "stock_control": row.get("qty") is not None,
            "stock_quantity": int(row.get("qty") or 0),
            "prorata_billing": row.get("prorata_day") is not None,
            "prorata_day": int(row.get("prorata_day") or 0)}


def map_package_pricing(row: Row, ctx: MapContext) -> Row:
    """``package_pricing`` + ``pricings`` -> prices; the id is ``package_pricing.id``, which
    is what ``services.pricing_id`` points at."""
    return {"id": int(row["id"]), "owner_type": "product", "owner_id": int(row["package_id"]),
            "currency": currency_of(ctx, row.get("pr_currency"), "the pricing"),
            "cycle": cycle(row.get("pr_term"), row.get("pr_period")),
            "amount": ctx.money(row.get("pr_price"), "price"),
            "setup_fee": ctx.money(row.get("pr_setup_fee"), "setup_fee"), "enabled": True}


def map_coupon(row: Row, ctx: MapContext) -> Row:
    """``coupons`` + the first ``coupon_amounts`` row + ``coupon_packages`` and
    ``coupon_terms`` -> promotions (products and cycles it applies to)."""
    kind = ctx.text(row.get("amount_type")) or "percent"
    amount = ctx.money(row.get("amount"), "amount")
    terms = [part.split(":", 1) for part in ctx.text(row.get("terms")).split(",") if part]
    return {"id": int(row["id"]), "company_id": int(row["company_id"]) or None,
            "code": ctx.text(row.get("code")),
            "type": "percent" if kind == "percent" else "fixed", "value": amount,
            "currency": None if kind == "percent" else ctx.text(row.get("amount_currency")),
            "recurring": ctx.flag(row.get("recurring")),
            "product_ids": [int(p) for p in ctx.text(row.get("package_ids")).split(",") if p],
            "cycles": [cycle(term, period) for term, period in terms],
            "starts_at": ctx.utc(row.get("start_date")), "expires_at": ctx.utc(row.get("end_date")),
            "max_uses": int(row.get("max_qty") or 0), "uses": int(row.get("used_qty") or 0),
            "active": ctx.text(row.get("status")) != "inactive"}


_HOST_KEYS = ("host_name", "hostname", "server_name", "host")
_USER_KEYS = ("user_name", "username", "user")
_PASS_KEYS = ("password", "pass")
_HASH_KEYS = ("key", "api_key", "access_hash", "api_token")


def map_module_row(row: Row, ctx: MapContext) -> Row:
    """``module_rows`` + ``module_row_meta`` (encrypted values decrypted with the system key,
    serialized ones unserialized) -> servers; a value that cannot be decrypted quarantines the
    server with the reason."""
    meta = packed_fields(row.get("meta_json"), ctx)

    def first(keys: tuple[str, ...]) -> str:
        return next((str(meta[k]) for k in keys if meta.get(k) not in (None, "")), "")

    nameservers = meta.get("name_servers") or []
    if isinstance(nameservers, dict):
        nameservers = list(nameservers.values())
    hidden = set(_PASS_KEYS + _HASH_KEYS)
    return {"id": int(row["id"]), "name": first(("server_name", "name")) or f"Server {row['id']}",
            "module": ctx.text(row.get("module_class")).lower(),
            "hostname": first(_HOST_KEYS), "username": first(_USER_KEYS),
            "password_enc": ctx.encrypt(first(_PASS_KEYS)),
            "access_hash_enc": ctx.encrypt(first(_HASH_KEYS)),
            "secure": ctx.flag(meta.get("use_ssl", "true")),
            "nameservers": [str(n) for n in nameservers] if isinstance(nameservers, list) else [],
            "max_accounts": int(str(meta.get("account_limit") or 0) or 0)
            if str(meta.get("account_limit") or "0").isdigit() else 0,
            "config": {k: v for k, v in meta.items() if k not in hidden
                       and isinstance(v, (str, int, float, bool, list, dict))}}



# ---------------------------------------------------------------- configurable options

OPTION_TYPES = {"checkbox": "yesno", "radio": "radio", "select": "select",
                "quantity": "quantity", "text": "text", "textarea": "textarea",
                "password": "password"}
# package_option_pricing rows share the prices table with package_pricing (whose ids are
# kept for services.pricing_id), so they live in their own id range
OPTION_PRICE_OFFSET = 1_000_000_000


def map_option_group(row: Row, ctx: MapContext) -> list[Emit]:
    """``package_option_groups`` -> config_option_groups, and its ``package_option`` rows
    (``package_ids``) -> config_group_products (a missing package is skipped by the writer)."""
    group_id = int(row["id"])
    group = {"id": group_id, "name": ctx.text(row.get("name")) or f"Options {group_id}",
             "description": ctx.text(row.get("description"))}
    packages = [ctx.int(p, "package_ids")
                for p in ctx.text(row.get("package_ids")).split(",") if p.strip()]
    return [Emit("config_option_groups", group),
            *(Emit("config_group_products", {"group_id": group_id, "product_id": p})
              for p in packages)]


def map_option(row: Row, ctx: MapContext) -> Row:
    """``package_options`` -> config_options in the first group that lists them."""
    kind = ctx.text(row.get("type")) or "select"
    if kind not in OPTION_TYPES:
        raise MappingError(f"unknown option type {kind!r}")
    if not row.get("first_group_id"):
        raise MappingError("option belongs to no option group (the core needs one)")
    return {"id": int(row["id"]), "group_id": int(row["first_group_id"]),
            "name": ctx.text(row.get("name")), "label": ctx.text(row.get("label")),
            "option_type": OPTION_TYPES[kind], "hidden": ctx.flag(row.get("hidden")),
            "sort_order": int(row.get("group_order") or 0)}


def map_option_value(row: Row, ctx: MapContext) -> Row:
    """``package_option_values`` -> config_option_values."""
    return {"id": int(row["id"]), "option_id": int(row["option_id"]),
            "name": ctx.text(row.get("name")), "value": ctx.text(row.get("value")),
            "hidden": ctx.text(row.get("status")) == "inactive",
            "sort_order": int(row.get("order") or 0)}


def map_option_pricing(row: Row, ctx: MapContext) -> Row:
    """``package_option_pricing`` + ``pricings`` -> prices of a config option value."""
    return {"id": OPTION_PRICE_OFFSET + int(row["id"]), "owner_type": "config_option_value",
            "owner_id": int(row["option_value_id"]),
            "currency": currency_of(ctx, row.get("pr_currency"), "the option pricing"),
            "cycle": cycle(row.get("pr_term"), row.get("pr_period")),
            "amount": ctx.money(row.get("pr_price"), "price"),
            "setup_fee": ctx.money(row.get("pr_setup_fee"), "setup_fee"), "enabled": True}


def map_service_option(row: Row, ctx: MapContext) -> Row:
    """``service_options`` -> service_config_options; an encrypted value (password options)
    is re-encrypted with our key."""
    value = meta_value(row.get("value"), False, row.get("encrypted"), ctx)
    text = ctx.encrypt(str(value)) if ctx.flag(row.get("encrypted")) else str(value)
    return {"id": int(row["id"]), "service_id": int(row["service_id"]),
            "option_id": int(row["option_id"]), "value_id": int(row["option_value_id"]),
            "quantity": int(row.get("qty") or 0), "text_value": text}


def map_login_log(row: Row, ctx: MapContext) -> Row:
    """``log_users`` -> activity_log (login attempts with their result)."""
    result = ctx.text(row.get("result")) or "failure"
    return {"id": int(row["id"]), "created_at": ctx.utc_or_epoch(row.get("date_added")),
            "actor_type": "user", "actor_id": int(row["user_id"]) if row.get("user_id") else None,
            "source": "import:blesta", "action": f"blesta.login.{result}",
            "description": f"Login {result} for Blesta user {row.get('user_id')}",
            "ip_address": ctx.text(row.get("ip_address"))}
