"""Billing group, quotes: CreateQuote, UpdateQuote, DeleteQuote, GetQuotes, SendQuote,
AcceptQuote.

``lineitems`` is ``base64_encode(serialize([[desc, qty, up, discount, taxable (, id)], ...]))``
or the same as a bracket array (``lineitems[0][desc]=...``). ``discount`` is a percentage of
the line (``tblquoteitems.discount``). ``validuntil``/``datecreated`` take WHMCS's localised
``DD/MM/YYYY`` or ``Y-m-d``. GetQuotes prints ids and line values as strings, as WHMCS's
documented example does.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select

from bridge.errors import ValidationFailed
from bridge.models import Client
from bridge.models.quotes import Quote, QuoteItem
from bridge.services.quotes import (
    accept_quote,
    create_quote,
    delete_quote,
    send_quote,
    update_quote,
)

from ..format import money, reverse, ymd
from ..params import as_bool, as_list, decode_serialized_b64
from ..registry import ApiError, ApiRequest, action, listing
from .billing import checked_amount, currency_by_id, currency_ids, local_date

STAGES = {"draft": "Draft", "delivered": "Delivered", "on_hold": "On Hold",
          "accepted": "Accepted", "lost": "Lost", "dead": "Dead"}
STAGES_IN = reverse(STAGES)
FIELDS = (("firstname", "first_name"), ("lastname", "last_name"),
          ("companyname", "company_name"), ("email", "email"), ("address1", "address1"),
          ("address2", "address2"), ("city", "city"), ("state", "state"),
          ("postcode", "postcode"), ("country", "country"), ("phonenumber", "phone"),
          ("tax_id", "tax_id"), ("proposal", "proposal"), ("customernotes", "customer_notes"),
          ("adminnotes", "admin_notes"))
NOT_FOUND = "Quote ID Not Found"


def _decimal(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ApiError(f"lineitems {name} must be a number") from None
    return checked_amount(number, f"lineitems {name}")


def _line(raw: Mapping[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = {}
    if raw.get("id") not in (None, ""):
        line["id"] = int(_decimal(raw["id"], "id"))
    if "desc" in raw:
        line["description"] = str(raw["desc"] or "")
    for key, field in (("qty", "quantity"), ("up", "unit_amount"),
                       ("discount", "discount_percent")):
        if raw.get(key) not in (None, ""):
            line[field] = _decimal(raw[key], key)
    if "taxable" in raw:
        line["taxed"] = as_bool(raw["taxable"])
    return line


def _line_items(req: ApiRequest) -> list[dict[str, Any]] | None:
    if not req.has("lineitems"):
        return None
    try:
        decoded = decode_serialized_b64(req.params["lineitems"], "lineitems")
    except ValueError as exc:
        raise ApiError(str(exc)) from exc
    lines = []
    for entry in as_list(decoded):
        if not isinstance(entry, Mapping):
            raise ApiError("lineitems must be a list of arrays (desc, qty, up, discount, "
                           "taxable)")
        lines.append(_line(entry))
    return lines


def _stage(req: ApiRequest) -> str:
    stage = STAGES_IN.get(req.text("stage").lower())
    if stage is None:
        raise ApiError("Invalid Stage")
    return stage


def _common(req: ApiRequest, data: dict[str, Any]) -> dict[str, Any]:
    for param, field in FIELDS:
        if req.has(param):
            data[field] = req.text(param)
    if req.has("userid"):
        client_id = req.integer("userid", message="Client ID Not Found") or None
        if client_id is not None and req.session.get(Client, client_id) is None:
            raise ApiError("Client ID Not Found")
        data["client_id"] = client_id
    if req.text("currency") and not data.get("client_id"):
        data["currency"] = currency_by_id(req, req.integer("currency") or 0)
    if req.text("datecreated"):
        data["date_created"] = local_date(req, "datecreated")
    lines = _line_items(req)
    if lines is not None:
        data["items"] = lines
    return data


def _quote(req: ApiRequest) -> Quote:
    quote_id = req.integer("quoteid", message=NOT_FOUND)
    quote = req.session.get(Quote, quote_id) if quote_id else None
    if quote is None:
        raise ApiError(NOT_FOUND)
    return quote


@action("CreateQuote")
def create_quote_action(req: ApiRequest) -> dict[str, Any]:
    """Create a quote for a client (``userid``) or a prospect (name and address)."""
    if not req.text("subject"):
        raise ApiError("Subject is required")
    stage = _stage(req)
    if not req.text("validuntil"):
        raise ApiError("Valid Until is required")
    data = _common(req, {"subject": req.text("subject"), "stage": stage,
                         "valid_until": local_date(req, "validuntil")})
    quote = create_quote(req.session, data)
    return {"quoteid": str(quote.id)}


@action("UpdateQuote")
def update_quote_action(req: ApiRequest) -> dict[str, Any]:
    """Change a quote's fields; ``lineitems`` with an ``id`` edit lines, others add lines."""
    quote = _quote(req)
    data: dict[str, Any] = {}
    if req.text("subject"):
        data["subject"] = req.text("subject")
    if req.text("stage"):
        data["stage"] = _stage(req)
    if req.text("validuntil"):
        data["valid_until"] = local_date(req, "validuntil")
    update_quote(req.session, quote.id, _common(req, data))
    return {}


@action("DeleteQuote")
def delete_quote_action(req: ApiRequest) -> dict[str, Any]:
    """Delete a quote and its lines."""
    delete_quote(req.session, _quote(req).id)
    return {}


@action("SendQuote", status="partial",
        notes="marks the quote delivered and emits quote_sent; mail delivery is up to the "
              "event's subscribers")
def send_quote_action(req: ApiRequest) -> dict[str, Any]:
    """Send a quote to its recipient."""
    try:
        send_quote(req.session, _quote(req).id)
    except ValidationFailed as exc:
        raise ApiError(exc.message) from exc
    return {}


@action("AcceptQuote")
def accept_quote_action(req: ApiRequest) -> dict[str, Any]:
    """Accept a quote; its lines become a new invoice for the client."""
    invoice = accept_quote(req.session, _quote(req).id)
    return {"invoiceid": str(invoice.id)}


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _quote_row(quote: Quote, items: list[QuoteItem], currency_id: int) -> dict[str, Any]:
    return {
        "id": str(quote.id), "subject": quote.subject, "stage": STAGES.get(quote.stage, ""),
        "validuntil": ymd(quote.valid_until), "userid": str(quote.client_id or 0),
        "firstname": quote.first_name, "lastname": quote.last_name,
        "companyname": quote.company_name, "email": quote.email, "address1": quote.address1,
        "address2": quote.address2, "city": quote.city, "state": quote.state,
        "postcode": quote.postcode, "country": quote.country, "phonenumber": quote.phone,
        "tax_id": quote.tax_id, "currency": str(currency_id), "subtotal": money(quote.subtotal),
        "tax1": money(quote.tax1), "tax2": money(quote.tax2), "total": money(quote.total),
        "proposal": quote.proposal, "customernotes": quote.customer_notes,
        "adminnotes": quote.admin_notes, "datecreated": ymd(quote.date_created),
        "lastmodified": ymd(quote.last_modified), "datesent": ymd(quote.date_sent),
        "dateaccepted": ymd(quote.date_accepted),
        "items": {"item": [{
            "id": str(item.id), "description": item.description,
            "quantity": _number(item.quantity), "unitprice": money(item.unit_amount),
            "discount": money(item.discount_percent), "taxable": str(int(item.taxed)),
        } for item in items]},
    }


@action("GetQuotes")
def get_quotes(req: ApiRequest) -> dict[str, Any]:
    """Page through quotes with their lines (lines batch-loaded in one query)."""
    start, num = req.page()
    query = select(Quote)
    for param, column in (("quoteid", Quote.id), ("userid", Quote.client_id)):
        if req.integer(param):
            query = query.where(column == req.integer(param))
    if req.text("subject"):
        query = query.where(Quote.subject == req.text("subject"))
    if req.text("stage"):
        query = query.where(Quote.stage == _stage(req))
    for param, day_column in (("datecreated", Quote.date_created),
                              ("lastmodified", Quote.last_modified),
                              ("validuntil", Quote.valid_until)):
        if req.text(param):
            query = query.where(day_column == local_date(req, param))
    total = req.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    quotes = list(req.session.scalars(query.order_by(Quote.id).offset(start).limit(num)))
    lines: dict[int, list[QuoteItem]] = {quote.id: [] for quote in quotes}
    if quotes:
        for item in req.session.scalars(select(QuoteItem).where(
                QuoteItem.quote_id.in_(list(lines))).order_by(QuoteItem.sort_order,
                                                              QuoteItem.id)):
            lines[item.quote_id].append(item)
    ids = currency_ids(req) if quotes else {}
    rows = [_quote_row(q, lines[q.id], ids.get(q.currency, 0)) for q in quotes]
    return listing(int(total), start, rows, "quotes", "quote")
