"""Domains plugin, TLDs and their pricing (``domains.domains_tlds``).

Mapping: a Blesta TLD row points at a package holding its prices; hostbridge prices the TLD
itself, so ``package_id`` is the TLD's own id. ``module_id`` is the registrar's module
settings id; ``epp_code`` is whether an EPP code is required. ``pricing`` lists, per currency
and number of years, ``price`` (register), ``price_renews`` and ``price_transfer``. TLDs are
install-wide (``company_id`` is accepted and ignored); enable/disable/delete and the package
and welcome-email methods have no core counterpart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select

from bridge.errors import ValidationFailed
from bridge.models import ModuleSetting, Price, Tld
from bridge.services.tld_catalog import (
    TLD_KINDS,
    find_extension,
    normalize_extension,
    save_tld,
    set_tld_prices,
)

from ..format import money
from ..registry import MethodCall, invalid, method
from ..render import PhpArray
from .billing_shared import (
    amount,
    count_of,
    flag,
    items,
    optional_int,
    page_of,
    paged,
    renamed_errors,
)
from .domains import module_ids

TLDS = "domains.domains_tlds"
# Blesta price key -> core TLD price kind
PRICE_KINDS = {"price": "register", "price_renews": "renew", "price_transfer": "transfer"}
FEATURES = ("dns_management", "email_forwarding", "id_protection")

def _prices(call: MethodCall, tld_ids: Sequence[int]) -> dict[int, dict[str, dict[str, Any]]]:
    """tld id -> currency -> kind -> years -> amount (enabled prices, one query)."""
    out: dict[int, dict[str, dict[str, Any]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(dict)))
    for price in call.session.scalars(select(Price).where(
            Price.owner_type.in_([f"tld_{kind}" for kind in TLD_KINDS]),
            Price.owner_id.in_(tld_ids), Price.enabled.is_(True))):
        if price.cycle.endswith("Y") and price.cycle[:-1].isdigit():
            kind = price.owner_type.removeprefix("tld_")
            out[price.owner_id][price.currency][kind][int(price.cycle[:-1])] = price.amount
    return out


def _price_at(kinds: Mapping[str, Mapping[int, Decimal]], kind: str, years: int) -> str | None:
    value = kinds.get(kind, {}).get(years)
    return money(value) if value is not None else None


def pricing_rows(per_currency: Mapping[str, Mapping[str, Mapping[int, Decimal]]]
                 ) -> list[dict[str, Any]]:
    """Blesta pricing entries: one per currency and number of years."""
    rows = []
    for currency in sorted(per_currency):
        kinds = per_currency[currency]
        for years in sorted({y for by_years in kinds.values() for y in by_years}):
            rows.append({"id": None, "term": years, "period": "year",
                         "price": _price_at(kinds, "register", years),
                         "price_renews": _price_at(kinds, "renew", years),
                         "price_transfer": _price_at(kinds, "transfer", years),
                         "setup_fee": money(Decimal(0)), "cancel_fee": money(Decimal(0)),
                         "currency": currency})
    return rows


def tld_object(call: MethodCall, tld: Tld, prices: Mapping[str, Any],
               modules: dict[str, int]) -> dict[str, Any]:
    """A TLD as ``domains_tlds/get`` returns it, with its pricing."""
    return {
        "id": tld.id, "tld": "." + tld.extension.lstrip("."), "company_id": call.company_id,
        "package_id": tld.id, "order": tld.sort_order, "status": "active",
        "dns_management": int(tld.dns_management), "email_forwarding": int(tld.email_forwarding),
        "id_protection": int(tld.id_protection), "epp_code": int(tld.epp_required),
        "module": tld.registrar or None, "module_id": modules.get(tld.registrar),
        "pricing": pricing_rows(prices),
    }


def render(call: MethodCall, tlds: Sequence[Tld]) -> list[dict[str, Any]]:
    """TLDs with their prices and registrar ids loaded in bulk."""
    prices = _prices(call, [t.id for t in tlds])
    modules = module_ids(call)
    return [tld_object(call, t, prices.get(t.id, {}), modules) for t in tlds]


def _tld(call: MethodCall, value: Any) -> Tld | None:
    try:
        return find_extension(call.session, str(value or ""))
    except ValidationFailed:
        return None


def filtered(call: MethodCall) -> Select[Any]:
    """TLDs matching Blesta's ``filters`` (tld, tlds[], package_id, module_id, search_tld)."""
    query = select(Tld)
    filters = call.vars("filters")
    names = [str(t) for t in items(filters.get("tlds"))]
    if filters.get("tld"):
        names.append(str(filters["tld"]))
    if names:
        wanted = {normalize_extension(n) for n in names if str(n).strip(" .")}
        query = query.where(Tld.extension.in_(wanted | {w[1:] for w in wanted}))
    if filters.get("search_tld"):
        query = query.where(Tld.extension.like(f"%{str(filters['search_tld']).lstrip('.')}%"))
    package_id = optional_int(filters.get("package_id"), "package_id")
    if package_id is not None:
        query = query.where(Tld.id == package_id)
    module_id = optional_int(filters.get("module_id"), "module_id")
    if module_id is not None:
        query = query.where(Tld.registrar.in_(
            [name for name, ident in module_ids(call).items() if ident == module_id]))
    return query.order_by(Tld.sort_order, Tld.id)


@method(TLDS, "get", status="partial", notes="install-wide: company_id is ignored")
def get(call: MethodCall) -> Any:
    """One TLD (``.com`` or ``com``) with its pricing, or false."""
    tld = _tld(call, call.arg("tld"))
    return False if tld is None else render(call, [tld])[0]


@method(TLDS, "getAll", status="partial", notes="filter status and order are ignored")
def get_all(call: MethodCall) -> Any:
    """Every matching TLD, in display order."""
    return render(call, call.session.scalars(filtered(call)).all())


@method(TLDS, "getList", status="partial", notes="filter status and order are ignored")
def get_list(call: MethodCall) -> Any:
    """One page (20) of TLDs."""
    return render(call, call.session.scalars(paged(filtered(call), page_of(call))).all())


@method(TLDS, "getListCount")
def get_list_count(call: MethodCall) -> Any:
    """How many TLDs ``getList`` pages through."""
    return count_of(call, filtered(call))


@method(TLDS, "getByPackage", status="partial", notes="package_id is the TLD id")
def get_by_package(call: MethodCall) -> Any:
    """The TLD whose ``package_id`` this is, or false."""
    tld = call.session.get(Tld, optional_int(call.arg("package_id"), "package_id") or 0)
    return False if tld is None else render(call, [tld])[0]


@method(TLDS, "getPricing", status="partial", notes="package_id is the TLD id; term in years")
def get_pricing(call: MethodCall) -> Any:
    """The price entry of a TLD for ``term`` years in ``currency``, or false."""
    tld_id = optional_int(call.arg("package_id"), "package_id") or 0
    term = optional_int(call.arg("term"), "term")
    currency = str(call.arg("currency") or "").upper()
    prices = _prices(call, [tld_id]).get(tld_id, {})
    rows = [row for row in pricing_rows({currency: prices[currency]} if currency in prices
                                        else {}) if row["term"] == term]
    return rows[0] if rows else False


def _features(call: MethodCall, vars_: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {name: flag(vars_[name]) for name in FEATURES if name in vars_}
    if "epp_code" in vars_:
        data["epp_required"] = flag(vars_["epp_code"])
    module_id = optional_int(vars_.get("module_id"), "module_id")
    if module_id is not None:
        name = call.session.scalar(select(ModuleSetting.module).where(
            ModuleSetting.id == module_id, ModuleSetting.kind == "registrar"))
        if name is None:
            raise invalid("module_id", "exists", f"registrar module {module_id} is not "
                          "configured")
        data["registrar"] = name
    return data


@method(TLDS, "add", status="partial",
        notes="package fields (package_id, package_group_id, ns) are not used")
def add(call: MethodCall) -> Any:
    """Add a TLD to the catalogue; returns its id as a string."""
    vars_ = call.vars()
    with renamed_errors({"extension": "tld"}):
        if find_extension(call.session, str(vars_.get("tld") or "")) is not None:
            raise invalid("tld", "exists", f"the TLD {vars_['tld']} already exists")
        tld, _ = save_tld(call.session, str(vars_["tld"]), _features(call, vars_))
    return str(tld.id)


@method(TLDS, "edit", status="partial",
        notes="dns_management, email_forwarding, id_protection, epp_code and module_id "
              "change; package and email fields are not used")
def edit(call: MethodCall) -> Any:
    """Change a TLD's features or registrar; returns the TLD."""
    tld = _tld(call, call.arg("tld"))
    if tld is None:
        raise invalid("tld", "exists", f"the TLD {call.arg('tld')} does not exist")
    tld, _ = save_tld(call.session, tld.extension, _features(call, call.vars()))
    return render(call, [tld])[0]


@method(TLDS, "updatePricings", status="partial",
        notes="pricings[term][currency]{price, price_renews, price_transfer}; filters and "
              "update_all_packages are ignored")
def update_pricings(call: MethodCall) -> Any:
    """Set a TLD's register/renew/transfer prices per number of years and currency."""
    tld = _tld(call, call.arg("tld"))
    if tld is None:
        raise invalid("tld", "exists", f"the TLD {call.arg('tld')} does not exist")
    pricings = call.args.get("pricings")
    if not isinstance(pricings, Mapping):
        raise invalid("pricings", "format", "pricings[term][currency][price] is expected")
    wanted: dict[tuple[str, str], dict[int, Decimal]] = defaultdict(dict)
    for term, per_currency in pricings.items():
        years = optional_int(term, "pricings")
        if years is None or not isinstance(per_currency, Mapping):
            raise invalid("pricings", "format", "pricings[term][currency][price] is expected")
        for currency, values in per_currency.items():
            if not isinstance(values, Mapping):
                raise invalid("pricings", "format", "pricings[term][currency][price]")
            for key, kind in PRICE_KINDS.items():
                if values.get(key) not in (None, ""):
                    wanted[(kind, str(currency).upper())][years] = amount(
                        values[key], f"pricings[{term}][{currency}][{key}]")
    for (kind, currency), prices in wanted.items():
        set_tld_prices(call.session, tld.id, kind, currency, prices, convert=False)
    return None


@method(TLDS, "getFeatures")
def get_features(call: MethodCall) -> Any:
    """The optional TLD features and their names."""
    return PhpArray({"dns_management": "DNS Management",
                     "email_forwarding": "Email Forwarding", "id_protection": "ID Protection"})


__all__ = ["pricing_rows", "render"]
