"""Package options (``package_options``) and option groups (``package_option_groups``) are
core configurable options and their groups.

A core option belongs to exactly one group (Blesta allows several), and its type vocabulary
is smaller: ``checkbox`` is a yes/no option; ``textarea`` and ``password`` are text options.
Option values are priced by ``Price(config_option_value)`` rows, so a value's
``pricing_id`` is a ``Price.id``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select

from bridge.models import ConfigOption, ConfigOptionGroup, ConfigOptionValue, Price
from bridge.models.catalog import config_group_products
from bridge.services.catalog import add_config_option, add_config_option_group
from bridge.services.settings import default_currency_code
from compat.whmcs.api.params import as_bool, as_list

from ..args import integer, integers, optional_integer
from ..args import page as page_of
from ..registry import MethodCall, invalid, method
from ..render import PhpArray
from .pricing import option_pricing_row, parse_pricing, periods, prices_by_owner

PER_PAGE = 20
TYPE_TO_CORE = {"select": "select", "radio": "radio", "checkbox": "yesno",
                "quantity": "quantity", "text": "text", "textarea": "text", "password": "text"}
TYPE_FROM_CORE = {"select": "select", "radio": "radio", "yesno": "checkbox",
                  "quantity": "quantity", "text": "text"}
TYPES = {"checkbox": "Checkbox", "radio": "Radio", "select": "Drop-down",
         "quantity": "Quantity", "text": "Text", "textarea": "Textarea", "password": "Password"}


def _group_row(call: MethodCall, group: ConfigOptionGroup) -> dict[str, Any]:
    return {"id": group.id, "company_id": call.company_id, "name": group.name,
            "description": group.description or None, "hide_options": 0, "hidden": 0}


def option_objects(call: MethodCall, options: Sequence[ConfigOption]) -> list[dict[str, Any]]:
    """Options with their values (each with pricing) and groups, in three queries."""
    option_ids = [o.id for o in options]
    values: dict[int, list[ConfigOptionValue]] = {i: [] for i in option_ids}
    if option_ids:
        for value in call.session.scalars(select(ConfigOptionValue).where(
                ConfigOptionValue.option_id.in_(option_ids))
                .order_by(ConfigOptionValue.sort_order, ConfigOptionValue.id)):
            values[value.option_id].append(value)
    prices = prices_by_owner(call, "config_option_value",
                             [v.id for vs in values.values() for v in vs])
    group_ids = {o.group_id for o in options}
    groups = {g.id: g for g in call.session.scalars(
        select(ConfigOptionGroup).where(ConfigOptionGroup.id.in_(group_ids)))} \
        if group_ids else {}
    return [_option(call, o, values[o.id], prices, groups.get(o.group_id)) for o in options]


def _option(call: MethodCall, option: ConfigOption, values: list[ConfigOptionValue],
            prices: dict[int, list[Price]], group: ConfigOptionGroup | None) -> dict[str, Any]:
    quantity = option.option_type == "quantity"
    return {
        "id": option.id, "label": option.label or option.name, "name": option.name,
        "type": TYPE_FROM_CORE.get(option.option_type, "text"), "addable": 1, "editable": 1,
        "description": None, "hidden": int(option.hidden), "company_id": call.company_id,
        "values": [{
            "id": v.id, "option_id": option.id, "name": v.name, "value": v.value or None,
            "order": v.sort_order, "min": option.qty_min if quantity else None,
            "max": (option.qty_max or None) if quantity else None,
            "step": 1 if quantity else None,
            "status": "inactive" if v.hidden else "active", "default": 0,
            "pricing": [option_pricing_row(p, call.company_id) for p in prices[v.id]],
        } for v in values],
        "groups": [_group_row(call, group)] if group is not None else [],
    }


def _option_by_id(call: MethodCall, option_id: Any) -> ConfigOption | None:
    key = optional_integer(option_id, "option_id")
    return call.session.get(ConfigOption, key) if key is not None else None


def _all_options(call: MethodCall) -> Any:
    query = select(ConfigOption)
    filters = call.vars("filters")
    if filters.get("name"):
        query = query.where(ConfigOption.name.like(f"%{filters['name']}%"))
    if filters.get("option_group_id"):
        query = query.where(ConfigOption.group_id == integer(filters["option_group_id"],
                                                           "filters[option_group_id]"))
    return query


@method("package_options", "get")
def get(call: MethodCall) -> Any:
    """One option with its values and their pricing, or false."""
    option = _option_by_id(call, call.arg("option_id"))
    return option_objects(call, [option])[0] if option is not None else False


@method("package_options", "getAll", status="partial", notes="filters: name, option_group_id")
def get_all(call: MethodCall) -> Any:
    """Every option."""
    rows = call.session.scalars(_all_options(call).order_by(ConfigOption.name,
                                                             ConfigOption.id)).all()
    return option_objects(call, rows)


@method("package_options", "getList", status="partial", notes="ordered by name")
def get_list(call: MethodCall) -> Any:
    """One page (20) of options."""
    page = page_of(call)
    rows = call.session.scalars(_all_options(call).order_by(ConfigOption.name, ConfigOption.id)
                                .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return option_objects(call, rows)


@method("package_options", "getListCount")
def get_list_count(call: MethodCall) -> Any:
    """How many options ``getList`` pages through."""
    query = _all_options(call)
    return int(call.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


@method("package_options", "getByPackageId")
def get_by_package_id(call: MethodCall) -> Any:
    """The options of the groups attached to a package."""
    rows = call.session.scalars(
        select(ConfigOption)
        .join(config_group_products, config_group_products.c.group_id == ConfigOption.group_id)
        .where(config_group_products.c.product_id == integer(call.arg("package_id"), "package_id"))
        .order_by(ConfigOption.group_id, ConfigOption.sort_order, ConfigOption.id)).all()
    return option_objects(call, rows)


@method("package_options", "getByPackageOptionGroupId")
def get_by_group_id(call: MethodCall) -> Any:
    """The options of one option group."""
    rows = call.session.scalars(select(ConfigOption).where(
        ConfigOption.group_id == integer(call.arg("package_option_group_id"),
                                        "package_option_group_id"))
        .order_by(ConfigOption.sort_order, ConfigOption.id)).all()
    return option_objects(call, rows)


@method("package_options", "getValues")
def get_values(call: MethodCall) -> Any:
    """An option's values (each with its pricing)."""
    option = _option_by_id(call, call.arg("option_id"))
    return option_objects(call, [option])[0]["values"] if option is not None else []


@method("package_options", "getGroups")
def get_groups(call: MethodCall) -> Any:
    """The groups an option belongs to (one here)."""
    option = _option_by_id(call, call.arg("option_id"))
    return option_objects(call, [option])[0]["groups"] if option is not None else []


@method("package_options", "getValuePricing")
def get_value_pricing(call: MethodCall) -> Any:
    """The pricing of one option value."""
    value_id = integer(call.arg("value_id"), "value_id")
    return [option_pricing_row(p, call.company_id)
            for p in prices_by_owner(call, "config_option_value", [value_id])[value_id]]


@method("package_options", "getValuePricingById")
def get_value_pricing_by_id(call: MethodCall) -> Any:
    """One option value pricing by its pricing id, or false."""
    price = call.session.get(Price, integer(call.arg("pricing_id"), "pricing_id"))
    if price is None or price.owner_type != "config_option_value" or not price.enabled:
        return False
    return option_pricing_row(price, call.company_id)


@method("package_options", "getTypes")
def get_types(call: MethodCall) -> Any:
    """The option types."""
    return PhpArray(TYPES)


@method("package_options", "getValueStatuses")
def get_value_statuses(call: MethodCall) -> Any:
    """The option value statuses."""
    return PhpArray({"active": "Active", "inactive": "Inactive"})


@method("package_options", "getPricingPeriods")
def get_pricing_periods(call: MethodCall) -> Any:
    """``{day: Day, ...}`` (plural labels with ``plural=true``)."""
    return periods(call.arg("plural", False))


def _value_data(entry: Mapping[str, Any], currency: str) -> dict[str, Any]:
    data: dict[str, Any] = {"name": str(entry.get("name") or "")}
    if entry.get("value") not in (None, ""):
        data["value"] = str(entry["value"])
    if entry.get("status") == "inactive":
        data["hidden"] = True
    prices = parse_pricing(entry.get("pricing"), currency)
    if prices:
        data["prices"] = prices
    return data


@method("package_options", "add", status="partial", notes=(
    "the option joins the first of groups[] only; textarea/password become text; "
    "addable, editable and description are not stored"))
def add(call: MethodCall) -> Any:
    """Create an option with its values and their pricing; returns its id."""
    vars_ = call.vars()
    kind = str(vars_.get("type") or "select")
    if kind not in TYPE_TO_CORE:
        raise invalid("type", "format", "Invalid option type.")
    groups = integers(vars_.get("groups"), "groups")
    if not groups or call.session.get(ConfigOptionGroup, groups[0]) is None:
        raise invalid("groups", "exists", "hostbridge keeps each option in one option group; "
                      "give groups[] with an existing option group id.")
    currency = default_currency_code(call.session)
    entries = [e for e in as_list(vars_.get("values")) if isinstance(e, Mapping)]
    data: dict[str, Any] = {
        "name": str(vars_.get("name") or ""), "label": str(vars_.get("label") or ""),
        "option_type": TYPE_TO_CORE[kind], "hidden": as_bool(vars_.get("hidden"), False),
        "values": [_value_data(e, currency) for e in entries],
    }
    if kind == "quantity" and entries:
        data["qty_min"] = optional_integer(entries[0].get("min"), "values[0][min]") or 0
        data["qty_max"] = optional_integer(entries[0].get("max"), "values[0][max]") or 0
    return str(add_config_option(call.session, groups[0], data).id)


# -- option groups ---------------------------------------------------------------------------

def _option_group(call: MethodCall, group_id: Any) -> ConfigOptionGroup | None:
    key = optional_integer(group_id, "option_group_id")
    return call.session.get(ConfigOptionGroup, key) if key is not None else None


def _groups_query(call: MethodCall) -> Any:
    query = select(ConfigOptionGroup)
    filters = call.vars("filters")
    if filters.get("name"):
        query = query.where(ConfigOptionGroup.name.like(f"%{filters['name']}%"))
    return query


@method("package_option_groups", "get")
def group_get(call: MethodCall) -> Any:
    """One option group, or false."""
    group = _option_group(call, call.arg("option_group_id"))
    return _group_row(call, group) if group is not None else False


@method("package_option_groups", "getAll")
def group_get_all(call: MethodCall) -> Any:
    """Every option group, by name."""
    rows = call.session.scalars(_groups_query(call).order_by(ConfigOptionGroup.name,
                                                              ConfigOptionGroup.id))
    return [_group_row(call, g) for g in rows]


@method("package_option_groups", "getList", status="partial", notes="ordered by name")
def group_get_list(call: MethodCall) -> Any:
    """One page (20) of option groups."""
    page = page_of(call)
    rows = call.session.scalars(_groups_query(call).order_by(
        ConfigOptionGroup.name, ConfigOptionGroup.id).offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE))
    return [_group_row(call, g) for g in rows]


@method("package_option_groups", "getListCount")
def group_get_list_count(call: MethodCall) -> Any:
    """How many option groups ``getList`` pages through."""
    query = _groups_query(call)
    return int(call.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


@method("package_option_groups", "getAllOptions")
def group_get_all_options(call: MethodCall) -> Any:
    """The options of one group."""
    rows = call.session.scalars(select(ConfigOption).where(
        ConfigOption.group_id == integer(call.arg("option_group_id"), "option_group_id"))
        .order_by(ConfigOption.sort_order, ConfigOption.id)).all()
    return option_objects(call, rows)


@method("package_option_groups", "getAllPackageIds")
def group_get_all_package_ids(call: MethodCall) -> Any:
    """The ids of the packages a group is attached to."""
    return list(call.session.scalars(
        select(config_group_products.c.product_id)
        .where(config_group_products.c.group_id == integer(call.arg("option_group_id"),
                                                           "option_group_id"))
        .order_by(config_group_products.c.product_id)))


@method("package_option_groups", "add", status="partial",
        notes="hide_options and hidden are not stored")
def group_add(call: MethodCall) -> Any:
    """Create an option group attached to ``packages[]``; returns its id."""
    vars_ = call.vars()
    if not str(vars_.get("name") or "").strip():
        raise invalid("name", "empty", "Please enter a name.")
    data = {"name": str(vars_["name"]), "description": str(vars_.get("description") or ""),
            "product_ids": integers(vars_.get("packages"), "packages")}
    return str(add_config_option_group(call.session, data).id)
