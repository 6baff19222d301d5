"""Domains group, catalogue and records: GetTLDPricing, CreateOrUpdateTLD, GetRegistrars,
UpdateClientDomain."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from bridge.errors import ValidationFailed
from bridge.models import Client, Currency, ModuleSetting, Tld
from bridge.services import domains as domain_service
from bridge.services.module_context import plugin_host
from bridge.services.registrar_ops import save_nameservers_at_registrar
from bridge.services.settings import default_currency, default_currency_code
from bridge.services.tld_catalog import TLD_KINDS, save_tld, set_tld_prices, tld_prices

from ..format import DOMAIN_STATUS, money, reverse
from ..registry import ApiError, ApiRequest, action
from .domains import domain_by_id, module_failure

STATUS_IN = reverse(DOMAIN_STATUS)
MAX_PERIOD = {"register": 10, "renew": 9, "transfer": 10}


def currency_row(currency: Currency) -> dict[str, Any]:
    """A currency as GetTLDPricing prints it (rate with 5 decimals)."""
    return {"id": currency.id, "code": currency.code, "prefix": currency.prefix,
            "suffix": currency.suffix, "format": str(currency.format),
            "rate": f"{currency.rate:.5f}"}


def _period(days: int | None, fee: Decimal | None) -> dict[str, Any] | None:
    if days is None and fee is None:
        return None
    return {"days": days or 0, "price": money(fee)}


@action("GetTLDPricing", notes="categories are empty: hostbridge has no TLD categories")
def get_tld_pricing(req: ApiRequest) -> dict[str, Any]:
    """Register/transfer/renew prices per year of every priced TLD in one currency."""
    currency: Currency | None = None
    client_id = req.integer("clientid")
    if client_id is not None:
        client = req.session.get(Client, client_id)
        if client is None:
            raise ApiError("Client ID Not Found")
        currency = req.session.scalar(select(Currency).where(Currency.code == client.currency))
    elif req.integer("currencyid") is not None:
        currency = req.session.get(Currency, req.integer("currencyid"))
        if currency is None:
            raise ApiError("Invalid Currency ID")
    if currency is None:
        currency = default_currency(req.session)
    tlds = list(req.session.scalars(select(Tld).order_by(Tld.sort_order, Tld.extension)))
    prices = tld_prices(req.session, [t.id for t in tlds], currency.code)
    pricing: dict[str, Any] = {}
    for tld in tlds:
        if tld.id not in prices:
            continue
        ext = tld.extension.lstrip(".")
        pricing[ext] = {
            "tld": ext, "categories": [],
            "addons": {"dns": tld.dns_management, "email": tld.email_forwarding,
                       "idprotect": tld.id_protection},
            "group": tld.group,
            **{kind: {str(years): money(amount) for years, amount
                      in sorted(prices[tld.id].get(kind, {}).items())} for kind in TLD_KINDS},
            "grace_period": _period(tld.grace_days, tld.grace_fee),
            "redemption_period": _period(tld.redemption_days, tld.redemption_fee),
        }
    return {"currency": currency_row(currency), "pricing": pricing}


def installed_registrars(req: ApiRequest) -> dict[str, Any]:
    """Registrar module name -> class, minus those an operator disabled."""
    modules = dict(plugin_host(req.session).modules.get("registrar", {}))
    disabled = set(req.session.scalars(select(ModuleSetting.module).where(
        ModuleSetting.kind == "registrar", ModuleSetting.enabled.is_(False))))
    return {name: cls for name, cls in sorted(modules.items()) if name not in disabled}


@action("GetRegistrars")
def get_registrars(req: ApiRequest) -> dict[str, Any]:
    """The registrar modules installed and not disabled."""
    return {"registrars": [{"module": name, "displayName": cls.label or name}
                           for name, cls in installed_registrars(req).items()]}


def _price_map(req: ApiRequest, kind: str) -> dict[int, Decimal]:
    raw = req.params.get(kind)
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise ApiError("Parameters register, renew and transfer must be arrays")
    out: dict[int, Decimal] = {}
    for years, amount in raw.items():
        if not str(years).isdigit() or int(years) < 1:
            raise ApiError(f"Invalid {kind} period: {years}")
        if int(years) > MAX_PERIOD[kind]:
            raise ApiError(f"The maximum {kind} period is {MAX_PERIOD[kind]} years")
        try:
            out[int(years)] = Decimal(str(amount).replace(",", ""))
        except InvalidOperation:
            out[int(years)] = Decimal("NaN")
        if not out[int(years)].is_finite():
            raise ApiError(f"Invalid {kind} price for {years} years: {amount}")
    if kind == "transfer" and len(out) > 1:
        raise ApiError("Only one transfer period can be defined")
    return out


def _fee(req: ApiRequest, name: str) -> tuple[bool, Decimal | None]:
    """(given, amount); -1 disables the period (amount None)."""
    if not req.text(name):
        return False, None
    amount = _finite(req, name)
    return True, None if amount is not None and amount < 0 else amount


def _finite(req: ApiRequest, name: str) -> Decimal | None:
    amount = req.amount(name)
    if amount is not None and not amount.is_finite():
        raise ApiError(f"{name} must be an amount")
    return amount


@action("CreateOrUpdateTLD", notes="prices and fees without currency_code are read in the "
                                    "default currency")
def create_or_update_tld(req: ApiRequest) -> dict[str, Any]:
    """Create or change a TLD and price it (converted into every currency)."""
    extension = req.require("extension", "Extension is required")
    data: dict[str, Any] = {}
    for name in ("id_protection", "dns_management", "email_forwarding", "epp_required"):
        if req.has(name):
            data[name] = req.flag(name)
    if req.has("auto_registrar"):
        registrar = req.text("auto_registrar")
        known = installed_registrars(req)
        if registrar and not known:
            raise ApiError("No Active Registrars - auto_registrar value cannot be defined")
        if registrar and registrar not in known:
            raise ApiError("Invalid auto_registrar value. Must be empty or one of: "
                           + ", ".join(known))
        data["registrar"] = registrar
    if req.has("group"):
        group = req.text("group")
        if group.upper() not in ("", "HOT", "NEW", "SALE"):
            raise ApiError(f"Invalid group parameter: {group}. Should be one of HOT, NEW, SALE")
        data["group"] = group.lower()
    for prefix in ("grace", "redemption"):
        if req.text(f"{prefix}_period_days"):
            data[f"{prefix}_days"] = req.integer(f"{prefix}_period_days")
        given, fee = _fee(req, f"{prefix}_period_fee")
        if given:
            data[f"{prefix}_fee"] = fee
            if fee is None:
                data[f"{prefix}_days"] = None
    prices = {kind: _price_map(req, kind) for kind in TLD_KINDS}
    # WHMCS requires currency_code with prices; hostbridge reads them in the default currency
    code = req.text("currency_code").upper() or default_currency_code(req.session)
    if req.session.scalar(select(Currency.id).where(Currency.code == code)) is None:
        codes = ", ".join(req.session.scalars(select(Currency.code).order_by(Currency.id)))
        raise ApiError(f"Provided currency_code value does not exist. Must be one of: {codes}")
    try:
        tld, _created = save_tld(req.session, extension, data,
                                 display_after=req.text("display_after") or None,
                                 fee_currency=code)
    except ValidationFailed as exc:
        if "extension" in exc.errors:
            raise ApiError("Extension is required") from exc
        raise
    for kind, amounts in prices.items():
        if amounts:
            set_tld_prices(req.session, tld.id, kind, code, amounts)
    return {"extension": tld.extension, "id": str(tld.id)}


_DATES = (("regdate", "registration_date"), ("nextduedate", "next_due_date"),
          ("expirydate", "expiry_date"))
_FLAGS = (("dnsmanagement", "dns_management"), ("emailforwarding", "email_forwarding"),
          ("donotrenew", "do_not_renew"))


@action("UpdateClientDomain", status="partial",
        notes="type, subscriptionid, promoid and autorecalc are ignored; the domain name "
              "cannot be changed")
def update_client_domain(req: ApiRequest) -> dict[str, Any]:
    """Edit a client's domain record; ``updatens`` also saves nameservers at the registrar."""
    domain = domain_by_id(req)
    if req.text("domain"):
        try:
            name = domain_service.normalize_domain_name(req.text("domain"))
        except ValidationFailed as exc:
            raise ApiError(exc.message) from exc
        if name != domain.name:
            raise ApiError("Changing the domain name is not supported: add the new domain "
                           "and cancel this one")
    data: dict[str, Any] = {}
    for param, field in _DATES:
        if req.text(param):
            data[field] = req.date_value(param)
    for param, field in _FLAGS:
        if req.has(param):
            data[field] = req.flag(param)
    for param, field in (("firstpaymentamount", "first_payment_amount"),
                         ("recurringamount", "recurring_amount")):
        if req.text(param):
            data[field] = _finite(req, param)
    for param, field in (("registrar", "registrar"), ("paymentmethod", "payment_method")):
        if req.has(param):
            data[field] = req.text(param)
    if req.has("notes"):
        data["notes"] = str(req.params.get("notes") or "")
    if req.text("regperiod"):
        data["registration_period"] = req.integer("regperiod")
    if req.text("status"):
        status = STATUS_IN.get(req.text("status").lower())
        if status is None:
            raise ApiError("Invalid domain status: use one of "
                           + ", ".join(DOMAIN_STATUS.values()))
        data["status"] = status
    domain_service.update_domain(req.session, domain.id, data)
    if req.has("idprotection") and req.flag("idprotection") != domain.id_protection:
        domain_service.set_id_protection(req.session, domain.id, req.flag("idprotection"))
    hosts = [req.text(f"ns{i}") for i in range(1, 6) if req.text(f"ns{i}")]
    if hosts or req.flag("updatens"):
        if not req.text("ns1") or not req.text("ns2"):
            raise ApiError("ns1 and ns2 required")
        if req.flag("updatens"):
            outcome = save_nameservers_at_registrar(req.session, domain.id, hosts)
            if not outcome.ok:
                return module_failure(outcome)
        else:
            domain_service.set_nameservers(req.session, domain.id, hosts)
    return {"domainid": str(domain.id)}
