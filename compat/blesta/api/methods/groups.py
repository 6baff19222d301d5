"""Client groups (``client_groups``): add, edit, delete, get, getAll, getList, getListCount,
getDefault. Groups without a company belong to every company."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from bridge.models import ClientGroup
from bridge.services.client_records import delete_client_group
from bridge.services.clients import add_client_group, update_client_group

from ..registry import MethodCall, invalid, method
from ._people import (
    company_ref,
    count_rows,
    in_company,
    order_pairs,
    page_of,
    page_rows,
    req_int,
    scoped_group,
    text,
)

ORDER = {"name": ClientGroup.name, "id": ClientGroup.id, "description": ClientGroup.description,
         "color": ClientGroup.color}
BY_NAME = (ClientGroup.name.asc(), ClientGroup.id.asc())
WIRE = {"name": "name", "description": "description", "color": "color"}


def group_row(call: MethodCall, group: ClientGroup) -> dict[str, Any]:
    """A ``client_groups`` row."""
    return {"id": group.id,
            "company_id": group.company_id if group.company_id is not None else call.company_id,
            "name": group.name, "description": group.description, "color": group.color or None}


def _of_company(call: MethodCall) -> Select[Any]:
    company_id = req_int(call, "company_id")
    return select(ClientGroup).where(in_company(ClientGroup.company_id, company_id))


def _data(call: MethodCall, vars_: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {core: text(vars_[wire]) for wire, core in WIRE.items()
                            if vars_.get(wire) is not None}
    if "company_id" in vars_:
        data["company_id"] = company_ref(call, vars_["company_id"])
    return data


@method("client_groups", "add", notes="discount and exemptions are core-only group fields")
def add(call: MethodCall) -> Any:
    """Add a client group; returns the new id."""
    vars_ = call.vars()
    if not text(vars_.get("name")):
        raise invalid("name", "empty", "Please enter a name for this client group.")
    return str(add_client_group(call.session, _data(call, vars_)).id)


@method("client_groups", "edit")
def edit(call: MethodCall) -> Any:
    """Change a client group's name, description, color or company."""
    group = scoped_group(call, req_int(call, "client_group_id"), call.company_id)
    if group is None:
        raise invalid("client_group_id", "exists", "Invalid client group ID.")
    data = _data(call, call.vars())
    if "name" in data and not data["name"]:
        raise invalid("name", "empty", "Please enter a name for this client group.")
    if data:
        update_client_group(call.session, group.id, data)
    return None


@method("client_groups", "get")
def get(call: MethodCall) -> Any:
    """One client group of the caller's company, or false."""
    group = scoped_group(call, req_int(call, "client_group_id"), call.company_id)
    return group_row(call, group) if group is not None else False


@method("client_groups", "getAll")
def get_all(call: MethodCall) -> Any:
    """Every client group of ``company_id``, by name."""
    return [group_row(call, g) for g in call.session.scalars(_of_company(call).order_by(*BY_NAME))]


@method("client_groups", "getList")
def get_list(call: MethodCall) -> Any:
    """One page (20) of the company's client groups."""
    order = order_pairs(call.arg("order_by"), ORDER, BY_NAME)
    rows = page_rows(call, _of_company(call).order_by(*order), page_of(call))
    return [group_row(call, g) for g in rows]


@method("client_groups", "getListCount")
def get_list_count(call: MethodCall) -> Any:
    """How many client groups the company has."""
    return count_rows(call, _of_company(call))


@method("client_groups", "getDefault", status="partial",
        notes="the company's oldest group (the core marks no default group)")
def get_default(call: MethodCall) -> Any:
    """The company's default client group: its first one; false when it has none."""
    group = _default(call, req_int(call, "company_id"))
    return group_row(call, group) if group is not None else False


def _default(call: MethodCall, company_id: int) -> ClientGroup | None:
    return call.session.scalar(select(ClientGroup).where(
        in_company(ClientGroup.company_id, company_id)).order_by(ClientGroup.id).limit(1))


@method("client_groups", "delete", status="partial", notes=(
    "the default group (the company's oldest) cannot be deleted; the group's clients move to "
    "it, as in Blesta"))
def delete(call: MethodCall) -> Any:
    """Delete a client group, moving its clients to the company's default group."""
    group = scoped_group(call, req_int(call, "client_group_id"), call.company_id)
    if group is None:
        raise invalid("client_group_id", "exists", "Invalid client group ID.")
    default = _default(call, call.company_id)
    if default is not None and default.id == group.id:
        raise invalid("client_group_id", "is_default",
                      "The default client group cannot be deleted.")
    delete_client_group(call.session, group.id, move_to=default.id if default else None)
    return None
