"""GetProducts (Orders group) and AddProduct (Products group).

WHMCS keeps one pricing row per currency with six setup-fee and six cycle columns, ``-1.00``
marking a cycle not offered; the core keeps one price per cycle. GetProducts builds the
columns; AddProduct reads ``pricing[currencyid][monthly]=9.99`` back into core prices.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select

from bridge.errors import ValidationFailed
from bridge.models import (
    ConfigOption,
    ConfigOptionValue,
    Currency,
    CustomField,
    Price,
    Product,
    ProductGroup,
)
from bridge.models.catalog import config_group_products
from bridge.services.catalog import add_product
from bridge.services.module_context import plugin_host
from bridge.services.settings import get_setting

from ..format import PRICE_COLUMNS, money
from ..registry import ApiError, ApiRequest, action
from .item_helpers import MAX_ID, PRODUCT_TYPE_IN, PRODUCT_TYPE_OUT, number, record

OPTION_TYPE = {"select": "1", "radio": "2", "yesno": "3", "quantity": "4", "text": "1"}
AUTO_SETUP_IN = {"": "", "on": "manual", "payment": "payment", "order": "order"}
NOT_OFFERED = "-1.00"
ZERO = "0.00"


def _columns(prices: dict[str, Price], missing: str, onetime: bool) -> dict[str, str]:
    """The twelve WHMCS columns of one owner in one currency (setup fees first)."""
    setup, cycles = {}, {}
    for cycle, column, setup_column in PRICE_COLUMNS:
        # WHMCS keeps a one-time price in the monthly column
        price = prices.get("onetime" if onetime and cycle == "1M" else cycle)
        enabled = price is not None and price.enabled
        setup[setup_column] = money(price.setup_fee) if enabled and price else ZERO
        cycles[column] = money(price.amount) if enabled and price else missing
    return {**setup, **cycles}


@action("GetProducts", status="partial",
        notes="configurable option 'recurring' and 'required' are not modelled (0 / null)")
def get_products(req: ApiRequest) -> dict[str, Any]:
    """Products with their pricing per currency, order-form custom fields and options."""
    query = select(Product)
    pids = [p for p in req.array("pid") if str(p).strip()]
    if pids:
        try:
            ids = [int(p) for p in pids]
        except ValueError:
            raise ApiError("pid must be a number or a comma separated list of numbers") from None
        query = query.where(Product.id.in_([i for i in ids if abs(i) <= MAX_ID]))
    if number(req, "gid"):
        query = query.where(Product.group_id == number(req, "gid"))
    if req.text("module"):
        query = query.where(Product.module == req.text("module"))
    products = list(req.session.scalars(query.order_by(Product.sort_order, Product.id)))
    rows = _product_rows(req, products)
    return {"totalresults": len(rows), "startnumber": 0, "numreturned": len(rows),
            "products": {"product": rows}}


def _product_rows(req: ApiRequest, products: list[Product]) -> list[dict[str, Any]]:
    session = req.session
    ids = [p.id for p in products]
    currencies = list(session.scalars(select(Currency).order_by(Currency.id)))
    groups = {g.id: g for g in session.scalars(select(ProductGroup))}
    prices: dict[int, dict[str, dict[str, Price]]] = defaultdict(lambda: defaultdict(dict))
    for price in session.scalars(select(Price).where(Price.owner_type == "product",
                                                     Price.owner_id.in_(ids))):
        prices[price.owner_id][price.currency][price.cycle] = price
    fields: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for field in session.scalars(select(CustomField).where(
            CustomField.owner_type == "product", CustomField.owner_id.in_(ids),
            CustomField.show_on_order.is_(True)).order_by(CustomField.sort_order, CustomField.id)):
        fields[field.owner_id or 0].append({"id": field.id, "name": field.name,
                                            "description": field.description,
                                            "required": "on" if field.required else ""})
    options = _options(req, ids, currencies)
    base = _base_url(req)
    rows = []
    for product in products:
        group = groups.get(product.group_id or 0)
        own = prices[product.id]
        pricing = {c.code: {"prefix": c.prefix, "suffix": c.suffix,
                            **_columns(own.get(c.code, {}), NOT_OFFERED,
                                       product.pay_type == "onetime")} for c in currencies}
        rows.append({
            "pid": product.id, "gid": product.group_id or 0,
            "type": PRODUCT_TYPE_OUT.get(product.type, "other"), "name": product.name,
            "slug": product.slug,
            "product-url": f"{base}/store/{group.slug if group else ''}/{product.slug}",
            "description": product.description, "module": product.module,
            "paytype": product.pay_type, "allowqty": product.allow_quantity,
            "quantity_available": product.stock_quantity if product.stock_control else 0,
            "pricing": pricing,
            "customfields": {"customfield": fields.get(product.id, [])},
            "configoptions": {"configoption": options.get(product.id, [])},
        })
    return rows


def _options(req: ApiRequest, product_ids: list[int],
             currencies: list[Currency]) -> dict[int, list[dict[str, Any]]]:
    session = req.session
    links = session.execute(select(config_group_products.c.product_id, ConfigOption)
                            .join(ConfigOption, ConfigOption.group_id
                                  == config_group_products.c.group_id)
                            .where(config_group_products.c.product_id.in_(product_ids))
                            .order_by(ConfigOption.group_id, ConfigOption.sort_order,
                                      ConfigOption.id)).all()
    option_ids = {option.id for _, option in links}
    values: dict[int, list[ConfigOptionValue]] = defaultdict(list)
    for value in session.scalars(select(ConfigOptionValue).where(
            ConfigOptionValue.option_id.in_(option_ids))
            .order_by(ConfigOptionValue.sort_order, ConfigOptionValue.id)):
        values[value.option_id].append(value)
    value_ids = [v.id for group in values.values() for v in group]
    prices: dict[int, dict[str, dict[str, Price]]] = defaultdict(lambda: defaultdict(dict))
    for price in session.scalars(select(Price).where(Price.owner_type == "config_option_value",
                                                     Price.owner_id.in_(value_ids))):
        prices[price.owner_id][price.currency][price.cycle] = price
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for product_id, option in links:
        found[product_id].append({
            "id": option.id, "name": option.label or option.name,
            "type": OPTION_TYPE.get(option.option_type, "1"),
            "minqty": option.qty_min, "maxqty": option.qty_max,
            "options": {"option": [{
                "id": value.id, "name": value.name,
                "rawName": f"{value.value}|{value.name}" if value.value else value.name,
                "recurring": 0, "required": None,
                "pricing": {c.code: _columns(prices[value.id].get(c.code, {}), ZERO, False)
                            for c in currencies},
            } for value in values.get(option.id, [])]},
        })
    return found


def _base_url(req: ApiRequest) -> str:
    configured = get_setting(req.session, "system.url")
    if configured:
        return configured.rstrip("/")
    return request.url_root.rstrip("/") if has_request_context() else ""


@action("AddProduct", status="partial",
        notes="isFeatured, shortdescription, tagline, subdomain, recommendations and the "
              "on-demand renewal settings are ignored; color is validated but not stored")
def add_product_action(req: ApiRequest) -> dict[str, Any]:
    """Create a product in a group, with its module settings and pricing."""
    name = req.text("name")
    if not name:
        raise ApiError("You must supply a name for the product")
    group = record(req, ProductGroup, req.text("gid"))
    if group is None:
        raise ApiError("You must supply a valid Product Group ID")
    data: dict[str, Any] = {"name": name, "group_id": group.id}
    kind = req.text("type") or "other"
    if kind not in PRODUCT_TYPE_IN:
        raise ApiError('Invalid product type. Must be one of "hostingaccount", '
                       '"reselleraccount", "server" or "other"')
    data["type"] = PRODUCT_TYPE_IN[kind]
    pay_type = req.text("paytype") or "recurring"
    if pay_type not in ("free", "onetime", "recurring"):
        raise ApiError('Invalid pay type. Must be one of "free", "onetime" or "recurring"')
    data["pay_type"] = pay_type
    if req.has("autosetup"):
        if req.text("autosetup") not in AUTO_SETUP_IN:
            raise ApiError('Invalid autosetup value. Must be one of "", "on", "order" or '
                           '"payment"')
        data["auto_setup"] = AUTO_SETUP_IN[req.text("autosetup")]
    color = req.text("color")
    if color and not re.fullmatch(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", color):
        raise ApiError("The color must be a valid hexadecimal value.")
    _flags_and_texts(req, data)
    module = req.text("module")
    if module:
        data["module"] = module
        data["module_config"] = _module_config(req, module)
    data["prices"] = _pricing(req, pay_type)
    try:
        product = add_product(req.session, data)
    except ValidationFailed as exc:
        raise ApiError(exc.message) from exc
    return {"pid": product.id}


def _flags_and_texts(req: ApiRequest, data: dict[str, Any]) -> None:
    for param, key in (("hidden", "hidden"), ("tax", "taxable"), ("stockcontrol", "stock_control"),
                       ("proratabilling", "prorata_billing"),
                       ("showdomainoptions", "requires_domain")):
        if req.has(param):
            data[key] = req.flag(param)
    for param, key in (("qty", "stock_quantity"), ("proratadate", "prorata_day"),
                       ("proratachargenextmonth", "prorata_charge_next_month_day"),
                       ("order", "sort_order"), ("servergroupid", "server_group_id")):
        if req.text(param):
            data[key] = number(req, param)
    for param, key in (("slug", "slug"), ("description", "description"),
                       ("welcomeemail", "welcome_email")):
        if req.text(param):
            data[key] = req.text(param)


def _module_config(req: ApiRequest, module: str) -> dict[str, str]:
    """``configoption1..6`` by position onto the module's declared fields (kept as
    ``configoptionN`` when the module is not installed or declares fewer fields)."""
    names = [f"configoption{n}" for n in range(1, 7)]
    installed = plugin_host(req.session).modules.get("server", {}).get(module)
    if installed is not None:
        declared = [f.name for f in installed.config_fields]
        names = [declared[i] if i < len(declared) else names[i] for i in range(6)]
    return {names[n - 1]: req.text(f"configoption{n}") for n in range(1, 7)
            if req.has(f"configoption{n}")}


def _pricing(req: ApiRequest, pay_type: str) -> dict[str, dict[str, dict[str, Any]]]:
    raw = req.params.get("pricing")
    if not isinstance(raw, dict) or pay_type == "free":
        return {}
    prices: dict[str, dict[str, dict[str, Any]]] = {}
    for currency_id, columns in raw.items():
        currency = record(req, Currency, currency_id)
        if currency is None or not isinstance(columns, dict):
            raise ApiError("Invalid Currency ID")
        cycles: dict[str, dict[str, Any]] = {}
        for cycle, column, setup_column in PRICE_COLUMNS:
            if column not in columns and setup_column not in columns:
                continue
            amount = str(columns.get(column, "-1")).strip() or "-1"
            code = "onetime" if pay_type == "onetime" and cycle == "1M" else cycle
            if pay_type == "onetime" and cycle != "1M":
                continue
            setup_fee = str(columns.get(setup_column, "0")).strip() or "0"
            enabled = not amount.startswith("-")
            cycles[code] = {"amount": amount if enabled else "0", "enabled": enabled,
                            "setup_fee": "0" if setup_fee.startswith("-") else setup_fee}
        if cycles:
            prices[currency.code] = cycles
    return prices
