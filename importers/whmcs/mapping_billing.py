"""Pure mappings of WHMCS 8.x rows to core rows: services, domains, orders, billing, support
and the activity log (see :mod:`importers.whmcs.mapping` for the conventions)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from importers.base import Emit, MapContext, MappingError, Output, Row
from importers.whmcs.mapping import currency_code, cycle, decrypt, slug_status

INVOICE_ITEM_TYPES = {
    "hosting": "service", "addon": "addon", "domainregister": "domain_register",
    "domaintransfer": "domain_transfer", "domain": "domain_renew", "setup": "setup",
    "promohosting": "promo", "promodomain": "promo", "latefee": "late_fee",
    "addfunds": "add_funds", "upgrade": "upgrade", "item": "item", "invoice": "invoice",
}
SERVICE_LINKS = {"hosting": "service_id", "promohosting": "service_id",
                 "addon": "service_addon_id", "domainregister": "domain_id",
                 "domaintransfer": "domain_id", "domain": "domain_id", "promodomain": "domain_id"}
CUSTOM_FIELD_OWNERS = {"client": "client", "product": "product", "support": "support",
                       "addon": "addon"}


def _opt(ctx: MapContext, value: Any) -> int | None:
    return ctx.int(value) or None


def map_service(row: Row, ctx: MapContext) -> Output:
    """tblhosting -> services (module username kept, password decrypted and re-encrypted)."""
    return {
        "id": row["id"], "client_id": row["userid"], "order_id": _opt(ctx, row["orderid"]),
        "product_id": row["packageid"], "server_id": _opt(ctx, row["server"]),
        "status": slug_status(row["domainstatus"]) or "pending",
        "billing_cycle": cycle(row["billingcycle"]),
        "currency": currency_code(ctx, row["_currency_id"]), "quantity": ctx.int(row["qty"]) or 1,
        "first_payment_amount": ctx.money(row["firstpaymentamount"], "firstpaymentamount"),
        "recurring_amount": ctx.money(row["amount"], "amount"),
        "registration_date": ctx.date(row["regdate"]),
        "next_due_date": ctx.date(row["nextduedate"]),
        "next_invoice_date": ctx.date(row["nextinvoicedate"]),
        "termination_date": ctx.date(row["termination_date"]),
        "domain": ctx.text(row["domain"]), "username": ctx.text(row["username"]),
        "password_enc": decrypt(ctx, row["password"], f"service {row['id']} password"),
        "dedicated_ip": ctx.text(row["dedicatedip"]).strip(),
        "assigned_ips": [ip for ip in ctx.text(row["assignedips"]).split() if ip],
        "payment_method": ctx.text(row["paymentmethod"]),
        "promotion_id": _opt(ctx, row["promoid"]),
        "promo_renewals_used": ctx.int(row["promocount"]),
        "suspend_reason": ctx.text(row["suspendreason"]),
        "override_auto_suspend": ctx.flag(row["overideautosuspend"]),
        "override_suspend_until": ctx.date(row["overidesuspenduntil"]),
        "disk_usage_mb": ctx.int(row["diskusage"]), "disk_limit_mb": ctx.int(row["disklimit"]),
        "bandwidth_usage_mb": ctx.int(row["bwusage"]),
        "bandwidth_limit_mb": ctx.int(row["bwlimit"]),
        "usage_updated_at": ctx.utc(row["lastupdate"]),
        "notes": ctx.text(row["notes"]),
        "created_at": ctx.utc(row["created_at"]) or ctx.utc_or_epoch(row["regdate"]),
    }


def map_service_option(row: Row, ctx: MapContext) -> Output:
    """tblhostingconfigoptions -> service_config_options."""
    return {"id": row["id"], "service_id": row["relid"], "option_id": row["configid"],
            "value_id": _opt(ctx, row["optionid"]), "quantity": ctx.int(row["qty"])}


def map_service_addon(row: Row, ctx: MapContext) -> Output:
    """tblhostingaddons -> service_addons (addonid 0 = an ad-hoc addon with only a name)."""
    return {
        "id": row["id"], "service_id": row["hostingid"], "addon_id": _opt(ctx, row["addonid"]),
        "client_id": row["userid"], "order_id": _opt(ctx, row["orderid"]),
        "server_id": _opt(ctx, row["server"]), "name": ctx.text(row["name"], unescape=True),
        "status": slug_status(row["status"]) or "pending",
        "billing_cycle": cycle(row["billingcycle"]),
        "currency": currency_code(ctx, row["_currency_id"]), "quantity": ctx.int(row["qty"]) or 1,
        "setup_fee": ctx.money(row["setupfee"], "setupfee"),
        "recurring_amount": ctx.money(row["recurring"], "recurring"),
        "taxable": ctx.flag(row["tax"]), "registration_date": ctx.date(row["regdate"]),
        "next_due_date": ctx.date(row["nextduedate"]),
        "next_invoice_date": ctx.date(row["nextinvoicedate"]),
        "termination_date": ctx.date(row["termination_date"]),
        "payment_method": ctx.text(row["paymentmethod"]), "notes": ctx.text(row["notes"]),
        "created_at": ctx.utc(row["created_at"]) or ctx.utc_or_epoch(row["regdate"]),
    }


def map_domain(row: Row, ctx: MapContext) -> Output:
    """tbldomains -> domains."""
    return {
        "id": row["id"], "client_id": row["userid"], "order_id": _opt(ctx, row["orderid"]),
        "name": ctx.text(row["domain"]).strip().lower(),
        "kind": str(row["type"] or "register").lower(),
        "status": slug_status(row["status"]) or "pending", "registrar": ctx.text(row["registrar"]),
        "registration_period": ctx.int(row["registrationperiod"]) or 1,
        "registration_date": ctx.date(row["registrationdate"]),
        "expiry_date": ctx.date(row["expirydate"]), "next_due_date": ctx.date(row["nextduedate"]),
        "next_invoice_date": ctx.date(row["nextinvoicedate"]),
        "currency": currency_code(ctx, row["_currency_id"]),
        "first_payment_amount": ctx.money(row["firstpaymentamount"], "firstpaymentamount"),
        "recurring_amount": ctx.money(row["recurringamount"], "recurringamount"),
        "payment_method": ctx.text(row["paymentmethod"]), "promotion_id": _opt(ctx, row["promoid"]),
        "notes": ctx.text(row["additionalnotes"]), "dns_management": ctx.flag(row["dnsmanagement"]),
        "email_forwarding": ctx.flag(row["emailforwarding"]),
        "id_protection": ctx.flag(row["idprotection"]), "is_premium": ctx.flag(row["is_premium"]),
        "do_not_renew": ctx.flag(row["donotrenew"]),
        "created_at": ctx.utc(row["created_at"]) or ctx.utc_or_epoch(row["registrationdate"]),
    }


def map_order(row: Row, ctx: MapContext) -> Output:
    """tblorders -> orders."""
    return {
        "id": row["id"], "client_id": row["userid"], "number": str(row["ordernum"] or ""),
        "status": slug_status(row["status"]) or "pending",
        "currency": currency_code(ctx, row["_currency_id"]),
        "amount": ctx.money(row["amount"], "amount"), "promo_code": ctx.text(row["promocode"]),
        "payment_method": ctx.text(row["paymentmethod"]),
        "invoice_id": _opt(ctx, row["invoiceid"]), "ip_address": ctx.text(row["ipaddress"])[:45],
        "notes": ctx.text(row["notes"]), "fraud_module": ctx.text(row["fraudmodule"]),
        "created_at": ctx.utc_or_epoch(row["date"]),
    }


def map_invoice(row: Row, ctx: MapContext) -> Output:
    """tblinvoices -> invoices.

    WHMCS keeps ``total = subtotal + tax + tax2 - credit``; the core's total is gross (before
    credit), so it is recomputed; payments and refunds come from tblaccounts (joined sums).
    """
    subtotal = ctx.money(row["subtotal"], "subtotal")
    tax1, tax2 = ctx.money(row["tax"], "tax"), ctx.money(row["tax2"], "tax2")
    credit = ctx.money(row["credit"], "credit")
    total = ctx.money(row["total"], "total")
    if subtotal + tax1 + tax2 - credit != total:
        raise MappingError(
            f"total {total} is not subtotal {subtotal} + tax {tax1} + tax2 {tax2}"
            f" - credit {credit}")
    date = ctx.date(row["date"])
    return {
        "id": row["id"], "client_id": row["userid"], "number": ctx.text(row["invoicenum"]),
        "status": slug_status(row["status"]) or "unpaid",
        "currency": currency_code(ctx, row["_currency_id"]), "date": date,
        "due_date": ctx.date(row["duedate"]) or date, "paid_at": ctx.utc(row["datepaid"]),
        "cancelled_at": ctx.utc(row["date_cancelled"]),
        "refunded_at": ctx.utc(row["date_refunded"]),
        "last_capture_attempt": ctx.utc(row["last_capture_attempt"]),
        "tax1_rate": ctx.money(row["taxrate"], "taxrate"),
        "tax2_rate": ctx.money(row["taxrate2"], "taxrate2"),
        "subtotal": subtotal, "tax1": tax1, "tax2": tax2, "total": subtotal + tax1 + tax2,
        "credit_applied": credit, "amount_paid": ctx.money(row["_paid"], "paid"),
        "amount_refunded": ctx.money(row["_refunded"], "refunded"),
        "payment_method": ctx.text(row["paymentmethod"]), "notes": ctx.text(row["notes"]),
        "created_at": ctx.utc(row["created_at"]) or ctx.utc_or_epoch(row["date"]),
    }


def map_invoice_item(row: Row, ctx: MapContext) -> Output:
    """tblinvoiceitems -> invoice_items (type + relid become typed links)."""
    kind = str(row["type"] or "").strip().lower()
    amount = ctx.money(row["amount"], "amount")
    link = SERVICE_LINKS.get(kind)
    relid = ctx.int(row["relid"]) or None
    return {
        "id": row["id"], "invoice_id": row["invoiceid"],
        "type": INVOICE_ITEM_TYPES.get(kind, "custom"),
        "service_id": relid if link == "service_id" else None,
        "service_addon_id": relid if link == "service_addon_id" else None,
        "domain_id": relid if link == "domain_id" else None,
        "rel_id": None if link else relid, "description": ctx.text(row["description"]),
        "quantity": Decimal(1), "unit_amount": amount, "amount": amount,
        "taxed": ctx.flag(row["taxed"]), "sort_order": ctx.int(row["id"]),
    }


def map_transaction(row: Row, ctx: MapContext) -> Output:
    """tblaccounts -> transactions (refundid -> a refund of that payment)."""
    currency_id = ctx.int(row["currency"]) or row["_currency_id"]
    transid = ctx.text(row["transid"]).strip()
    duplicate = (ctx.text(row["gateway"]), transid) in ctx.lookups.get("duplicate_txn", {}) and (
        ctx.lookups["duplicate_txn"][(ctx.text(row["gateway"]), transid)] != row["id"])
    refund = ctx.int(row["refundid"])
    return {
        "id": row["id"], "client_id": ctx.int(row["userid"]) or None,
        "invoice_id": ctx.int(row["invoiceid"]) or None,
        "kind": "refund" if refund else "payment", "gateway": ctx.text(row["gateway"]),
        # the core refuses one gateway id twice; later duplicates keep theirs in ``raw``
        "gateway_txn_id": (transid or None) if not duplicate else None,
        "raw": {"whmcs_transid": transid} if duplicate else {},
        "date": ctx.utc(row["date"]), "description": ctx.text(row["description"]),
        "currency": currency_code(ctx, currency_id),
        "amount_in": ctx.money(row["amountin"], "amountin"),
        "amount_out": ctx.money(row["amountout"], "amountout"),
        "fees": ctx.money(row["fees"], "fees"), "exchange_rate": ctx.money(row["rate"], "rate"),
        "refund_of_id": refund or None, "created_at": ctx.utc(row["date"]),
    }


def map_credit(row: Row, ctx: MapContext) -> Output:
    """tblcredit -> credit_entries."""
    return {"id": row["id"], "client_id": row["clientid"], "date": ctx.utc_or_epoch(row["date"]),
            "description": ctx.text(row["description"]),
            "amount": ctx.money(row["amount"], "amount"),
            "currency": currency_code(ctx, row["_currency_id"]),
            "invoice_id": ctx.int(row["relid"]) or None,
            "admin_id": ctx.int(row["admin_id"]) or None}


def map_custom_field(row: Row, ctx: MapContext) -> Output:
    """tblcustomfields -> custom_fields."""
    owner = str(row["type"] or "").lower()
    if owner not in CUSTOM_FIELD_OWNERS:
        raise MappingError(f"custom field owner type {row['type']!r} is not mapped")
    return {
        "id": row["id"], "owner_type": CUSTOM_FIELD_OWNERS[owner],
        "owner_id": ctx.int(row["relid"]) or None,
        "name": ctx.text(row["fieldname"], unescape=True),
        "field_type": ctx.text(row["fieldtype"]) or "text",
        "description": ctx.text(row["description"], unescape=True),
        "options": [o for o in ctx.text(row["fieldoptions"], unescape=True).split(",") if o],
        "regex": ctx.text(row["regexpr"]), "required": ctx.flag(row["required"]),
        "admin_only": ctx.flag(row["adminonly"]), "show_on_order": ctx.flag(row["showorder"]),
        "show_on_invoice": ctx.flag(row["showinvoice"]), "sort_order": ctx.int(row["sortorder"]),
    }


def map_custom_value(row: Row, ctx: MapContext) -> Output:
    """tblcustomfieldsvalues -> custom_field_values."""
    return {"id": row["id"], "field_id": row["fieldid"], "entity_id": ctx.int(row["relid"]),
            "value": ctx.text(row["value"])}


# ---------------------------------------------------------------- support and logs


def map_department(row: Row, ctx: MapContext) -> Output:
    """tblticketdepartments -> ticket_departments (mail import settings are not mapped)."""
    return {"id": row["id"], "name": ctx.text(row["name"], unescape=True),
            "description": ctx.text(row["description"], unescape=True),
            "email": ctx.text(row["email"]), "hidden": ctx.flag(row["hidden"]),
            "clients_only": ctx.flag(row["clientsonly"]), "sort_order": ctx.int(row["order"])}


def _admin_by_name(ctx: MapContext, name: Any) -> int | None:
    admins: dict[str, int] = ctx.lookups.get("admins", {})
    return admins.get(ctx.text(name).strip().lower())


def _attachments(ctx: MapContext, value: Any, ticket_id: int, origin: tuple[str, str],
                 column: str, when: Any, link_id: int | None = None) -> list[Emit]:
    """Attachment metadata from a ``|``-separated list of stored names ``<random>_<name>``.

    ``link_id`` is the message/note id when it is known (kept ids); otherwise the id the id
    map gives ``origin`` is resolved into ``column``."""
    names = [n for n in ctx.text(value).split("|") if n.strip()]
    return [Emit("ticket_attachments", {
        "ticket_id": ticket_id, "filename": name.split("_", 1)[-1], "stored_name": name,
        "created_at": when, **({column: link_id} if link_id else {})},
        key=(f"{origin[0]}.attachment", f"{origin[1]}:{i}"),
        resolve={} if link_id else {column: origin}) for i, name in enumerate(names)]


def map_ticket(row: Row, ctx: MapContext) -> Output:
    """tbltickets -> tickets + the opening message (it lives in tbltickets.message)."""
    opened = ctx.utc_or_epoch(row["date"])
    admin_id = _admin_by_name(ctx, row["admin"]) if ctx.text(row["admin"]) else None
    ticket = {
        "id": row["id"], "number": ctx.text(row["tid"]) or str(row["id"]),
        "department_id": row["did"], "client_id": ctx.int(row["userid"]) or None,
        "contact_id": ctx.int(row["contactid"]) or None,
        "user_id": ctx.int(row["requestor_id"]) or None, "name": ctx.text(row["name"]),
        "email": ctx.text(row["email"]),
        "cc": [c.strip() for c in ctx.text(row["cc"]).split(",") if c.strip()],
        "subject": ctx.text(row["title"], unescape=True),
        "status": slug_status(row["status"]) or "open",
        "priority": str(row["urgency"] or "medium").strip().lower(),
        "service_id": row.get("_service_id"), "domain_id": row.get("_domain_id"),
        "assigned_admin_id": ctx.int(row["flag"]) or None, "access_key": ctx.text(row["c"]),
        "opened_by_admin_id": admin_id, "merged_into_id": ctx.int(row["merged_ticket_id"]) or None,
        "ip_address": ctx.text(row["ipaddress"])[:45], "created_at": opened,
        "last_reply_at": ctx.utc(row["lastreply"]),
    }
    origin = ("tbltickets", str(row["id"]))
    message = {
        "ticket_id": row["id"], "author_type": "admin" if admin_id else (
            "client" if ticket["client_id"] else "guest"),
        "client_id": ticket["client_id"], "contact_id": ticket["contact_id"],
        "admin_id": admin_id, "name": ctx.text(row["name"]) or ctx.text(row["admin"]),
        "email": ctx.text(row["email"]), "body": ctx.text(row["message"]),
        "ip_address": ticket["ip_address"], "created_at": opened,
    }
    return [Emit("tickets", ticket), Emit("ticket_messages", message, key=origin),
            *_attachments(ctx, row["attachment"], row["id"], origin, "message_id", opened)]


def map_reply(row: Row, ctx: MapContext) -> Output:
    """tblticketreplies -> ticket_messages (staff replies name the admin; matched by name)."""
    when = ctx.utc_or_epoch(row["date"])
    staff = ctx.text(row["admin"]).strip()
    admin_id = _admin_by_name(ctx, staff) if staff else None
    client_id = ctx.int(row["userid"]) or None
    origin = ("tblticketreplies", str(row["id"]))
    message = {
        "ticket_id": row["tid"],
        "author_type": "admin" if staff else ("client" if client_id else "guest"),
        "client_id": client_id, "contact_id": ctx.int(row["contactid"]) or None,
        "admin_id": admin_id, "name": staff or ctx.text(row["name"]),
        "email": ctx.text(row["email"]), "body": ctx.text(row["message"]),
        "rating": ctx.int(row["rating"]) or None, "created_at": when,
    }
    return [Emit("ticket_messages", message, key=origin),
            *_attachments(ctx, row["attachment"], row["tid"], origin, "message_id", when)]


def map_ticket_note(row: Row, ctx: MapContext) -> Output:
    """tblticketnotes -> ticket_notes (+ attachment metadata)."""
    when = ctx.utc_or_epoch(row["date"])
    note = {"id": row["id"], "ticket_id": row["ticketid"],
            "admin_id": _admin_by_name(ctx, row["admin"]), "body": ctx.text(row["message"]),
            "created_at": when}
    origin = ("tblticketnotes", str(row["id"]))
    attachments = _attachments(ctx, row["attachments"], row["ticketid"], origin, "note_id", when,
                               link_id=row["id"])
    return [Emit("ticket_notes", note), *attachments]


def map_activity(row: Row, ctx: MapContext) -> Output:
    """tblactivitylog -> activity_log (source ``whmcs``)."""
    admin_id, user_id = ctx.int(row["admin_id"]), ctx.int(row["user_id"])
    return {
        "id": row["id"], "created_at": ctx.utc_or_epoch(row["date"]),
        "actor_type": "admin" if admin_id else ("user" if user_id else "system"),
        "actor_id": admin_id or user_id or None, "actor_name": ctx.text(row["user"])[:128],
        "source": "whmcs", "action": "whmcs.activity", "description": ctx.text(row["description"]),
        "client_id": ctx.int(row["userid"]) or None, "ip_address": ctx.text(row["ipaddr"])[:45],
    }
