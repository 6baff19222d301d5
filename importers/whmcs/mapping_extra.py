"""Pure mappings of the WHMCS 8.x tables that sit beside billing: cancellation requests,
domain additional fields, billable items, quotes with their lines and affiliate accounts
(see :mod:`importers.whmcs.mapping` for the conventions)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bridge.models.support import DEFAULT_TICKET_STATUSES
from bridge.money import line_total, percent_of
from importers.base import Emit, MapContext, MappingError, Output, Row
from importers.whmcs.mapping import currency_code, slug_status

# a request for a service WHMCS has already ended was carried out: it is closed on import so
# the automation does not terminate the service a second time
_ENDED = {"cancelled", "terminated", "fraud"}
# tblbillableitems.invoiceaction 0-4
_INVOICE_ACTIONS = ("none", "next_cron", "next_invoice", "due_date", "recur")
_RECUR_UNITS = {"day": "D", "days": "D", "week": "W", "weeks": "W", "month": "M",
                "months": "M", "year": "Y", "years": "Y"}
_QUOTE_STAGES = {"draft", "delivered", "on_hold", "accepted", "lost", "dead"}
_PAY_TYPES = {"": "", "percentage": "percentage", "fixed": "fixed", "fixedamount": "fixed"}
_PLACES = Decimal("0.0001")
# WHMCS's built-in ticket statuses are the core's seeded ones, under the same keys
_SEEDED_STATUSES = {row[0] for row in DEFAULT_TICKET_STATUSES}


def map_cancel_request(row: Row, ctx: MapContext) -> Output:
    """tblcancelrequests -> cancellation_requests (closed when WHMCS already ended the
    service, at its termination date or else the request's date)."""
    kind = str(row["type"] or "").strip().lower()
    if kind not in ("immediate", "end of billing period"):
        raise MappingError(f"unknown cancellation type {row['type']!r}")
    created = ctx.utc_or_epoch(row["date"])
    processed = None
    if slug_status(row["_service_status"]) in _ENDED:
        ended = ctx.date(row["_termination_date"])
        processed = ctx.utc(ended) if ended else created
    return {"id": row["id"], "service_id": row["relid"],
            "kind": "immediate" if kind == "immediate" else "end_of_period",
            "reason": ctx.text(row["reason"]), "created_at": created, "processed_at": processed}


def map_domain_field(row: Row, ctx: MapContext) -> Output:
    """tbldomainsadditionalfields -> domain_fields (registry extras such as .us nexus)."""
    return {"id": row["id"], "domain_id": row["domainid"], "name": ctx.text(row["name"]),
            "value": ctx.text(row["value"])}


def map_billable_item(row: Row, ctx: MapContext) -> Output:
    """tblbillableitems -> billable_items. WHMCS keeps the total ``amount`` for ``hours``
    units; the core keeps a unit amount, used when the split is exact to 4 places (else one
    unit of the whole amount, the hours kept in the description)."""
    action_code = ctx.int(row["invoiceaction"], "invoiceaction")
    if not 0 <= action_code < len(_INVOICE_ACTIONS):
        raise MappingError(f"unknown invoiceaction {row['invoiceaction']!r}")
    action = _INVOICE_ACTIONS[action_code]
    total = ctx.money(row["amount"])
    hours = ctx.money(row["hours"], "hours")
    description = ctx.text(row["description"], unescape=True)
    quantity, unit_amount = Decimal(1), total
    if hours > 0:
        split = (total / hours).quantize(_PLACES)
        if split * hours == total:
            quantity, unit_amount = hours, split
        else:
            description = f"{description} ({hours.normalize():f} x)"
    recur_cycle, recur_for = "", ctx.int(row["recurfor"], "recurfor")
    invoice_count = ctx.int(row["invoicecount"], "invoicecount")
    if action == "recur":
        unit = _RECUR_UNITS.get(str(row["recurcycle"] or "").strip().lower())
        every = ctx.int(row["recur"], "recur")
        if unit is None or every <= 0:
            raise MappingError(f"recurring item with cycle {row['recur']!r} "
                               f"{row['recurcycle']!r}")
        recur_cycle = f"{every}{unit}"
        invoiced = 0 < recur_for <= invoice_count
    else:
        invoiced = invoice_count > 0
    return {"id": row["id"], "client_id": row["userid"], "description": description,
            "quantity": quantity, "unit_amount": unit_amount,
            "currency": currency_code(ctx, row["_currency_id"]), "invoice_action": action,
            "due_date": ctx.date(row["duedate"]), "recur_cycle": recur_cycle,
            "recur_for": recur_for, "invoice_count": invoice_count, "invoiced": invoiced}


def map_quote(row: Row, ctx: MapContext) -> Output:
    """tblquotes -> quotes (a prospect's quote has no client: its details stay on the quote).
    A quote without a valid-until date is valid until its creation date."""
    stage = slug_status(row["stage"])
    if stage not in _QUOTE_STAGES:
        raise MappingError(f"unknown quote stage {row['stage']!r}")
    created = ctx.date(row["datecreated"])
    currency_id = ctx.int(row["currency"]) or row["_currency_id"]
    text = ctx.text
    return {
        "id": row["id"], "client_id": ctx.int(row["userid"]) or None,
        "subject": text(row["subject"], unescape=True), "stage": stage,
        "valid_until": ctx.date(row["validuntil"]) or created, "date_created": created,
        "last_modified": ctx.date(row["lastmodified"]), "date_sent": ctx.date(row["datesent"]),
        "date_accepted": ctx.date(row["dateaccepted"]),
        "currency": currency_code(ctx, currency_id),
        "first_name": text(row["firstname"], unescape=True),
        "last_name": text(row["lastname"], unescape=True),
        "company_name": text(row["companyname"], unescape=True), "email": text(row["email"]),
        "address1": text(row["address1"]), "address2": text(row["address2"]),
        "city": text(row["city"]), "state": text(row["state"]),
        "postcode": text(row["postcode"]), "country": text(row["country"]),
        "phone": text(row["phonenumber"]), "tax_id": text(row["tax_id"]),
        "subtotal": ctx.money(row["subtotal"]), "tax1": ctx.money(row["tax1"]),
        "tax2": ctx.money(row["tax2"]), "total": ctx.money(row["total"]),
        "proposal": text(row["proposal"]), "customer_notes": text(row["customernotes"]),
        "admin_notes": text(row["adminnotes"]),
    }


def map_quote_item(row: Row, ctx: MapContext) -> Output:
    """tblquoteitems -> quote_items; the line total is computed as the core does (quantity x
    unit price, less the discount percent, to cents)."""
    quantity = ctx.money(row["quantity"], "quantity")
    unit = ctx.money(row["unitprice"], "unitprice")
    discount = ctx.money(row["discount"], "discount")
    if quantity <= 0:
        raise MappingError(f"quantity {row['quantity']!r} is not positive")
    if not 0 <= discount <= 100:
        raise MappingError(f"discount {row['discount']!r} is not a percentage")
    gross = line_total(unit, quantity)
    return {"id": row["id"], "quote_id": row["quoteid"],
            "description": ctx.text(row["description"], unescape=True), "quantity": quantity,
            "unit_amount": unit, "discount_percent": discount, "taxed": ctx.flag(row["taxable"]),
            "amount": gross - percent_of(gross, discount), "sort_order": row["id"],
            "created_at": ctx.utc_or_epoch(row["created_at"]),
            "updated_at": ctx.utc(row["updated_at"])}


def map_affiliate(row: Row, ctx: MapContext) -> Output:
    """tblaffiliates -> affiliates (balance and withdrawn amounts in the client's currency)."""
    pay_type = _PAY_TYPES.get(str(row["paytype"] or "").strip().lower())
    if pay_type is None:
        raise MappingError(f"unknown commission type {row['paytype']!r}")
    activated: Any = row["date"]
    return {"id": row["id"], "client_id": row["clientid"],
            "currency": currency_code(ctx, row["_currency_id"]),
            "visitors": ctx.int(row["visitors"], "visitors"), "commission_type": pay_type,
            "commission_amount": ctx.money(row["payamount"]), "one_time": ctx.flag(row["onetime"]),
            "balance": ctx.money(row["balance"]), "withdrawn": ctx.money(row["withdrawn"]),
            "created_at": ctx.utc(activated) or ctx.utc_or_epoch(row["created_at"]),
            "updated_at": ctx.utc(row["updated_at"])}


def map_ticket_status(row: Row, ctx: MapContext) -> Output:
    """tblticketstatuses -> ticket_statuses, keyed like tickets' statuses (``Awaiting
    Vendor`` -> ``awaiting_vendor``). The built-in six already exist (seeded by ``bridge
    init``) and are left as they are; custom ones get an id of their own (id map), as the
    seeded rows hold the low ids."""
    key = slug_status(row["title"])
    if not key:
        raise MappingError("ticket status without a title")
    if key in _SEEDED_STATUSES:
        return []
    return [Emit("ticket_statuses", {
        "key": key, "title": ctx.text(row["title"], unescape=True),
        "color": ctx.text(row["color"]), "is_open": ctx.flag(row["showactive"]),
        "awaiting_reply": ctx.flag(row["showawaiting"]), "auto_close": ctx.flag(row["autoclose"]),
        "sort_order": ctx.int(row["sortorder"], "sortorder"),
    }, key=("tblticketstatuses", str(row["id"])))]
