"""Currencies (``currencies``) and taxes (``taxes``).

Core currencies are install-wide: every company sees the same list, ``company_id`` only
labels the rows. The tax type (inclusive or exclusive) is one install-wide setting
(``tax.inclusive``), so a tax rule of the other type is refused rather than mis-billed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select

from bridge.models import Currency, TaxRule
from bridge.services.currencies import delete_currency, update_currency
from bridge.services.settings import add_currency, get_setting
from bridge.services.tax_rules import add_tax_rule, remove_tax_rule

from ..args import optional_amount, optional_text
from ..format import money, stamp
from ..registry import MethodCall, invalid, method
from ..render import PhpArray
from ._people import (
    company_ref,
    count_rows,
    in_company,
    opt_int,
    order_pairs,
    page_of,
    page_rows,
    req_int,
    text,
)
from .billing_shared import renamed_errors

# core format number <-> Blesta format string, with Blesta's example
FORMATS = {1: ("####.##", "1234.56"), 2: ("#,###.##", "1,234.56"),
           3: ("#.###,##", "1.234,56"), 4: ("#,###", "1,234")}
FORMAT_CODE = {wire: code for code, (wire, _) in FORMATS.items()}
CURRENCY_ORDER = {"code": Currency.code, "precision": Currency.places}
CURRENCY_NOTES = "currencies are install-wide (company_id only labels them); formats " \
                 + ", ".join(FORMAT_CODE)


def _amount(value: Any, field: str) -> Decimal:
    return optional_amount(value, field) or Decimal(0)


def currency_row(currency: Currency, company_id: int) -> dict[str, Any]:
    """A ``currencies`` row."""
    return {"code": currency.code, "company_id": company_id,
            "format": FORMATS.get(currency.format, FORMATS[1])[0],
            "precision": currency.places, "prefix": currency.prefix or None,
            "suffix": currency.suffix or None, "exchange_rate": f"{currency.rate:.6f}",
            "exchange_updated": stamp(currency.rate_updated_at)}


def _by_code(call: MethodCall, code: Any) -> Currency | None:
    return call.session.scalar(select(Currency).where(Currency.code == text(code).upper()))


@method("currencies", "get", status="partial", notes=CURRENCY_NOTES)
def get_currency(call: MethodCall) -> Any:
    """One currency, or false."""
    currency = _by_code(call, call.arg("currency_code"))
    return currency_row(currency, req_int(call, "company_id")) if currency else False


@method("currencies", "getAll", status="partial", notes=CURRENCY_NOTES)
def get_all_currencies(call: MethodCall) -> Any:
    """Every currency, by code."""
    company_id = req_int(call, "company_id")
    return [currency_row(c, company_id)
            for c in call.session.scalars(select(Currency).order_by(Currency.code))]


@method("currencies", "getList", status="partial", notes=CURRENCY_NOTES)
def get_currency_list(call: MethodCall) -> Any:
    """One page (20) of currencies."""
    company_id = req_int(call, "company_id")
    order = order_pairs(call.arg("order_by"), CURRENCY_ORDER, (Currency.code.asc(),))
    rows = page_rows(call, select(Currency).order_by(*order), page_of(call))
    return [currency_row(c, company_id) for c in rows]


@method("currencies", "getListCount", status="partial", notes=CURRENCY_NOTES)
def get_currency_list_count(call: MethodCall) -> Any:
    """How many currencies there are."""
    req_int(call, "company_id")
    return count_rows(call, select(Currency))


@method("currencies", "getFormats", status="partial", notes=CURRENCY_NOTES)
def get_formats(call: MethodCall) -> Any:
    """Format -> example, for the formats the core can print."""
    return PhpArray(FORMATS.values())


@method("currencies", "add", status="partial", notes=CURRENCY_NOTES)
def add_currency_(call: MethodCall) -> Any:
    """Add a currency (``vars[code]``, ``format``, ``precision``, ``prefix``, ``suffix``,
    ``exchange_rate``)."""
    vars_ = call.vars()
    wire_format = text(vars_.get("format")) or "#,###.##"
    if wire_format not in FORMAT_CODE:
        raise invalid("format", "valid", "hostbridge prints currencies as one of "
                      + ", ".join(FORMAT_CODE))
    places = opt_int(vars_.get("precision"), "precision")
    add_currency(call.session, text(vars_.get("code")),
                 prefix=_affix(vars_.get("prefix"), "prefix"),
                 suffix=_affix(vars_.get("suffix"), "suffix"), format=FORMAT_CODE[wire_format],
                 places=4 if places is None else places,
                 rate=_amount(vars_.get("exchange_rate") or "1", "exchange_rate"))
    return None


def _affix(value: Any, field: str) -> str:
    """A prefix or suffix, spaces kept ("1.234,56 EUR")."""
    optional_text(value, field)  # refuses an array
    return "" if value is None else str(value)


def _existing(call: MethodCall) -> Currency:
    req_int(call, "company_id")
    currency = _by_code(call, optional_text(call.arg("currency_code"), "currency_code"))
    if currency is None:
        raise invalid("currency_code", "exists", "Invalid currency code.")
    return currency


@method("currencies", "edit", status="partial", notes=CURRENCY_NOTES + "; exchange_updated "
        "is stamped when the rate changes, not taken from the caller")
def edit_currency(call: MethodCall) -> Any:
    """Change a currency's format, precision, prefix, suffix or exchange rate."""
    currency = _existing(call)
    vars_ = call.vars()
    wire_format = optional_text(vars_.get("format"), "format")
    if wire_format is not None and wire_format not in FORMAT_CODE:
        raise invalid("format", "valid", "hostbridge prints currencies as one of "
                      + ", ".join(FORMAT_CODE))
    rate = optional_amount(vars_.get("exchange_rate"), "exchange_rate")
    with renamed_errors({"rate": "exchange_rate", "places": "precision"}):
        update_currency(
            call.session, currency.code,
            prefix=_affix(vars_["prefix"], "prefix") if "prefix" in vars_ else None,
            suffix=_affix(vars_["suffix"], "suffix") if "suffix" in vars_ else None,
            places=opt_int(vars_.get("precision"), "precision"), rate=rate,
            format=FORMAT_CODE[wire_format] if wire_format is not None else None)
    return None


@method("currencies", "delete", status="partial", notes=CURRENCY_NOTES + "; refused for the "
        "default currency and while anything (prices, clients, invoices, ...) uses it")
def delete_currency_(call: MethodCall) -> Any:
    """Delete a currency nothing uses."""
    delete_currency(call.session, _existing(call).code)
    return None


@method("currencies", "convert", status="partial",
        notes="returns a 4-decimal string instead of a float")
def convert(call: MethodCall) -> Any:
    """``amount`` in ``from_currency`` expressed in ``to_currency`` at the stored rates."""
    amount = _amount(call.arg("amount"), "amount")
    source = _by_code(call, call.arg("from_currency"))
    target = _by_code(call, call.arg("to_currency"))
    if source is None:
        raise invalid("from_currency", "exists", "Invalid currency.")
    if target is None:
        raise invalid("to_currency", "exists", "Invalid currency.")
    # rates are relative to the default currency: go through it
    return money(amount / source.rate * target.rate)


TAX_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive"}
TAX_NOTES = "the tax type is install-wide (setting tax.inclusive); a rule of the other type is " \
            "refused"


def _tax_type(call: MethodCall, company_id: int | None) -> str:
    inclusive = get_setting(call.session, "tax.inclusive", company_id) == "1"
    return "inclusive" if inclusive else "exclusive"


def tax_row(call: MethodCall, rule: TaxRule) -> dict[str, Any]:
    """A ``taxes`` row."""
    return {"id": rule.id,
            "company_id": rule.company_id if rule.company_id is not None else call.company_id,
            "level": rule.level, "name": rule.name or None, "amount": money(rule.rate),
            "type": _tax_type(call, rule.company_id), "country": rule.country or None,
            "state": rule.state or None, "status": "active" if rule.active else "inactive"}


def _taxes(call: MethodCall) -> Select[Any]:
    return select(TaxRule).where(in_company(TaxRule.company_id, call.company_id))


def _require_tax(call: MethodCall) -> TaxRule:
    wanted = req_int(call, "tax_id")
    rule: TaxRule | None = call.session.scalar(_taxes(call).where(TaxRule.id == wanted))
    if rule is None:
        raise invalid("tax_id", "exists", "Invalid tax ID.")
    return rule


def _store(call: MethodCall, values: dict[str, Any], *, compound: bool = False) -> TaxRule:
    company_id = company_ref(call, values.get("company_id"))
    kind = text(values.get("type"))
    if kind and kind != _tax_type(call, company_id):
        raise invalid("type", "supported", "The tax type is install-wide in hostbridge (setting "
                      f"tax.inclusive); this install is {_tax_type(call, company_id)}.")
    status = text(values.get("status")) or "active"
    if status not in ("active", "inactive"):
        raise invalid("status", "format", "Invalid status.")
    level = opt_int(values.get("level"), "level") or 1
    rule = add_tax_rule(call.session, text(values.get("name")),
                        _amount(values.get("amount"), "amount"), level=level,
                        country=text(values.get("country")), state=text(values.get("state")),
                        compound=compound, company_id=company_id)
    if status == "inactive":
        remove_tax_rule(call.session, rule.id)
    return rule


@method("taxes", "get", status="partial", notes=TAX_NOTES)
def get_tax(call: MethodCall) -> Any:
    """One tax rule, or false."""
    rule = call.session.scalar(_taxes(call).where(TaxRule.id == req_int(call, "tax_id")))
    return tax_row(call, rule) if rule is not None else False


@method("taxes", "getAll", status="partial", notes=TAX_NOTES)
def get_all_taxes(call: MethodCall) -> Any:
    """The company's active tax rules, by level."""
    company_id = req_int(call, "company_id")
    query = select(TaxRule).where(in_company(TaxRule.company_id, company_id),
                                  TaxRule.active.is_(True))
    return [tax_row(call, r) for r in call.session.scalars(query.order_by(TaxRule.level,
                                                                          TaxRule.id))]


@method("taxes", "add", status="partial", notes=TAX_NOTES)
def add_tax(call: MethodCall) -> Any:
    """Add a tax rule; returns its id."""
    return str(_store(call, {"company_id": call.company_id, **call.vars()}).id)


@method("taxes", "edit", status="partial", notes=TAX_NOTES)
def edit_tax(call: MethodCall) -> Any:
    """Replace a tax rule: the old one turns inactive (issued invoices keep it) and the new
    one's id is returned, as Blesta does for rules in use."""
    old = _require_tax(call)
    merged: dict[str, Any] = {"company_id": old.company_id or call.company_id,
                              "level": old.level, "name": old.name, "amount": str(old.rate),
                              "country": old.country, "state": old.state,
                              "status": "active" if old.active else "inactive"}
    merged.update(call.vars())
    rule = _store(call, merged, compound=old.compound)
    if old.active:
        remove_tax_rule(call.session, old.id)
    return str(rule.id)


@method("taxes", "delete")
def delete_tax(call: MethodCall) -> Any:
    """Mark a tax rule inactive."""
    remove_tax_rule(call.session, _require_tax(call).id)
    return None


@method("taxes", "getTaxTypes", status="partial", notes=TAX_NOTES)
def get_tax_types(call: MethodCall) -> Any:
    """Tax type -> label (inclusive_calculated is not offered)."""
    return PhpArray(TAX_TYPES)


@method("taxes", "getTaxLevels")
def get_tax_levels(call: MethodCall) -> Any:
    """Tax level -> label."""
    return PhpArray({1: "Level 1", 2: "Level 2"})


@method("taxes", "getTaxStatus")
def get_tax_status(call: MethodCall) -> Any:
    """Tax status -> label."""
    return PhpArray({"active": "Active", "inactive": "Inactive"})
