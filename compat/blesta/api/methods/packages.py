"""Packages (``packages``) are core products; their pricing is the product's ``Price`` rows.

A package's ``meta`` is the product's module configuration, ``module_id`` names its server
module (see :mod:`.managers`), ``module_group`` its server group and ``groups`` its product
group (a product sits in one group). Status: ``inactive`` is a retired product; ``restricted``
is stored as hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, or_, select

from bridge.models import ConfigOptionGroup, Price, Product, ProductGroup
from bridge.models.catalog import config_group_products
from compat.whmcs.api.params import as_bool

from ..args import integer, optional_integer
from ..args import page as page_of
from ..registry import MethodCall, method
from ..render import PhpArray
from .managers import module_id_of, module_names
from .package_groups import LANG, group_in_company, group_object
from .pricing import package_pricing_row, periods, prices_by_owner

PER_PAGE = 20
STATUS_TYPES = {"active": "Active", "inactive": "Inactive", "restricted": "Restricted"}


def package_objects(call: MethodCall, products: Sequence[Product]) -> list[dict[str, Any]]:
    """Packages as ``packages/get`` returns them, loading prices, groups and option groups in
    three queries whatever the number of products."""
    ids = [p.id for p in products]
    prices = prices_by_owner(call, "product", ids)
    group_ids = {p.group_id for p in products if p.group_id is not None}
    groups = {g.id: g for g in call.session.scalars(
        select(ProductGroup).where(ProductGroup.id.in_(group_ids)))} if group_ids else {}
    options: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        for product_id, option_group in call.session.execute(
                select(config_group_products.c.product_id, ConfigOptionGroup)
                .join(ConfigOptionGroup, ConfigOptionGroup.id == config_group_products.c.group_id)
                .where(config_group_products.c.product_id.in_(ids))
                .order_by(ConfigOptionGroup.id)):
            options[product_id].append({"id": option_group.id, "name": option_group.name,
                                        "description": option_group.description or None})
    return [_package(call, p, prices[p.id], groups.get(p.group_id or 0), options[p.id])
            for p in products]


def package_object(call: MethodCall, product: Product) -> dict[str, Any]:
    """One package as ``packages/get`` returns it."""
    return package_objects(call, [product])[0]


def _package(call: MethodCall, product: Product, prices: list[Price],
             group: ProductGroup | None, option_groups: list[dict[str, Any]]) -> dict[str, Any]:
    company_id = (group.company_id if group else None) or call.company_id
    return {
        "id": product.id, "id_format": "{num}", "id_value": product.id,
        "id_code": str(product.id), "module_id": module_id_of(product.module),
        "name": product.name, "description": product.description or None,
        "description_html": product.description or None,
        "qty": product.stock_quantity if product.stock_control else None,
        "client_qty": None, "module_row": 0, "module_group": product.server_group_id,
        "module_group_client": 0, "taxable": int(product.taxable), "single_term": 0,
        "status": "inactive" if product.retired else "active",
        "hidden": int(product.hidden), "company_id": company_id,
        "prorata_day": product.prorata_day if product.prorata_billing else None,
        "prorata_cutoff": product.prorata_charge_next_month_day or None,
        "upgrades_use_renewal": 1, "override_price": 0,
        "names": [{"lang": LANG, "name": product.name}],
        "descriptions": [{"lang": LANG, "html": product.description or None,
                          "text": product.description or None}],
        "email_content": [],
        "pricing": [package_pricing_row(p, company_id) for p in prices],
        "meta": {str(k): v for k, v in (product.module_config or {}).items()},
        "groups": [group_object(call, group)] if group is not None else [],
        "module_groups": [], "option_groups": option_groups, "plugins": [],
    }


def scoped(call: MethodCall) -> Any:
    """Products in the caller's company (through their group; ungrouped ones too)."""
    return (select(Product).outerjoin(ProductGroup, ProductGroup.id == Product.group_id)
            .where(or_(ProductGroup.company_id == call.company_id,
                       ProductGroup.company_id.is_(None))))


def product_in_company(call: MethodCall, package_id: Any) -> Product | None:
    """The product ``package_id`` if the caller's company sees it."""
    key = optional_integer(package_id, "package_id")
    if key is None:
        return None
    product: Product | None = call.session.scalar(scoped(call).where(Product.id == key))
    return product


def _filtered(call: MethodCall, query: Any) -> Any:
    status = call.arg("status")
    if status == "active":
        query = query.where(Product.retired.is_(False))
    elif status == "inactive":
        query = query.where(Product.retired.is_(True))
    elif status == "restricted":
        query = query.where(Product.id.is_(None))
    filters = call.vars("filters")
    if filters.get("name"):
        query = query.where(Product.name.like(f"%{filters['name']}%"))
    if filters.get("module_id"):
        name = module_names(call.session).get(
            integer(filters["module_id"], "filters[module_id]"), "\0")
        query = query.where(Product.module == name)
    if "hidden" in filters and str(filters["hidden"]) != "":
        query = query.where(Product.hidden.is_(as_bool(filters["hidden"])))
    return query


def _order(order: Mapping[str, Any]) -> list[Any]:
    columns = {"name": Product.name, "id_code": Product.id, "id": Product.id,
               "status": Product.retired}
    found = [columns[k].desc() if str(v).lower() == "desc" else columns[k].asc()
             for k, v in order.items() if k in columns]
    return [*found, Product.id]


@method("packages", "get")
def get(call: MethodCall) -> Any:
    """One package with pricing, meta (module configuration) and groups, or false."""
    product = product_in_company(call, call.arg("package_id"))
    return package_object(call, product) if product is not None else False


@method("packages", "getByPricingId")
def get_by_pricing_id(call: MethodCall) -> Any:
    """The package a pricing (price point) belongs to, or false."""
    price = call.session.get(Price, integer(call.arg("package_pricing_id"),
                                                 "package_pricing_id"))
    if price is None or price.owner_type != "product":
        return False
    product = product_in_company(call, price.owner_id)
    return package_object(call, product) if product is not None else False


@method("packages", "getList", status="partial", notes="filters: name, module_id, hidden")
def get_list(call: MethodCall) -> Any:
    """One page (20) of packages."""
    page = page_of(call)
    query = _filtered(call, scoped(call)).order_by(*_order(call.vars("order_by") or
                                                           {"id_code": "asc"}))
    rows = call.session.scalars(query.offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return package_objects(call, rows)


@method("packages", "getListCount")
def get_list_count(call: MethodCall) -> Any:
    """How many packages ``getList`` pages through."""
    query = _filtered(call, scoped(call))
    return int(call.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


@method("packages", "getAll", status="partial", notes="type addon finds nothing")
def get_all(call: MethodCall) -> Any:
    """Every package of the company (``type=addon`` finds none: groups are standard)."""
    if call.arg("type") == "addon":
        return []
    query = _filtered(call, scoped(call)).order_by(*_order(call.vars("order") or
                                                           {"name": "asc"}))
    return package_objects(call, call.session.scalars(query).all())


@method("packages", "getAllPackagesByGroup")
def get_all_by_group(call: MethodCall) -> Any:
    """The packages of one group."""
    group = group_in_company(call, call.arg("package_group_id"))
    if group is None:
        return []
    query = _filtered(call, scoped(call)).where(Product.group_id == group.id)
    rows = call.session.scalars(query.order_by(Product.sort_order, Product.id)).all()
    return package_objects(call, rows)


@method("packages", "getAllGroups", status="partial", notes="type addon finds nothing")
def get_all_groups(call: MethodCall) -> Any:
    """Package groups of the company, or those holding ``package_id``."""
    from .package_groups import scoped_groups

    if call.arg("type") == "addon":
        return []
    query = scoped_groups(call)
    if call.arg("package_id"):
        product = product_in_company(call, call.arg("package_id"))
        query = query.where(ProductGroup.id == (product.group_id if product else None))
    rows = call.session.scalars(query.order_by(ProductGroup.name, ProductGroup.id))
    return [group_object(call, g) for g in rows]


@method("packages", "getStatusTypes")
def get_status_types(call: MethodCall) -> Any:
    """The package statuses."""
    return PhpArray(STATUS_TYPES)


@method("packages", "getPricingPeriods")
def get_pricing_periods(call: MethodCall) -> Any:
    """``{day: Day, ...}`` (plural labels with ``plural=true``)."""
    return periods(call.arg("plural", False))


__all__ = ["package_object", "package_objects", "product_in_company", "scoped"]
