"""Catalogue use-cases: product groups, products (with stock), addons and configurable options.

Prices are set through :mod:`bridge.services.pricing`; every ``prices`` input here is
``{currency: {cycle: {"amount", "setup_fee", "enabled"}}}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.errors import Conflict, ValidationFailed
from bridge.models import (
    Addon,
    ConfigOption,
    ConfigOptionGroup,
    ConfigOptionValue,
    Product,
    ProductGroup,
    ServerGroup,
)
from bridge.models.catalog import config_group_products
from bridge.schemas.catalog import (
    AddonSchema,
    ConfigOptionGroupSchema,
    ConfigOptionSchema,
    ProductGroupSchema,
    ProductSchema,
)

from .common import apply_fields, check_reference, get_or_404, log_activity, validate
from .pricing import set_prices

# option types whose customer picks one of the listed values
_CHOICE_TYPES = ("select", "radio")


def slugify(text: str) -> str:
    """Lower-case URL slug of ``text`` (``"Web Hosting+"`` -> ``"web-hosting"``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _apply_prices(
    session: Session, owner_type: str, owner_id: int, prices: Mapping[str, Any]
) -> None:
    for currency, cycles in prices.items():
        set_prices(session, owner_type, owner_id, currency, cycles)


def _products(session: Session, ids: Sequence[int], field: str = "product_ids") -> list[Product]:
    found: list[Product] = []
    for product_id in dict.fromkeys(ids):
        product = session.get(Product, product_id)
        if product is None:
            raise ValidationFailed.single(field, "invalid", f"product {product_id} does not exist")
        found.append(product)
    return found


def add_product_group(session: Session, data: Mapping[str, Any]) -> ProductGroup:
    """Create a product group (slug derived from the name when not given)."""
    values = validate(ProductGroupSchema, data)
    values.setdefault("slug", slugify(values["name"]))
    group = ProductGroup(**values)
    session.add(group)
    session.flush()
    log_activity(session, "product_group.added", f"Product group {group.name} added",
                 subject=("product_group", group.id))
    emit(session, "product_group_added", product_group_id=group.id)
    return group


def update_product_group(
    session: Session, group_id: int, data: Mapping[str, Any]
) -> ProductGroup:
    """Change fields of a product group. NotFound when it does not exist."""
    group = get_or_404(session, ProductGroup, group_id, "ProductGroup")
    values = validate(ProductGroupSchema, data, partial=True)
    changed = apply_fields(group, values)
    if changed:
        log_activity(session, "product_group.updated", f"Product group {group.name} updated",
                     subject=("product_group", group.id), data={"changed": changed})
        emit(session, "product_group_updated", product_group_id=group.id, changed=changed)
    return group


def _check_product_refs(session: Session, values: Mapping[str, Any]) -> None:
    check_reference(session, ProductGroup, values.get("group_id"), "group_id", "product group")
    check_reference(session, ServerGroup, values.get("server_group_id"), "server_group_id",
                    "server group")


def add_product(session: Session, data: Mapping[str, Any]) -> Product:
    """Create a product and its prices.

    ``data`` holds the product fields (type, pay_type, module + module_config,
    server_group_id, stock_control/stock_quantity, auto_setup, ...) and optional ``prices``.
    Raises ValidationFailed for a missing group or server group and for bad prices.
    """
    values = validate(ProductSchema, data)
    prices = values.pop("prices", {})
    _check_product_refs(session, values)
    values.setdefault("slug", slugify(values["name"]))
    product = Product(**values)
    session.add(product)
    session.flush()
    _apply_prices(session, "product", product.id, prices)
    log_activity(session, "product.added", f"Product {product.name} added",
                 subject=("product", product.id))
    emit(session, "product_added", product_id=product.id)
    return product


def update_product(session: Session, product_id: int, data: Mapping[str, Any]) -> Product:
    """Change fields of a product; ``prices`` given are upserted, others kept."""
    product = get_product(session, product_id)
    values = validate(ProductSchema, data, partial=True)
    prices = values.pop("prices", {})
    _check_product_refs(session, values)
    changed = apply_fields(product, values)
    if prices:
        _apply_prices(session, "product", product.id, prices)
        changed.append("prices")
    if changed:
        log_activity(session, "product.updated", f"Product {product.name} updated",
                     subject=("product", product.id), data={"changed": changed})
        emit(session, "product_updated", product_id=product.id, changed=changed)
    return product


def get_product(session: Session, product_id: int) -> Product:
    """The product ``product_id``, or NotFound."""
    return get_or_404(session, Product, product_id, "Product")


def reserve_stock(session: Session, product_id: int, quantity: int = 1) -> None:
    """Take ``quantity`` units of a stock-controlled product (no-op without stock control).

    The decrement is one conditional UPDATE, so two orders never sell the last unit twice.
    Raises Conflict "out of stock" when fewer units are left, ValidationFailed for a
    quantity below 1.
    """
    if quantity < 1:
        raise ValidationFailed.single("quantity", "range", "quantity must be at least 1")
    product = get_product(session, product_id)
    if not product.stock_control:
        return
    result = cast(CursorResult[Any], session.execute(
        update(Product)
        .where(Product.id == product_id, Product.stock_quantity >= quantity)
        .values(stock_quantity=Product.stock_quantity - quantity)
        .execution_options(synchronize_session=False)))
    session.refresh(product, ["stock_quantity"])
    if result.rowcount != 1:
        raise Conflict(f"product {product.id} ({product.name}) is out of stock: "
                       f"{product.stock_quantity} left, {quantity} requested")
    log_activity(session, "product.stock_reserved",
                 f"{quantity} of product {product.name} reserved",
                 subject=("product", product.id),
                 data={"quantity": quantity, "left": product.stock_quantity})


def add_addon(session: Session, data: Mapping[str, Any]) -> Addon:
    """Create a catalogue addon offered with ``product_ids``, priced by ``prices``."""
    values = validate(AddonSchema, data)
    prices = values.pop("prices", {})
    products = _products(session, values.pop("product_ids", []))
    addon = Addon(**values, products=products)
    session.add(addon)
    session.flush()
    _apply_prices(session, "addon", addon.id, prices)
    log_activity(session, "addon.added", f"Addon {addon.name} added",
                 subject=("addon", addon.id), data={"product_ids": [p.id for p in products]})
    emit(session, "addon_added", addon_id=addon.id)
    return addon


def add_config_option_group(session: Session, data: Mapping[str, Any]) -> ConfigOptionGroup:
    """Create a configurable option group attached to ``product_ids``."""
    values = validate(ConfigOptionGroupSchema, data)
    products = _products(session, values.pop("product_ids", []))
    group = ConfigOptionGroup(**values, products=products)
    session.add(group)
    session.flush()
    log_activity(session, "config_option_group.added", f"Option group {group.name} added",
                 subject=("config_option_group", group.id),
                 data={"product_ids": [p.id for p in products]})
    emit(session, "config_option_group_added", config_option_group_id=group.id)
    return group


def add_config_option(session: Session, group_id: int, data: Mapping[str, Any]) -> ConfigOption:
    """Add an option with its values (each priced per currency and cycle) to a group.

    Select and radio options need at least one value; ``qty_max`` (when set) must not be
    below ``qty_min``. Raises NotFound for a missing group, ValidationFailed otherwise.
    """
    group = get_or_404(session, ConfigOptionGroup, group_id, "ConfigOptionGroup")
    values = validate(ConfigOptionSchema, data)
    choices = values.pop("values", [])
    option_type = values.setdefault("option_type", "select")
    if option_type in _CHOICE_TYPES and not choices:
        raise ValidationFailed.single("values", "required",
                                      f"a {option_type} option needs at least one value")
    qty_min, qty_max = values.get("qty_min", 0), values.get("qty_max", 0)
    if qty_max and qty_max < qty_min:
        raise ValidationFailed.single("qty_max", "range",
                                      f"qty_max {qty_max} is below qty_min {qty_min}")
    option = ConfigOption(group_id=group.id, **values)
    session.add(option)
    session.flush()
    for index, choice in enumerate(choices):
        prices = choice.pop("prices", {})
        choice.setdefault("sort_order", index)
        value = ConfigOptionValue(option_id=option.id, **choice)
        session.add(value)
        session.flush()
        _apply_prices(session, "config_option_value", value.id, prices)
    session.refresh(option, ["values"])
    log_activity(session, "config_option.added", f"Option {option.name} added to {group.name}",
                 subject=("config_option", option.id))
    emit(session, "config_option_added", config_option_id=option.id, group_id=group.id)
    return option


def config_options_for_product(session: Session, product_id: int) -> list[ConfigOption]:
    """Every configurable option (hidden ones too) of the groups attached to a product,
    by group then sort order. NotFound for a missing product."""
    get_product(session, product_id)
    return list(session.scalars(
        select(ConfigOption)
        .join(config_group_products, config_group_products.c.group_id == ConfigOption.group_id)
        .where(config_group_products.c.product_id == product_id)
        .order_by(ConfigOption.group_id, ConfigOption.sort_order, ConfigOption.id)))
