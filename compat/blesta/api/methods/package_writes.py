"""Packages (``packages``): add, edit and delete, through the core catalogue services."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from bridge.models import Price, Service
from bridge.services.catalog import add_product, update_product
from bridge.services.pricing import set_prices
from bridge.services.settings import default_currency_code
from compat.whmcs.api.params import as_bool, as_list

from ..args import id_or_none, optional_integer, optional_text
from ..registry import MethodCall, invalid, method
from .managers import module_names
from .package_groups import LANG, group_in_company
from .packages import STATUS_TYPES, product_in_company
from .pricing import parse_pricing


def _first(entries: Any, key: str) -> str | None:
    rows = [e for e in as_list(entries) if isinstance(e, Mapping)]
    preferred = [e for e in rows if e.get("lang") == LANG] or rows
    return str(preferred[0].get(key) or "") if preferred else None


def _module(call: MethodCall, value: Any) -> str:
    text = str(value or "").strip()
    if text in ("", "0"):
        return ""
    names = module_names(call.session, ("server",))
    number = id_or_none(text)
    if number is not None and number in names:
        return names[number]
    if text in names.values():
        return text
    raise invalid("module_id", "exists", "Invalid module ID.")


def _product_data(call: MethodCall, vars_: dict[str, Any]) -> dict[str, Any]:
    """Blesta package ``vars`` -> core product fields (only those given)."""
    data: dict[str, Any] = {}
    name = _first(vars_.get("names"), "name")
    if name is None and vars_.get("name") is not None:
        name = str(vars_["name"])
    if name is not None:
        data["name"] = name
    description = _first(vars_.get("descriptions"), "text")
    if not description:
        description = _first(vars_.get("descriptions"), "html") or description
    if description is None and vars_.get("description") is not None:
        description = str(vars_["description"])
    if description is not None:
        data["description"] = description
    if "module_id" in vars_:
        data["module"] = _module(call, vars_["module_id"])
    if isinstance(vars_.get("meta"), Mapping):
        data["module_config"] = {str(k): v for k, v in vars_["meta"].items()}
    if "module_group" in vars_:
        data["server_group_id"] = optional_integer(vars_["module_group"], "module_group") or None
    if "qty" in vars_:
        qty = optional_integer(vars_["qty"], "qty")  # empty: no stock control
        data["stock_control"] = qty is not None
        data["stock_quantity"] = qty or 0
    for flag in ("taxable", "hidden"):
        if flag in vars_:
            data[flag] = as_bool(vars_[flag])
    if "status" in vars_:
        status = optional_text(vars_["status"], "status")
        if status not in STATUS_TYPES:
            raise invalid("status", "format", "Invalid package status.")
        data["retired"] = status == "inactive"
        if status == "restricted":
            data["hidden"] = True
    if "prorata_day" in vars_:
        day = optional_integer(vars_["prorata_day"], "prorata_day") or 0
        data["prorata_billing"] = day > 0
        data["prorata_day"] = day
    if "prorata_cutoff" in vars_:
        data["prorata_charge_next_month_day"] = optional_integer(
            vars_["prorata_cutoff"], "prorata_cutoff") or 0
    groups = as_list(vars_.get("groups"))
    if groups:
        group = group_in_company(call, groups[0])
        if group is None:
            raise invalid("groups", "exists", f"Package group {groups[0]} does not exist.")
        data["group_id"] = group.id
    return data


def _pricing(call: MethodCall, vars_: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    return parse_pricing(vars_.get("pricing"), default_currency_code(call.session))


def _pay_type(prices: Mapping[str, Mapping[str, Any]]) -> str:
    cycles = {cycle for by_cycle in prices.values() for cycle in by_cycle}
    return "onetime" if cycles == {"onetime"} else "recurring"


@method("packages", "add", status="partial", notes=(
    "one language; one group (the first of groups[]); module_row, option_groups, "
    "email_content, cancel_fee and price_renews are not stored"))
def add(call: MethodCall) -> Any:
    """Create a package and its pricing; returns the package id."""
    vars_ = call.vars()
    data = _product_data(call, vars_)
    if not data.get("name", "").strip():
        raise invalid("names", "empty", "Please enter a package name.")
    prices = _pricing(call, vars_)
    if prices:
        data["prices"] = prices
        data["pay_type"] = _pay_type(prices)
    return str(add_product(call.session, data).id)


@method("packages", "edit", status="partial", notes=(
    "as add; pricing[] replaces the offered price points (those left out stop being offered)"))
def edit(call: MethodCall) -> Any:
    """Change a package; a ``pricing`` list replaces its offered prices."""
    product = product_in_company(call, call.arg("package_id"))
    if product is None:
        raise invalid("package_id", "exists", "Invalid package ID.")
    vars_ = call.vars()
    data = _product_data(call, vars_)
    if "pricing" in vars_:
        prices = _pricing(call, vars_)
        if prices:
            data["prices"] = prices
            data["pay_type"] = _pay_type(prices)
        _withdraw_missing(call, product.id, prices)
    update_product(call.session, product.id, data)
    return None


def _withdraw_missing(call: MethodCall, product_id: int,
                      keep: Mapping[str, Iterable[str]]) -> None:
    """Stop offering the product's price points a replacing ``pricing`` list left out."""
    gone: dict[str, dict[str, dict[str, Any]]] = {}
    for price in call.session.scalars(select(Price).where(
            Price.owner_type == "product", Price.owner_id == product_id,
            Price.enabled.is_(True))):
        if price.cycle not in keep.get(price.currency, ()):
            gone.setdefault(price.currency, {})[price.cycle] = {"enabled": False}
    for currency, cycles in gone.items():
        set_prices(call.session, "product", product_id, currency, cycles)


@method("packages", "delete", status="partial", notes=(
    "the package is retired (inactive), not removed; refused while services use it unless "
    "remove_services"))
def delete(call: MethodCall) -> Any:
    """Retire a package; refused while it has services (unless ``remove_services``)."""
    product = product_in_company(call, call.arg("package_id"))
    if product is None:
        raise invalid("package_id", "exists", "Invalid package ID.")
    in_use = call.session.scalar(select(Service.id).where(
        Service.product_id == product.id).limit(1)) is not None
    if in_use and not as_bool(call.arg("remove_services"), False):
        raise invalid("package_id", "in_use",
                      "The package cannot be deleted while services use it.")
    update_product(call.session, product.id, {"retired": True, "hidden": True})
    return None
