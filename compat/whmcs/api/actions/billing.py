"""Billing group: shared wire helpers, AddBillableItem and GenInvoices.

The other Billing actions live in ``billing_invoices`` (invoices), ``billing_payments``
(payments, transactions, credit), ``billing_paymethods`` (stored pay methods) and
``billing_quotes`` (quotes); they share the readers and formatters here.

Dates: WHMCS reads most billing dates as ``Y-m-d``, while AddTransaction and the quote actions
take the admin's *localised* format (WHMCS's default ``DD/MM/YYYY``); :func:`local_date`
accepts both, plus ``DD.MM.YYYY`` and ``DD-MM-YYYY``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, NoReturn, overload

from sqlalchemy import select

from bridge.driver_values import three_places
from bridge.errors import ValidationFailed
from bridge.models import Client, Currency, Invoice
from bridge.money import round_money
from bridge.services.billable_items import add_billable_item, invoice_due_billable_items

from ..format import INVOICE_STATUS
from ..registry import ApiError, ApiRequest, action

BILLABLE_ACTIONS = {"noinvoice": "none", "nextcron": "next_cron", "nextinvoice": "next_invoice",
                    "duedate": "due_date", "recur": "recur"}
RECUR_UNITS = {"day": "D", "days": "D", "week": "W", "weeks": "W", "month": "M", "months": "M",
               "year": "Y", "years": "Y"}
MAX_AMOUNT = Decimal(10) ** 15  # money columns are Numeric(19, 4)
_LOCAL_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


class WireNumber(float):
    """An amount that must travel as a JSON *number* (GetTransactions' ``amountin``, ``fees``,
    ``amountout``: whmcs-api-client refuses strings there) yet prints with its 2 decimals in
    XML. Built only at the wire edge from an amount already rounded to 2 places."""

    def __new__(cls, value: Decimal) -> WireNumber:
        """The rounded ``value`` as a float-typed JSON number."""
        rounded = round_money(value)
        number = super().__new__(cls, rounded)
        number.text = f"{rounded:.2f}"
        return number

    text: str

    def __str__(self) -> str:
        """``45.90`` (the XML renderer prints ``str(value)``)."""
        return self.text


def rate3(value: Decimal | None) -> str:
    """A tax rate as WHMCS prints it: ``"10.000"``."""
    return three_places(value)


def rate5(value: Decimal | None) -> str:
    """An exchange rate as WHMCS prints it: ``"1.00000"``."""
    return f"{round_money(value or Decimal(1), 5):.5f}"


def invoice_status(core: str) -> str:
    """Core invoice status -> WHMCS word (``Unpaid``)."""
    return INVOICE_STATUS.get(core, core.title())


def fail_on(exc: ValidationFailed, messages: dict[str, str]) -> NoReturn:
    """Re-raise a core validation failure as WHMCS's message for its first known field."""
    for field in exc.errors:
        if field in messages:
            raise ApiError(messages[field]) from exc
    raise ApiError(exc.message) from exc


def client_or_fail(req: ApiRequest, name: str, message: str) -> Client:
    """The client whose id is in parameter ``name``; ApiError(``message``) when missing."""
    client_id = req.integer(name, message=message)
    client = req.session.get(Client, client_id) if client_id else None
    if client is None:
        raise ApiError(message)
    return client


def invoice_or_fail(req: ApiRequest, message: str = "Invoice ID Not Found") -> Invoice:
    """The invoice named by ``invoiceid``; ApiError(``message``) when missing."""
    invoice_id = req.integer("invoiceid", message=message)
    invoice = req.session.get(Invoice, invoice_id) if invoice_id else None
    if invoice is None:
        raise ApiError(message)
    return invoice


def currency_ids(req: ApiRequest) -> dict[str, int]:
    """ISO code -> WHMCS currency id, for every currency (one query)."""
    return {code: ident for ident, code in req.session.execute(select(Currency.id,
                                                                      Currency.code))}


def currency_by_id(req: ApiRequest, currency_id: int) -> str:
    """WHMCS currency id -> ISO code; ApiError when there is no such currency."""
    currency = req.session.get(Currency, currency_id)
    if currency is None:
        raise ApiError("Invalid Currency ID")
    return currency.code


def local_date(req: ApiRequest, name: str, message: str | None = None) -> date | None:
    """A date in ``Y-m-d`` or WHMCS's localised ``DD/MM/YYYY`` (None when not sent)."""
    text = req.text(name)
    match = _LOCAL_DATE.match(text)
    if not match:
        try:
            return req.date_value(name)
        except ApiError:
            raise ApiError(message or f"{name} must be a date (YYYY-MM-DD or DD/MM/YYYY)") \
                from None
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ApiError(message or f"{name} is not a valid date") from None


def moment(req: ApiRequest, name: str, message: str | None = None,
           *, local: bool = False) -> datetime | None:
    """A ``Y-m-d H:i:s`` datetime (or just a date, then at midnight) as aware UTC."""
    text = req.text(name)
    if not text or text.startswith("0000-00-00"):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        pass
    day = local_date(req, name, message) if local else None
    if day is None:
        try:
            day = req.date_value(name)
        except ApiError:
            raise ApiError(message or f"{name} must be YYYY-MM-DD HH:MM:SS") from None
    return datetime.combine(day, time(0), UTC) if day else None


def checked_amount(value: Decimal, name: str) -> Decimal:
    """``value`` when it is a finite amount that fits the books (15 digits before the point),
    else ApiError: NaN, infinities and overflowing numbers are refused at the door."""
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise ApiError(f"{name} must be an amount")
    return value


@overload
def amount(req: ApiRequest, name: str) -> Decimal | None: ...


@overload
def amount(req: ApiRequest, name: str, default: Decimal) -> Decimal: ...


def amount(req: ApiRequest, name: str, default: Decimal | None = None) -> Decimal | None:
    """A money parameter (``default`` when not sent), checked by :func:`checked_amount`."""
    value = req.amount(name)
    return default if value is None else checked_amount(value, name)


def parse_amount_text(raw: Any, name: str) -> Decimal:
    """An amount from an array element (``itemamount[12]``, a quote line's ``up``)."""
    try:
        value = Decimal(str(raw).strip().replace(",", "") or "0")
    except ArithmeticError:
        raise ApiError(f"{name} must be an amount") from None
    return checked_amount(value, name)


# -- AddBillableItem, GenInvoices ------------------------------------------------------------


def _recur_code(req: ApiRequest) -> str:
    every = req.integer("recur", message="Recurring must have a unit, cycle and limit") or 0
    unit = RECUR_UNITS.get(req.text("recurcycle").lower())
    if every <= 0 or unit is None or (req.integer("recurfor") or 0) <= 0:
        raise ApiError("Recurring must have a unit, cycle and limit")
    return f"{every}{unit}"


@action("AddBillableItem", status="partial",
        notes="unit (hours/quantity) is checked but not stored: the core keeps a quantity only")
def add_billable_item_action(req: ApiRequest) -> dict[str, Any]:
    """Record a charge to invoice later; ``amount`` is the total for the quantity."""
    client = client_or_fail(req, "clientid", "Client ID not Found")
    description = req.text("description")
    if not description:
        raise ApiError("You must provide a description")
    invoice_action = BILLABLE_ACTIONS.get(req.text("invoiceaction", "noinvoice").lower())
    if invoice_action is None:
        raise ApiError("Invalid Invoice Action")
    unit = req.text("unit").lower()
    if unit and unit not in ("hours", "quantity"):
        raise ApiError("unit must be hours or quantity")
    quantity = amount(req, "quantity") or amount(req, "hours") or Decimal(1)
    if quantity <= 0 or round_money(quantity, 4) != quantity:
        raise ApiError("quantity must be a positive number with at most 4 decimals")
    total = amount(req, "amount")
    if total is None:
        raise ApiError("amount is required")
    due = req.date_value("duedate")
    if invoice_action in ("due_date", "recur") and due is None:
        raise ApiError("Due date is required")
    cycle = _recur_code(req) if invoice_action == "recur" else ""
    try:
        item = add_billable_item(
            req.session, client.id, description=description, quantity=quantity,
            unit_amount=checked_amount(round_money(total / quantity, 4), "amount"),
            invoice_action=invoice_action, due_date=due, recur_cycle=cycle,
            recur_for=req.integer("recurfor") or 0)
    except ValidationFailed as exc:
        fail_on(exc, {"description": "You must provide a description",
                      "recur_cycle": "Recurring must have a unit, cycle and limit",
                      "due_date": "Due date is required"})
    return {"billableid": str(item.id)}


@action("GenInvoices", status="partial",
        notes="invoices due billable items; renewal invoices of services, addons and domains "
              "are made by the automation, not by this action")
def gen_invoices(req: ApiRequest) -> dict[str, Any]:
    """Invoice what is due now (billable items), for every client or one."""
    for name in ("serviceids", "domainids", "addonids"):
        if req.array(name):
            raise ApiError("GenInvoices can't invoice chosen services, addons or domains in "
                           "hostbridge: renewal invoices are created by the automation "
                           "(bridge cron run)")
    client_id = None
    if req.text("clientid"):
        client_id = client_or_fail(req, "clientid", "Client ID Not Found").id
    invoices = invoice_due_billable_items(req.session, client_id=client_id)
    body: dict[str, Any] = {"numcreated": len(invoices)}
    if client_id is not None:
        body["latestinvoiceid"] = max((i.id for i in invoices), default=0)
    return body
