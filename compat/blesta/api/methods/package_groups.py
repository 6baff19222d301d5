"""Package groups (``package_groups``) are core product groups.

Blesta's add-on groups (children of another group) have no core counterpart: every group is
``standard``, and asking for ``addon`` ones finds none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select

from bridge.models import Company, ProductGroup
from bridge.services.catalog import add_product_group, update_product_group
from compat.whmcs.api.params import as_bool, as_list

from ..args import optional_integer
from ..args import page as page_of
from ..registry import MethodCall, invalid, method
from ..render import PhpArray

PER_PAGE = 20
LANG = "en_us"


def group_object(call: MethodCall, group: ProductGroup) -> dict[str, Any]:
    """A package group with its (single-language) names and descriptions."""
    return {
        "id": group.id, "type": "standard", "company_id": group.company_id or call.company_id,
        "allow_upgrades": 1, "hidden": int(group.hidden), "name": group.name,
        "description": group.headline or None,
        "names": [{"package_group_id": group.id, "lang": LANG, "name": group.name}],
        "descriptions": [{"package_group_id": group.id, "lang": LANG,
                          "description": group.headline or None}],
        "parents": [],
    }


def scoped_groups(call: MethodCall) -> Any:
    """Product groups of the caller's company (and those of no company)."""
    return select(ProductGroup).where(or_(ProductGroup.company_id == call.company_id,
                                          ProductGroup.company_id.is_(None)))


def group_in_company(call: MethodCall, group_id: Any) -> ProductGroup | None:
    """The group ``group_id`` if it is visible to the caller."""
    key = optional_integer(group_id, "package_group_id")
    if key is None:
        return None
    group: ProductGroup | None = call.session.scalar(
        scoped_groups(call).where(ProductGroup.id == key))
    return group


def _filtered(call: MethodCall) -> Any:
    query = scoped_groups(call)
    if call.arg("type") == "addon":
        return query.where(ProductGroup.id.is_(None))
    filters = call.vars("filters")
    if filters.get("name"):
        query = query.where(ProductGroup.name.like(f"%{filters['name']}%"))
    return query


def _order(call: MethodCall) -> Any:
    order = call.vars("order_by")
    if str(order.get("name", "asc")).lower() == "desc":
        return ProductGroup.name.desc()
    return ProductGroup.name.asc()


@method("package_groups", "get")
def get(call: MethodCall) -> Any:
    """One package group, or false."""
    group = group_in_company(call, call.arg("package_group_id"))
    return group_object(call, group) if group is not None else False


@method("package_groups", "getAll")
def get_all(call: MethodCall) -> Any:
    """Every package group of the company, by name."""
    rows = call.session.scalars(_filtered(call).order_by(_order(call), ProductGroup.id))
    return [group_object(call, g) for g in rows]


@method("package_groups", "getList")
def get_list(call: MethodCall) -> Any:
    """One page (20) of package groups."""
    page = page_of(call)
    rows = call.session.scalars(_filtered(call).order_by(_order(call), ProductGroup.id)
                                .offset((page - 1) * PER_PAGE).limit(PER_PAGE))
    return [group_object(call, g) for g in rows]


def _count(call: MethodCall) -> int:
    query = _filtered(call)
    return int(call.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


@method("package_groups", "getListCount")
def get_list_count(call: MethodCall) -> Any:
    """How many groups ``getList`` pages through."""
    return _count(call)


@method("package_groups", "getTypeCount")
def get_type_count(call: MethodCall) -> Any:
    """How many groups of ``type`` there are (every group is standard)."""
    return _count(call)


@method("package_groups", "getTypes")
def get_types(call: MethodCall) -> Any:
    """The group types."""
    return PhpArray({"standard": "Standard", "addon": "Add-on"})


def _first_text(entries: Any, key: str) -> str | None:
    rows = [e for e in as_list(entries) if isinstance(e, Mapping)]
    preferred = [e for e in rows if e.get("lang") == LANG] or rows
    return str(preferred[0].get(key) or "") if preferred else None


def _group_data(call: MethodCall, vars_: dict[str, Any]) -> dict[str, Any]:
    if vars_.get("type") == "addon":
        raise invalid("type", "format", "Add-on package groups are not supported by hostbridge.")
    data: dict[str, Any] = {}
    name = _first_text(vars_.get("names"), "name")
    if name is None and vars_.get("name") is not None:
        name = str(vars_["name"])
    if name is not None:
        data["name"] = name
    description = _first_text(vars_.get("descriptions"), "description")
    if description is not None:
        data["headline"] = description
    if "hidden" in vars_:
        data["hidden"] = as_bool(vars_["hidden"])
    return data


@method("package_groups", "add", status="partial",
        notes="standard groups only; one language; allow_upgrades is not stored")
def add(call: MethodCall) -> Any:
    """Create a package group; returns its id."""
    data = _group_data(call, call.vars())
    if not data.get("name", "").strip():
        raise invalid("names", "empty", "Please enter a name for this package group.")
    if call.session.get(Company, call.company_id) is not None:
        data["company_id"] = call.company_id
    return str(add_product_group(call.session, data).id)


@method("package_groups", "edit", status="partial",
        notes="standard groups only; one language; allow_upgrades is not stored")
def edit(call: MethodCall) -> Any:
    """Change a package group's name, description or visibility."""
    group = group_in_company(call, call.arg("package_group_id"))
    if group is None:
        raise invalid("package_group_id", "exists", "Invalid package group ID.")
    update_product_group(call.session, group.id, _group_data(call, call.vars()))
    return None
