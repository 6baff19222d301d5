"""Pure mapping of Blesta 5 services, invoices, transactions and support tickets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from importers.base import Emit, MapContext, MappingError, Row

from .mapping import currency_of, cycle, packed_fields

SERVICE_STATUS = {"active": "active", "canceled": "cancelled", "pending": "pending",
                  "suspended": "suspended", "in_review": "pending"}
TXN_STATUS = {"approved": "completed", "declined": "failed", "void": "cancelled",
              "error": "failed", "pending": "pending", "refunded": "completed",
              "returned": "failed"}
TICKET_STATUS = {"open": "open", "awaiting_reply": "answered", "in_progress": "in_progress",
                 "on_hold": "on_hold", "closed": "closed", "trash": "closed"}
PRIORITIES = {"emergency", "critical", "high", "medium", "low"}
# core ids of the refund rows a refunded Blesta payment adds (see map_transaction)
REFUND_ID_OFFSET = 1_000_000_000


def invoice_status(row: Row) -> str:
    """Core status of a Blesta invoice: void -> cancelled, draft/proforma -> draft, active ->
    paid once ``paid >= total`` (and closed), else unpaid."""
    status = str(row.get("status") or "active")
    if status == "void":
        return "cancelled"
    if status in ("draft", "proforma"):
        return "draft"
    if status != "active":
        raise MappingError(f"unknown invoice status {status!r}")
    total = Decimal(str(row.get("total") or 0))
    paid = Decimal(str(row.get("paid") or 0))
    return "paid" if total > 0 and paid >= total or (total == 0 and row.get("date_closed")) \
        else "unpaid"


def _field(fields: dict[str, Any], suffixes: tuple[str, ...]) -> str:
    for key, value in fields.items():
        if any(key == s or key.endswith("_" + s) for s in suffixes) and value not in (None, ""):
            return str(value)
    return ""


def map_service(row: Row, ctx: MapContext) -> Row:
    """``services`` + its pricing and ``service_fields`` -> services; encrypted fields
    (module passwords) are decrypted with the system key and sealed with ours."""
    status = ctx.text(row.get("status")) or "pending"
    if status not in SERVICE_STATUS:
        raise MappingError(f"unknown service status {status!r}")
    # a field the system key cannot open (no --key, wrong key) is flagged, not fatal
    fields = packed_fields(row.get("fields_json"), ctx, lenient=True)
    quantity = int(row.get("qty") or 1)
    override = row.get("override_price")
    unit = ctx.money(override if override is not None else row.get("pr_price"), "price")
    currency = currency_of(ctx, row.get("override_currency") or row.get("pr_currency"),
                           "the service")
    password = _field(fields, ("password", "pass"))
    public = {k: v for k, v in fields.items()
              if not any(k == s or k.endswith("_" + s) for s in ("password", "pass"))}
    return {
        "id": int(row["id"]), "client_id": int(row["client_id"]),
        "product_id": int(row["package_id"]),
        "server_id": int(row["module_row_id"]) if row.get("module_row_id") else None,
        "status": SERVICE_STATUS[status], "billing_cycle": cycle(row.get("pr_term"),
                                                                  row.get("pr_period")),
        "currency": currency, "quantity": quantity, "recurring_amount": unit * quantity,
        "first_payment_amount": unit * quantity + ctx.money(row.get("pr_setup_fee")),
        "registration_date": ctx.date(row.get("date_added")),
        "next_due_date": ctx.date(row.get("date_renews")),
        "next_invoice_date": ctx.date(row.get("date_renews")),
        "domain": _field(fields, ("domain", "hostname")), "username": _field(fields, (
            "username", "user")),
        "password_enc": ctx.encrypt(password),
        "promotion_id": int(row["coupon_id"]) if row.get("coupon_id") else None,
        "suspend_reason": ctx.text(row.get("suspension_reason")),
        "cancellation_reason": ctx.text(row.get("cancellation_reason")),
        "module_data": {"fields": public, "pricing_id": row.get("pricing_id"),
                        "parent_service_id": row.get("parent_service_id"),
                        "id_code": ctx.text(row.get("id_format")).replace(
                            "{num}", ctx.text(row.get("id_value")))},
        "created_at": ctx.utc_or_epoch(row.get("date_added")),
        "suspended_at": ctx.utc(row.get("date_suspended")),
        "terminated_at": ctx.utc(row.get("date_canceled")),
    }


def map_invoice(row: Row, ctx: MapContext) -> Row:
    """``invoices`` -> invoices; Blesta keeps subtotal/total/paid, the tax is their gap."""
    subtotal = ctx.money(row.get("subtotal"), "subtotal")
    total = ctx.money(row.get("total"), "total")
    paid = ctx.money(row.get("paid"), "paid")
    status = invoice_status(row)
    billed = ctx.date(row.get("date_billed"))
    if billed is None:
        raise MappingError("invoice has no billing date")
    return {"id": int(row["id"]), "client_id": int(row["client_id"]),
            "number": ctx.text(row.get("id_format")).replace("{num}", ctx.text(row.get("id_value")))
            or str(row["id"]), "status": status,
            "currency": currency_of(ctx, row.get("currency"), "the invoice"),
            "date": billed, "due_date": ctx.date(row.get("date_due")) or billed,
            "paid_at": ctx.utc(row.get("date_closed")) if status == "paid" else None,
            "cancelled_at": ctx.utc(row.get("date_closed")) if status == "cancelled" else None,
            "subtotal": subtotal, "tax1": total - subtotal, "total": total,
            "amount_paid": min(paid, total), "notes": ctx.text(row.get("note_public")),
            "admin_notes": ctx.text(row.get("note_private")),
            "created_at": ctx.utc_or_epoch(row.get("date_billed"))}


def map_invoice_line(row: Row, ctx: MapContext) -> Row:
    """``invoice_lines`` -> invoice_items (``amount`` is the unit price, ``qty`` decimal)."""
    quantity = ctx.money(row.get("qty"), "qty")
    unit = ctx.money(row.get("amount"), "amount")
    return {"id": int(row["id"]), "invoice_id": int(row["invoice_id"]),
            "type": "service" if row.get("service_id") else "item",
            "service_id": int(row["service_id"]) if row.get("service_id") else None,
            "description": ctx.text(row.get("description")), "quantity": quantity,
            "unit_amount": unit, "amount": quantity * unit, "taxed": ctx.flag(row.get("taxed")),
            "sort_order": int(row.get("order") or 0)}


def map_transaction(row: Row, ctx: MapContext) -> list[Emit]:
    """``transactions`` -> transactions (+ credit).

    A refunded payment came in and went out again: the payment keeps its id and a refund row
    (id ``REFUND_ID_OFFSET + id``) records the money out. What was not applied to invoices
    (``transaction_applied``) of an approved payment is the client's credit (Blesta has no
    credit table) and becomes a credit entry.
    """
    status = ctx.text(row.get("status")) or "approved"
    if status not in TXN_STATUS:
        raise MappingError(f"unknown transaction status {status!r}")
    amount = ctx.money(row.get("amount"), "amount")
    currency = currency_of(ctx, row.get("currency"), "the transaction")
    txn_id = ctx.text(row.get("transaction_id")).strip()
    moved = status in ("approved", "refunded")
    date = ctx.utc_or_epoch(row.get("date_added"))
    payment = {"id": int(row["id"]), "client_id": int(row["client_id"]),
               "invoice_id": int(row["first_invoice_id"]) if row.get("first_invoice_id") else None,
               "kind": "payment", "gateway": ctx.text(row.get("gateway_class")).lower(),
               "gateway_txn_id": txn_id if moved and txn_id else None, "date": date,
               "description": ctx.text(row.get("message")) or ctx.text(row.get("type_name")),
               "currency": currency, "amount_in": amount, "status": TXN_STATUS[status],
               "raw": {"type": ctx.text(row.get("type")), "status": status,
                       "reference_id": ctx.text(row.get("reference_id")),
                       "transaction_id": txn_id}, "created_at": date}
    out = [Emit("transactions", payment)]
    if status == "refunded":
        out.append(Emit("transactions", {
            "id": REFUND_ID_OFFSET + int(row["id"]), "client_id": payment["client_id"],
            "invoice_id": payment["invoice_id"], "kind": "refund",
            "gateway": payment["gateway"], "date": date, "description": "refund",
            "currency": currency, "amount_out": amount, "refund_of_id": int(row["id"]),
            "status": "completed", "raw": {"refund_of": txn_id}, "created_at": date}))
    unapplied = amount - ctx.money(row.get("applied_total"), "applied")
    if status == "approved" and unapplied > 0:
        out.append(Emit("credit_entries", {
            "client_id": payment["client_id"], "date": date, "amount": unapplied,
            "currency": currency, "transaction_id": int(row["id"]),
            "description": "Unapplied payment (Blesta credit)"},
            key=("transactions.credit", str(row["id"]))))
    return out


def map_department(row: Row, ctx: MapContext) -> Row:
    """``support_departments`` -> ticket_departments (mailbox passwords are not kept)."""
    return {"id": int(row["id"]), "company_id": int(row["company_id"]) or None,
            "name": ctx.text(row.get("name")) or f"Department {row['id']}",
            "description": ctx.text(row.get("description")), "email": ctx.text(row.get("email")),
            "hidden": ctx.text(row.get("status")) == "hidden",
            "clients_only": ctx.flag(row.get("clients_only"))}


def map_ticket(row: Row, ctx: MapContext) -> Row:
    """``support_tickets`` -> tickets; ``code`` is the public number."""
    status = ctx.text(row.get("status")) or "open"
    if status not in TICKET_STATUS:
        raise MappingError(f"unknown ticket status {status!r}")
    priority = ctx.text(row.get("priority")) or "low"
    if priority not in PRIORITIES:
        raise MappingError(f"unknown ticket priority {priority!r}")
    return {"id": int(row["id"]), "number": ctx.text(row.get("code")) or str(row["id"]),
            "department_id": int(row["department_id"]),
            "client_id": int(row["client_id"]) if row.get("client_id") else None,
            "email": ctx.text(row.get("email")), "subject": ctx.text(row.get("summary")),
            "status": TICKET_STATUS[status], "priority": priority,
            "service_id": int(row["service_id"]) if row.get("service_id") else None,
            "assigned_admin_id": int(row["staff_id"]) if row.get("staff_id") else None,
            "created_at": ctx.utc_or_epoch(row.get("date_added")),
            "last_reply_at": ctx.utc(row.get("date_updated")),
            "closed_at": ctx.utc(row.get("date_closed"))}


def map_reply(row: Row, ctx: MapContext) -> Row:
    """A ``support_replies`` reply -> ticket_messages (staff, contact or the ticket's email)."""
    staff, contact = row.get("staff_id"), row.get("contact_id")
    return {"id": int(row["id"]), "ticket_id": int(row["ticket_id"]),
            "author_type": "admin" if staff else ("contact" if contact else (
                "client" if row.get("ticket_client_id") else "guest")),
            "admin_id": int(staff) if staff else None,
            "contact_id": int(contact) if contact else None,
            "client_id": None if staff else (row.get("ticket_client_id") or None),
            "email": "" if staff or contact else ctx.text(row.get("ticket_email")),
            "body": ctx.text(row.get("details")),
            "created_at": ctx.utc_or_epoch(row.get("date_added"))}


def map_note(row: Row, ctx: MapContext) -> Row:
    """A ``support_replies`` note or log line -> ticket_notes (log lines are marked)."""
    prefix = "[log] " if ctx.text(row.get("type")) == "log" else ""
    return {"id": int(row["id"]), "ticket_id": int(row["ticket_id"]),
            "admin_id": int(row["staff_id"]) if row.get("staff_id") else None,
            "body": prefix + ctx.text(row.get("details")),
            "created_at": ctx.utc_or_epoch(row.get("date_added"))}


def map_attachment(row: Row, ctx: MapContext) -> Row:
    """``support_attachments`` -> ticket_attachments (metadata; the files stay on disk)."""
    is_reply = ctx.text(row.get("reply_type")) == "reply"
    return {"id": int(row["id"]), "ticket_id": int(row["ticket_id"]),
            "message_id": int(row["reply_id"]) if is_reply else None,
            "note_id": None if is_reply else int(row["reply_id"]),
            "filename": ctx.text(row.get("name")), "stored_name": ctx.text(row.get("file_name")),
            "created_at": ctx.utc_or_epoch(row.get("reply_date"))}
