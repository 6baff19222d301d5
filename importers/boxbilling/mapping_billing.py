"""Pure mapping of BoxBilling/FOSSBilling orders, services, invoices, payments and tickets.

One ``client_order`` row is one subscription. It becomes an order with the same id and, by
``service_type``, a service (hosting and every non-domain type), a domain, or - when the
product is an addon - a service addon of its bundle's master order, all with that same id.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from importers.base import Emit, MapContext, MappingError, Row

from .mapping import currency_of, json_value

CENT = Decimal("0.01")
SERVICE_STATUS = {"pending_setup": "pending", "failed_setup": "pending", "active": "active",
                  "suspended": "suspended", "canceled": "cancelled", "failed_renew": "active"}
ORDER_STATUS = {"pending_setup": "pending", "failed_setup": "pending", "active": "active",
                "suspended": "active", "canceled": "cancelled", "failed_renew": "active"}
DOMAIN_STATUS = {"pending_setup": "pending", "failed_setup": "pending", "active": "active",
                 "suspended": "active", "canceled": "cancelled", "failed_renew": "active"}
INVOICE_STATUS = {"unpaid": "unpaid", "paid": "paid", "refunded": "refunded",
                  "canceled": "cancelled"}
TXN_STATUS = {"received": "pending", "approved": "completed", "processed": "completed",
              "processing": "pending", "error": "failed"}
TICKET_STATUS = {"open": "open", "on_hold": "on_hold", "closed": "closed"}


def php_round(value: Decimal) -> Decimal:
    """PHP ``round($x, 2)``: half away from zero."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _status(table: dict[str, str], value: Any, what: str) -> str:
    key = "" if value is None else str(value)
    if key not in table:
        raise MappingError(f"unknown {what} status {key!r}")
    return table[key]


# ---------------------------------------------------------------- orders and services

def _order_common(row: Row, ctx: MapContext) -> tuple[Row, Decimal, Decimal, str]:
    order_id = int(row["id"])
    status = ctx.text(row.get("status")) or "pending_setup"
    currency = currency_of(ctx, row.get("currency"), "the order")
    quantity = int(row.get("quantity") or 1)
    price = ctx.money(row.get("price"), "price")
    discount = ctx.money(row.get("discount"), "discount")
    recurring = price * quantity
    order = {"id": order_id, "client_id": int(row["client_id"]),
             "number": str(order_id), "status": _status(ORDER_STATUS, status, "order"),
             "currency": currency, "amount": recurring - discount,
             "promotion_id": int(row["promo_id"]) if row.get("promo_id") else None,
             "notes": ctx.text(row.get("notes")),
             "created_at": ctx.utc_or_epoch(row.get("created_at")),
             "accepted_at": ctx.utc(row.get("activated_at")),
             "cancelled_at": ctx.utc(row.get("canceled_at"))}
    return order, recurring, discount, status


def _cycle(row: Row, ctx: MapContext) -> str:
    period = ctx.text(row.get("period")).strip().upper()
    if period in ("", "0"):
        return "onetime"
    if period[:-1].isdigit() and period[-1:] in ("D", "W", "M", "Y"):
        return period
    raise MappingError(f"unknown period code {period!r}")


def map_order(row: Row, ctx: MapContext) -> list[Emit]:
    """A non-addon ``client_order`` (+ its ``service_hosting``/``service_domain`` row as
    ``sh_*``/``sd_*`` columns) -> orders + services or domains."""
    order, recurring, discount, status = _order_common(row, ctx)
    order_id = order["id"]
    cycle = _cycle(row, ctx)  # validates the period for domains too
    config = json_value(row.get("config"), "order config") or {}
    if ctx.text(row.get("service_type")) == "domain":
        return [Emit("orders", order), Emit("domains", _domain(row, ctx, order))]
    hosting = row.get("sh_id") is not None
    domain = (ctx.text(row.get("sh_sld")) + ctx.text(row.get("sh_tld"))) if hosting else ""
    module_data: dict[str, Any] = {"service_type": ctx.text(row.get("service_type")),
                                   "service_id": row.get("service_id"),
                                   "title": ctx.text(row.get("title")), "config": config,
                                   "meta": json_value(row.get("meta_json"), "order meta") or {}}
    if hosting:
        module_data.update(plan=ctx.text(row.get("hp_name")),
                           plan_id=row.get("sh_hp_id"), reseller=ctx.flag(row.get("sh_reseller")))
    password = ctx.text(row.get("sh_pass"))
    if set(password) == {"*"}:
        # FOSSBilling >= 0.6 masks the panel password after provisioning: nothing to keep
        module_data["password_masked_in_source"] = True
        password = ""
    service = {
        "id": order_id, "client_id": order["client_id"], "order_id": order_id,
        "product_id": int(row["product_id"]),
        "server_id": int(row["sh_server_id"]) if row.get("sh_server_id") else None,
        "status": _status(SERVICE_STATUS, status, "order"), "billing_cycle": cycle,
        "currency": order["currency"], "quantity": int(row.get("quantity") or 1),
        "first_payment_amount": recurring - discount, "recurring_amount": recurring,
        "registration_date": ctx.date(row.get("activated_at") or row.get("created_at")),
        "next_due_date": ctx.date(row.get("expires_at")),
        "next_invoice_date": ctx.date(row.get("expires_at")),
        "domain": domain, "username": ctx.text(row.get("sh_username")),
        "password_enc": ctx.encrypt(password), "dedicated_ip": ctx.text(row.get("sh_ip")),
        "promotion_id": order["promotion_id"], "module_data": module_data,
        "suspend_reason": ctx.text(row.get("reason")) if status == "suspended" else "",
        "cancellation_reason": ctx.text(row.get("reason")) if status == "canceled" else "",
        "notes": ctx.text(row.get("notes")), "created_at": order["created_at"],
        "suspended_at": ctx.utc(row.get("suspended_at")),
        "terminated_at": ctx.utc(row.get("canceled_at")),
    }
    return [Emit("orders", order), Emit("services", service)]


def _domain(row: Row, ctx: MapContext, order: Row) -> Row:
    if row.get("sd_id") is None:
        raise MappingError(f"domain order has no service_domain row {row.get('service_id')!r}")
    name = (ctx.text(row.get("sd_sld")) + ctx.text(row.get("sd_tld"))).lower()
    if not name or "." not in name:
        raise MappingError(f"domain name {name!r} is not a domain")
    contacts = {"registrant": {k: ctx.text(row.get(f"sd_contact_{k}")) for k in (
        "email", "company", "first_name", "last_name", "address1", "address2", "city",
        "state", "postcode", "country", "phone_cc", "phone")}}
    years = int(row.get("sd_period") or 1)
    action = ctx.text(row.get("sd_action"))
    return {
        "id": order["id"], "client_id": order["client_id"], "order_id": order["id"],
        "name": name, "kind": "transfer" if action == "transfer" else "register",
        "status": _status(DOMAIN_STATUS, ctx.text(row.get("status")) or "pending_setup",
                          "domain order"),
        "registrar": ctx.text(row.get("registrar_name")).lower(),
        "registration_period": years,
        "registration_date": ctx.date(row.get("sd_registered_at")),
        "expiry_date": ctx.date(row.get("sd_expires_at")),
        "next_due_date": ctx.date(row.get("expires_at")),
        "currency": order["currency"], "first_payment_amount": order["amount"],
        "recurring_amount": order["amount"] + ctx.money(row.get("discount"), "discount"),
        "nameservers": [ctx.text(row[f"sd_ns{n}"]) for n in range(1, 5) if row.get(f"sd_ns{n}")],
        "epp_code_enc": ctx.encrypt(ctx.text(row.get("sd_transfer_code"))),
        "locked": ctx.flag(row.get("sd_locked")), "id_protection": ctx.flag(row.get("sd_privacy")),
        "contacts": contacts, "notes": ctx.text(row.get("notes")),
        "synced_at": ctx.utc(row.get("sd_synced_at")), "created_at": order["created_at"],
    }


def map_addon_order(row: Row, ctx: MapContext) -> list[Emit]:
    """An addon ``client_order`` -> orders + service_addons on the bundle's master service."""
    order, recurring, discount, status = _order_common(row, ctx)
    addon = {"id": order["id"], "service_id": int(row["master_order_id"]),
             "addon_id": int(row["product_id"]), "client_id": order["client_id"],
             "order_id": order["id"], "name": ctx.text(row.get("title")),
             "status": _status(SERVICE_STATUS, status, "order"), "billing_cycle": _cycle(row, ctx),
             "currency": order["currency"], "quantity": int(row.get("quantity") or 1),
             "recurring_amount": recurring,
             "registration_date": ctx.date(row.get("activated_at") or row.get("created_at")),
             "next_due_date": ctx.date(row.get("expires_at")),
             "notes": ctx.text(row.get("notes")), "created_at": order["created_at"]}
    del discount
    return [Emit("orders", order), Emit("service_addons", addon)]


# ---------------------------------------------------------------- invoices and payments

def parse_items(packed: Any, ctx: MapContext) -> list[tuple[Decimal, int, bool]]:
    """The invoice's items packed by the reader as ``price:quantity:taxed;...``."""
    out = []
    for part in ctx.text(packed).split(";"):
        if not part:
            continue
        price, quantity, taxed = part.split(":")
        out.append((ctx.money(price, "item price"), int(quantity or 0), taxed == "1"))
    return out


def invoice_totals(items: list[tuple[Decimal, int, bool]], taxrate: Decimal) -> tuple[
        Decimal, Decimal]:
    """(subtotal, tax) the way BoxBilling computes them: every taxed unit adds
    ``round(price * rate / 100, 2)``."""
    subtotal = sum((price * qty for price, qty, _ in items), Decimal(0))
    tax = sum((php_round(price * taxrate / 100) * qty for price, qty, taxed in items if taxed),
              Decimal(0))
    return subtotal, tax


def map_invoice(row: Row, ctx: MapContext) -> Row:
    """``invoice`` (+ its items packed in ``item_list``) -> invoices; the total is computed
    from the items and the tax rate (the source has no total column). ``approved=0`` is a
    draft (proforma hidden from the client)."""
    rate = ctx.money(ctx.text(row.get("taxrate")).strip().rstrip("%") or 0, "taxrate")
    subtotal, tax = invoice_totals(parse_items(row.get("item_list"), ctx), rate)
    total = subtotal + tax
    status = _status(INVOICE_STATUS, ctx.text(row.get("status")) or "unpaid", "invoice")
    if not ctx.flag(row.get("approved")) and status == "unpaid":
        status = "draft"
    credit = ctx.money(row.get("credit"), "credit")
    paid = max(total - credit, Decimal(0)) if status in ("paid", "refunded") else Decimal(0)
    created = ctx.utc_or_epoch(row.get("created_at"))
    day = ctx.date(row.get("created_at")) or created.date()  # the source's calendar day
    serie, nr = ctx.text(row.get("serie")), ctx.text(row.get("nr"))
    return {"id": int(row["id"]), "client_id": int(row["client_id"]),
            "number": f"{serie}{nr.zfill(5)}" if nr else "", "status": status,
            "currency": currency_of(ctx, row.get("currency"), "the invoice"),
            "date": day, "due_date": ctx.date(row.get("due_at")) or day,
            "paid_at": ctx.utc(row.get("paid_at")),
            "tax1_name": ctx.text(row.get("taxname")), "tax1_rate": rate,
            "subtotal": subtotal, "tax1": tax, "total": total, "credit_applied": credit,
            "amount_paid": paid, "amount_refunded": ctx.money(row.get("refund"), "refund"),
            "payment_method": ctx.text(row.get("gateway_name")).lower(),
            "notes": ctx.text(row.get("notes")), "created_at": created,
            "updated_at": ctx.utc(row.get("updated_at"))}


def map_invoice_item(row: Row, ctx: MapContext) -> Row:
    """``invoice_item`` -> invoice_items, linked to the service/addon/domain of its order
    (``order_kind`` is resolved by the reader; unknown links stay in ``rel_id``)."""
    price = ctx.money(row.get("price"), "price")
    quantity = int(row.get("quantity") or 0)
    kind, order_ref = ctx.text(row.get("order_kind")), row.get("order_ref")
    rel = ctx.text(row.get("rel_id")).strip()
    item_type = {"deposit": "add_funds", "custom": "item"}.get(ctx.text(row.get("type")), "item")
    links: dict[str, int | None] = {"service_id": None, "service_addon_id": None,
                                    "domain_id": None}
    if order_ref:
        item_type = {"domain": "domain_register", "addon": "addon"}.get(kind, "service")
        column = {"domain": "domain_id", "addon": "service_addon_id"}.get(kind, "service_id")
        links[column] = int(order_ref)
    return {"id": int(row["id"]), "invoice_id": int(row["invoice_id"]), "type": item_type,
            **links, "rel_id": int(rel) if rel.isdigit() else None,
            "description": ctx.text(row.get("title")), "quantity": Decimal(quantity),
            "unit_amount": price, "amount": price * quantity,
            "taxed": ctx.flag(row.get("taxed")), "sort_order": int(row["id"])}


def map_transaction(row: Row, ctx: MapContext) -> Row:
    """``transaction`` (payment log; ``amount`` is VARCHAR) -> transactions.

    Only approved/processed payments and refunds are money that moved (status completed);
    received/error rows and subscription notices are kept with their status for the record.
    """
    kind = ctx.text(row.get("type")) or "unknown"
    status = TXN_STATUS.get(ctx.text(row.get("status")) or "received")
    if status is None:
        raise MappingError(f"unknown transaction status {row.get('status')!r}")
    if "," in ctx.text(row.get("amount")):
        # "12,50" is ambiguous (decimal comma or thousands separator): never guess money
        raise MappingError(f"amount {row.get('amount')!r} is not a plain decimal number")
    amount = ctx.money(row.get("amount"), "amount")
    currency = currency_of(ctx, row.get("currency") or row.get("invoice_currency"),
                           "the transaction")
    moved = status == "completed" and kind in ("payment", "refund")
    txn_id = ctx.text(row.get("txn_id")).strip()
    return {"id": int(row["id"]), "client_id": row.get("invoice_client_id") or None,
            "invoice_id": row.get("invoice_id") or None,
            "kind": "refund" if kind == "refund" else "payment",
            "gateway": ctx.text(row.get("gateway_name")).lower(),
            # the unique (gateway, txn id) pair only holds for money that moved; IPN retries
            # repeat the id on received/error rows
            "gateway_txn_id": txn_id if moved and txn_id else None,
            "date": ctx.utc_or_epoch(row.get("created_at")),
            "description": ctx.text(row.get("note")) or kind, "currency": currency,
            "amount_in": abs(amount) if kind != "refund" else Decimal(0),
            "amount_out": abs(amount) if kind == "refund" else Decimal(0),
            "status": status if kind in ("payment", "refund") else "info",
            "raw": {"type": kind, "txn_id": txn_id, "txn_status": ctx.text(row.get("txn_status")),
                    "error": ctx.text(row.get("error")), "s_id": ctx.text(row.get("s_id"))},
            "created_at": ctx.utc_or_epoch(row.get("created_at"))}


# ---------------------------------------------------------------- support

def map_ticket(row: Row, ctx: MapContext) -> Row:
    """``support_ticket`` -> tickets (FB 0.8.5 guest tickets have no client, only author_*)."""
    status = _status(TICKET_STATUS, ctx.text(row.get("status")) or "open", "ticket")
    return {"id": int(row["id"]), "number": str(row["id"]),
            "department_id": int(row["support_helpdesk_id"]),
            "client_id": int(row["client_id"]) if row.get("client_id") else None,
            "name": ctx.text(row.get("author_name")), "email": ctx.text(row.get("author_email")),
            "subject": ctx.text(row.get("subject")) or "(no subject)", "status": status,
            "priority": "medium", "access_key": ctx.text(row.get("access_hash"))[:32],
            "created_at": ctx.utc_or_epoch(row.get("created_at")),
            "last_reply_at": ctx.utc(row.get("updated_at")),
            "closed_at": ctx.utc(row.get("updated_at")) if status == "closed" else None}


def map_ticket_message(row: Row, ctx: MapContext) -> list[Emit]:
    """``support_ticket_message`` -> ticket_messages (+ the attachment's metadata)."""
    message_id = int(row["id"])
    admin = row.get("admin_id")
    created = ctx.utc_or_epoch(row.get("created_at"))
    message = {"id": message_id, "ticket_id": int(row["support_ticket_id"]),
               "author_type": "admin" if admin else ("client" if row.get("client_id")
                                                     else "guest"),
               "client_id": None if admin else (row.get("client_id") or None),
               "admin_id": int(admin) if admin else None,
               "body": ctx.text(row.get("content")), "ip_address": ctx.text(row.get("ip")),
               "created_at": created}
    out = [Emit("ticket_messages", message)]
    attachment = ctx.text(row.get("attachment")).strip()
    if attachment:
        out.append(Emit("ticket_attachments", {
            "ticket_id": message["ticket_id"], "message_id": message_id,
            "filename": attachment.rsplit("/", 1)[-1], "stored_name": attachment,
            "created_at": created}, key=("support_ticket_message.attachment", str(message_id))))
    return out


def map_ticket_note(row: Row, ctx: MapContext) -> Row:
    """``support_ticket_note`` -> ticket_notes."""
    return {"id": int(row["id"]), "ticket_id": int(row["support_ticket_id"]),
            "admin_id": int(row["admin_id"]) if row.get("admin_id") else None,
            "body": ctx.text(row.get("note")),
            "created_at": ctx.utc_or_epoch(row.get("created_at"))}


# Public tickets share their id range with support_ticket. Ids allocated after the highest
# core id could later collide with a kept support_ticket id (a quarantined one fixed in the
# source, or a new one in a delta run), so they live in their own range above this offset.
GUEST_ID_OFFSET = 1_000_000_000


def map_guest_ticket(row: Row, ctx: MapContext) -> Row:
    """``support_p_ticket`` (public tickets, BB and FB < 0.8.5) -> tickets with id
    ``GUEST_ID_OFFSET + id`` and number ``P<id>``."""
    status = _status(TICKET_STATUS, ctx.text(row.get("status")) or "open", "public ticket")
    return {"id": GUEST_ID_OFFSET + int(row["id"]), "number": f"P{row['id']}",
            "department_id": int(row["default_department_id"]),
            "name": ctx.text(row.get("author_name")), "email": ctx.text(row.get("author_email")),
            "subject": ctx.text(row.get("subject")) or "(no subject)", "status": status,
            "priority": "medium", "access_key": ctx.text(row.get("hash"))[:32],
            "created_at": ctx.utc_or_epoch(row.get("created_at")),
            "last_reply_at": ctx.utc(row.get("updated_at"))}


def map_guest_ticket_message(row: Row, ctx: MapContext) -> Row:
    """``support_p_ticket_message`` -> ticket_messages of the re-numbered public ticket."""
    admin = row.get("admin_id")
    return {"id": GUEST_ID_OFFSET + int(row["id"]),
            "ticket_id": GUEST_ID_OFFSET + int(row["support_p_ticket_id"]),
            "author_type": "admin" if admin else "guest", "admin_id": int(admin) if admin else None,
            "name": ctx.text(row.get("author_name")), "email": ctx.text(row.get("author_email")),
            "body": ctx.text(row.get("content")), "ip_address": ctx.text(row.get("ip")),
            "created_at": ctx.utc_or_epoch(row.get("created_at"))}


def map_activity(row: Row, ctx: MapContext) -> Row:
    """``activity_system`` -> activity_log (source ``import``)."""
    return {"id": int(row["id"]), "created_at": ctx.utc_or_epoch(row.get("created_at")),
            "actor_type": "admin" if row.get("admin_id") else (
                "client" if row.get("client_id") else "system"),
            "actor_id": row.get("admin_id") or row.get("client_id") or None,
            "source": "import:boxbilling", "action": "boxbilling.log",
            "description": ctx.text(row.get("message")),
            "client_id": row.get("client_id") or None, "ip_address": ctx.text(row.get("ip")),
            "data": {"priority": row.get("priority")}}


# activity_client_history rows share activity_log with activity_system (whose ids are kept)
LOGIN_ID_OFFSET = 1_000_000_000


def map_client_login(row: Row, ctx: MapContext) -> Row:
    """``activity_client_history`` (client logins) -> activity_log in its own id range."""
    client = row.get("client_id") or None
    return {"id": LOGIN_ID_OFFSET + int(row["id"]),
            "created_at": ctx.utc_or_epoch(row.get("created_at")), "actor_type": "client",
            "actor_id": client, "source": "import:boxbilling", "action": "boxbilling.login",
            "description": f"Client {client} logged in", "client_id": client,
            "ip_address": ctx.text(row.get("ip"))}
