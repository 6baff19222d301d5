"""Quotes: priced offers to a client or a prospect; accepting one creates its invoice
(WHMCS CreateQuote/UpdateQuote/SendQuote/AcceptQuote/DeleteQuote).

Rules kept here (see bridge.models.quotes for the invariants):
- a line is ``quantity x unit_amount`` less ``discount_percent`` of it, rounded per line;
- totals are recomputed on every change with the tax rules of the recipient (a client's
  rules, or for a prospect the rules of the prospect's country/state);
- a quote for a client is in the client's currency; a prospect's quote in the currency given
  (the default currency otherwise);
- accepting needs a client and at least one line; the invoice is created once, after which
  the lines are frozen;
- sending moves a draft (or on-hold) quote to delivered and emits ``quote_sent``; delivering
  the email is the job of the event's subscribers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema
from marshmallow import validate as check
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import utcnow
from bridge.errors import Conflict, ValidationFailed
from bridge.models import Client, Invoice
from bridge.models.enums import InvoiceItemType
from bridge.models.quotes import Quote, QuoteItem, QuoteStage
from bridge.money import ZERO, line_total, percent_of
from bridge.schemas.billing import Money

from .common import get_or_404, log_activity, validate
from .credit import currency_places
from .invoices import create_invoice
from .settings import default_currency_code, get_currency, get_setting
from .taxes import compute_taxes, taxes_for_client

STAGES = [stage.value for stage in QuoteStage]
PROSPECT_FIELDS = ("first_name", "last_name", "company_name", "email", "address1", "address2",
                   "city", "state", "postcode", "country", "phone", "tax_id")
HUNDRED = 100


class QuoteItemSchema(Schema):
    """One quote line; ``id`` names an existing line on update (omit it for a new line)."""

    class Meta:
        unknown = RAISE

    id = fields.Integer(allow_none=True, load_default=None)
    description = fields.String(load_default=None)
    quantity = Money(load_default=None)
    unit_amount = Money(load_default=None)
    discount_percent = Money(load_default=None)
    taxed = fields.Boolean(load_default=None)

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        quantity, discount = data.get("quantity"), data.get("discount_percent")
        if quantity is not None and quantity <= 0:
            raise ValidationError("Must be greater than 0.", "quantity")
        if discount is not None and not 0 <= discount <= HUNDRED:
            raise ValidationError("Must be between 0 and 100.", "discount_percent")


class QuoteSchema(Schema):
    """The fields of a quote (core names); ``items`` are its lines."""

    class Meta:
        unknown = RAISE

    subject = fields.String(validate=check.Length(min=1, max=255))
    stage = fields.String(validate=check.OneOf(STAGES))
    valid_until = fields.Date()
    date_created = fields.Date()
    client_id = fields.Integer(allow_none=True)
    currency = fields.String(validate=check.Length(equal=3))
    first_name = fields.String(validate=check.Length(max=128))
    last_name = fields.String(validate=check.Length(max=128))
    company_name = fields.String(validate=check.Length(max=255))
    email = fields.String(validate=check.Length(max=255))
    address1 = fields.String(validate=check.Length(max=255))
    address2 = fields.String(validate=check.Length(max=255))
    city = fields.String(validate=check.Length(max=128))
    state = fields.String(validate=check.Length(max=128))
    postcode = fields.String(validate=check.Length(max=32))
    country = fields.String(validate=check.Length(max=2))
    phone = fields.String(validate=check.Length(max=64))
    tax_id = fields.String(validate=check.Length(max=64))
    proposal = fields.String()
    customer_notes = fields.String()
    admin_notes = fields.String()
    items = fields.List(fields.Nested(QuoteItemSchema))


def get_quote(session: Session, quote_id: int) -> Quote:
    """The quote ``quote_id``; raises NotFound."""
    return get_or_404(session, Quote, quote_id, "Quote")


def _recipient(session: Session, quote: Quote) -> Client:
    if quote.client_id is not None:
        return get_or_404(session, Client, quote.client_id, "Client")
    # a prospect has no client row: a transient one (never added to the session) carries
    # the address the tax rules are matched on
    return Client(country=quote.country, state=quote.state, tax_exempt=False, company_id=None)


def recalculate_quote(session: Session, quote: Quote) -> None:
    """Recompute the line totals, the taxes of the recipient, subtotal and total. Raises
    NotFound when the quote's client no longer exists."""
    places = currency_places(session, quote.currency)
    for item in quote.items:
        gross = line_total(item.unit_amount, item.quantity, places)
        item.amount = gross - percent_of(gross, item.discount_percent, places)
    recipient = _recipient(session, quote)
    rule1, rule2 = taxes_for_client(session, recipient)
    company = recipient.company_id
    compound = rule2 is not None and (
        rule2.compound or get_setting(session, "tax.level2_compound", company) == "1")
    result = compute_taxes([(item.amount, item.taxed) for item in quote.items],
                           rule1.rate if rule1 else ZERO, rule2.rate if rule2 else ZERO,
                           compound=compound,
                           inclusive=get_setting(session, "tax.inclusive", company) == "1",
                           places=places)
    quote.subtotal, quote.tax1, quote.tax2, quote.total = (
        result.subtotal, result.tax1, result.tax2, result.total)


def _apply_recipient(session: Session, quote: Quote, values: dict[str, Any]) -> None:
    if "client_id" in values:
        quote.client_id = values.pop("client_id")
    wanted = values.pop("currency", None)
    if quote.client_id is not None:
        client = get_or_404(session, Client, quote.client_id, "Client")
        if wanted is not None and wanted.upper() != client.currency:
            raise ValidationFailed.single(
                "currency", "invalid", f"client {client.id} is billed in {client.currency}; "
                "a client's quote is in the client's currency")
        quote.currency = client.currency
    elif wanted is not None:
        quote.currency = get_currency(session, wanted).code
    elif not quote.currency:
        quote.currency = default_currency_code(session)
    for name in PROSPECT_FIELDS:
        if name in values:
            setattr(quote, name, values.pop(name))


def _set_items(quote: Quote, items: list[dict[str, Any]]) -> None:
    """Update lines named by id, append the others (existing lines not named are kept)."""
    by_id = {item.id: item for item in quote.items}
    next_order = max((item.sort_order for item in quote.items), default=-1) + 1
    for index, values in enumerate(items):
        ident = values.pop("id", None)
        given = {k: v for k, v in values.items() if v is not None}
        if ident is not None:
            line = by_id.get(ident)
            if line is None:
                raise ValidationFailed.single(f"items.{index}.id", "invalid",
                                              f"quote {quote.id} has no line {ident}")
            for key, value in given.items():
                setattr(line, key, value)
            continue
        if given.get("unit_amount") is None:
            raise ValidationFailed.single(f"items.{index}.unit_amount", "required",
                                          "a new quote line needs a unit amount")
        line_values = {"description": "", "quantity": Decimal(1), "discount_percent": ZERO,
                       "taxed": False, **given}
        quote.items.append(QuoteItem(sort_order=next_order, **line_values))
        next_order += 1


def create_quote(session: Session, data: Mapping[str, Any]) -> Quote:
    """Create a quote from ``data`` (QuoteSchema fields; ``subject`` and ``valid_until``
    required, ``stage`` defaults to draft) and compute its totals.

    Raises ValidationFailed for bad input, NotFound for an unknown client or currency.
    Emits quote_created.
    """
    values = validate(QuoteSchema, data)
    for name in ("subject", "valid_until"):
        if name not in values:
            raise ValidationFailed.single(name, "required", f"a quote needs {name}")
    today = utcnow().date()
    quote = Quote(subject=values.pop("subject"), valid_until=values.pop("valid_until"),
                  stage=values.pop("stage", QuoteStage.DRAFT.value),
                  date_created=values.pop("date_created", today), last_modified=today,
                  currency="")
    for name in ("proposal", "customer_notes", "admin_notes"):
        setattr(quote, name, values.pop(name, ""))
    _apply_recipient(session, quote, values)
    quote.items = []
    _set_items(quote, values.pop("items", []))
    if quote.stage == QuoteStage.ACCEPTED.value:
        quote.date_accepted = today
    recalculate_quote(session, quote)
    session.add(quote)
    session.flush()
    log_activity(session, "quote.created", f"Quote {quote.id} created ({quote.total} "
                 f"{quote.currency})", client_id=quote.client_id, subject=("quote", quote.id))
    emit(session, "quote_created", quote_id=quote.id, client_id=quote.client_id)
    return quote


def update_quote(session: Session, quote_id: int, data: Mapping[str, Any]) -> Quote:
    """Change fields and lines of a quote (lines with an ``id`` are edited, others added) and
    recompute its totals.

    Raises NotFound, ValidationFailed, Conflict when lines or the recipient of a quote that
    was already invoiced would change. Emits quote_updated (and quote_stage_changed).
    """
    quote = get_quote(session, quote_id)
    values = validate(QuoteSchema, data)
    invoiced = quote.invoice_id is not None
    if invoiced and ({"items", "client_id", "currency"} & values.keys()):
        raise Conflict(f"quote {quote.id} was accepted into invoice {quote.invoice_id}; its "
                       "lines and recipient can't change (edit the invoice instead)")
    old_stage = quote.stage
    for name in ("subject", "stage", "valid_until", "date_created", "proposal",
                 "customer_notes", "admin_notes"):
        if name in values:
            setattr(quote, name, values.pop(name))
    _apply_recipient(session, quote, values)
    _set_items(quote, values.pop("items", []))
    today = utcnow().date()
    if quote.stage == QuoteStage.ACCEPTED.value and quote.date_accepted is None:
        quote.date_accepted = today
    quote.last_modified = today
    if not invoiced:
        recalculate_quote(session, quote)
    session.flush()
    log_activity(session, "quote.updated", f"Quote {quote.id} updated", client_id=quote.client_id,
                 subject=("quote", quote.id))
    emit(session, "quote_updated", quote_id=quote.id, client_id=quote.client_id)
    if quote.stage != old_stage:
        emit(session, "quote_stage_changed", quote_id=quote.id, client_id=quote.client_id,
             stage=quote.stage, previous=old_stage)
    return quote


def remove_quote_item(session: Session, quote_id: int, item_id: int) -> Quote:
    """Delete one line of a quote that was not invoiced yet and recompute the totals.

    Raises NotFound for the quote or the line, Conflict once the quote was invoiced.
    """
    quote = get_quote(session, quote_id)
    if quote.invoice_id is not None:
        raise Conflict(f"quote {quote.id} was accepted into invoice {quote.invoice_id}; "
                       "its lines can't change")
    line = next((item for item in quote.items if item.id == item_id), None)
    if line is None:
        raise ValidationFailed.single("item_id", "invalid",
                                      f"quote {quote.id} has no line {item_id}")
    quote.items.remove(line)
    recalculate_quote(session, quote)
    session.flush()
    log_activity(session, "quote.item_removed", f"Quote {quote.id} line {item_id} removed",
                 client_id=quote.client_id, subject=("quote", quote.id))
    return quote


def delete_quote(session: Session, quote_id: int) -> None:
    """Delete a quote and its lines (an invoice created from it stays). Raises NotFound.
    Emits quote_deleted."""
    quote = get_quote(session, quote_id)
    client_id = quote.client_id
    session.delete(quote)
    session.flush()
    log_activity(session, "quote.deleted", f"Quote {quote_id} deleted", client_id=client_id,
                 subject=("quote", quote_id))
    emit(session, "quote_deleted", quote_id=quote_id, client_id=client_id)


def _recipient_email(session: Session, quote: Quote) -> str:
    if quote.client_id is not None:
        return get_or_404(session, Client, quote.client_id, "Client").email
    return quote.email


def send_quote(session: Session, quote_id: int) -> Quote:
    """Mark a quote sent to its recipient: a draft or on-hold quote becomes delivered and
    ``date_sent`` is today. Emits quote_sent with the address (subscribers deliver the mail).

    Raises NotFound, ValidationFailed when the recipient has no email address.
    """
    quote = get_quote(session, quote_id)
    email = _recipient_email(session, quote)
    if not email:
        raise ValidationFailed.single("email", "required", f"quote {quote.id} has no recipient "
                                      "email address; set the client or the prospect's email")
    old_stage = quote.stage
    if quote.stage in (QuoteStage.DRAFT.value, QuoteStage.ON_HOLD.value):
        quote.stage = QuoteStage.DELIVERED.value
    quote.date_sent = utcnow().date()
    log_activity(session, "quote.sent", f"Quote {quote.id} sent to {email}",
                 client_id=quote.client_id, subject=("quote", quote.id))
    emit(session, "quote_sent", quote_id=quote.id, client_id=quote.client_id, email=email)
    if quote.stage != old_stage:
        emit(session, "quote_stage_changed", quote_id=quote.id, client_id=quote.client_id,
             stage=quote.stage, previous=old_stage)
    return quote


def _invoice_lines(quote: Quote) -> list[dict[str, Any]]:
    lines = []
    for item in quote.items:
        # one line per quote line at its discounted total, so the invoice adds up the same
        quantity = f"{item.quantity.normalize():f}"
        label = item.description if item.quantity == 1 else f"{quantity} x {item.description}"
        if item.discount_percent:
            label = f"{label} ({item.discount_percent.normalize():f}% discount)"
        lines.append({"type": InvoiceItemType.CUSTOM.value, "description": label,
                      "unit_amount": item.amount, "quantity": 1, "taxed": item.taxed})
    return lines


def accept_quote(session: Session, quote_id: int, *, invoice_date: date | None = None) -> Invoice:
    """Accept a quote: create the client's invoice from its lines (bridge.services.invoices
    .create_invoice), set the stage to accepted and remember the invoice.

    Raises NotFound, Conflict when the quote is for a prospect (add the client first), has no
    lines or was already accepted into an invoice. Emits quote_accepted.
    """
    quote = get_quote(session, quote_id)
    if quote.invoice_id is not None:
        raise Conflict(f"quote {quote.id} was already accepted into invoice {quote.invoice_id}")
    if quote.client_id is None:
        raise Conflict(f"quote {quote.id} is for a prospect; create the client and set it on "
                       "the quote before accepting it")
    if not quote.items:
        raise Conflict(f"quote {quote.id} has no lines; add lines before accepting it")
    client = get_or_404(session, Client, quote.client_id, "Client")
    invoice = create_invoice(session, client.id, _invoice_lines(quote), invoice_date=invoice_date,
                             notes=quote.customer_notes)
    old_stage = quote.stage
    today = utcnow().date()
    quote.stage = QuoteStage.ACCEPTED.value
    quote.date_accepted = quote.date_accepted or today
    quote.invoice_id = invoice.id
    quote.last_modified = today
    log_activity(session, "quote.accepted", f"Quote {quote.id} accepted: invoice {invoice.id}",
                 client_id=client.id, subject=("quote", quote.id),
                 data={"invoice_id": invoice.id})
    emit(session, "quote_accepted", quote_id=quote.id, client_id=client.id, invoice_id=invoice.id)
    if old_stage != quote.stage:
        emit(session, "quote_stage_changed", quote_id=quote.id, client_id=client.id,
             stage=quote.stage, previous=old_stage)
    return invoice
