"""Client custom fields (``clients/getCustomFields``, ``getCustomField``,
``getCustomFieldValues``, ``setCustomField``, ``getCustomFieldTypes``, ``addCustomField``).

Core client fields are install-wide (no client group); Blesta's ``show_client`` is the
inverse of the core's ``admin_only``. Dropdown options ``key|Label`` print as
``{key: Label}``, Blesta's select ``values``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from bridge.models import CustomField
from bridge.services.customfields import (
    add_custom_field,
    get_custom_field_values,
    set_custom_field_values,
)

from ..registry import MethodCall, invalid, method
from ..render import PhpArray
from ._people import flag, listed, opt_int, req_int, require_client, scoped_client, text, tinyint

TYPES = {"text": "Text Box", "checkbox": "Checkbox", "select": "Drop-down", "textarea": "Text Area"}
TO_BLESTA = {"text": "text", "link": "text", "password": "text", "dropdown": "select",
             "tickbox": "checkbox", "textarea": "textarea"}
TO_CORE = {"text": "text", "checkbox": "tickbox", "select": "dropdown", "textarea": "textarea"}
NOTES = "client fields are install-wide (client_group_id is not kept); read_only, default, " \
        "link and is_lang are not kept"


def _values(field: CustomField) -> dict[str, str] | None:
    if not field.options:
        return None
    pairs = (option.split("|", 1) for option in field.options)
    return PhpArray((pair[0], pair[-1]) for pair in pairs)


def field_object(field: CustomField) -> dict[str, Any]:
    """A ``client_fields`` row."""
    return {
        "id": field.id, "client_group_id": None, "name": field.name, "is_lang": 0,
        "type": TO_BLESTA.get(field.field_type, "text"), "values": _values(field),
        "regex": field.regex or None, "show_client": tinyint(not field.admin_only),
        "encrypted": tinyint(field.encrypted), "read_only": 0, "default": None, "link": None,
    }


def _client_fields(call: MethodCall, ids: Sequence[int] | None = None) -> list[CustomField]:
    query = select(CustomField).where(CustomField.owner_type == "client")
    if ids is not None:
        query = query.where(CustomField.id.in_(ids))
    return list(call.session.scalars(query.order_by(CustomField.sort_order, CustomField.id)))


@method("clients", "getCustomFields", status="partial", notes=NOTES)
def get_custom_fields(call: MethodCall) -> Any:
    """Every client custom field (``options[show_client]``, ``options[read_only]`` filter)."""
    fields = _client_fields(call)
    options = call.vars("options")
    if text(options.get("show_client")) in ("0", "1"):
        shown = text(options["show_client"]) == "1"
        fields = [f for f in fields if (not f.admin_only) == shown]
    if text(options.get("read_only")) == "1":
        fields = []  # the core has no read-only client fields
    return [field_object(f) for f in fields]


@method("clients", "getCustomField", status="partial", notes=NOTES)
def get_custom_field(call: MethodCall) -> Any:
    """One client custom field, or false."""
    fields = _client_fields(call, [req_int(call, "field_id")])
    return field_object(fields[0]) if fields else False


@method("clients", "getCustomFieldValues", status="partial", notes=NOTES)
def get_custom_field_values_(call: MethodCall) -> Any:
    """The client's custom field values, each with its field's columns."""
    client = scoped_client(call, req_int(call, "client_id"))
    if client is None:
        return []
    values = get_custom_field_values(call.session, "client", client.id)
    out = []
    for field in _client_fields(call, list(values)):
        body = field_object(field)
        body.update({"client_id": client.id, "value": values[field.id]})
        out.append(body)
    return out


@method("clients", "setCustomField")
def set_custom_field(call: MethodCall) -> Any:
    """Store one custom field value of a client (checked against the field's rules)."""
    field_id = req_int(call, "field_id")
    client = require_client(call)
    if not _client_fields(call, [field_id]):
        raise invalid("client_field_id", "exists", "Invalid custom field ID.")
    set_custom_field_values(call.session, "client", client.id,
                            {field_id: text(call.arg("value"))}, admin=True)
    return None


@method("clients", "getCustomFieldTypes")
def get_custom_field_types(call: MethodCall) -> Any:
    """Custom field type -> label."""
    return PhpArray(TYPES)


def _options(values: Any) -> list[str]:
    if isinstance(values, dict) and not all(str(k).isdigit() for k in values):
        return [f"{key}|{label}" if str(key) != str(label) else str(key)
                for key, label in values.items()]
    return [text(v) for v in listed(values) if text(v)]


@method("clients", "addCustomField", status="partial", notes=NOTES)
def add_custom_field_(call: MethodCall) -> Any:
    """Define a client custom field; returns its id."""
    vars_ = call.vars()
    kind = text(vars_.get("type")) or "text"
    if kind not in TO_CORE:
        raise invalid("type", "format", "Invalid field type.")
    if flag(vars_.get("read_only"), False):
        raise invalid("read_only", "supported", "hostbridge has no read-only client fields.")
    opt_int(vars_.get("client_group_id"), "client_group_id")  # accepted, fields are global
    data: dict[str, Any] = {
        "owner_type": "client", "name": text(vars_.get("name")), "field_type": TO_CORE[kind],
        "options": _options(vars_.get("values")), "regex": text(vars_.get("regex")),
        "admin_only": not flag(vars_.get("show_client"), False),
        "encrypted": flag(vars_.get("encrypted"), False),
    }
    if not data["name"]:
        raise invalid("name", "empty", "Please enter a name for this custom field.")
    return str(add_custom_field(call.session, data).id)
