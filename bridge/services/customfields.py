"""Custom fields: definitions (client, product, addon, support) and their values per entity.

Which entity a value belongs to follows WHMCS: a ``client`` field's values are keyed by client
id, a ``product`` field's by service id, a ``support`` field's by ticket id, an ``addon``
field's by service addon id. Values of ``encrypted`` fields are stored through the install's
SecretBox and decrypted on read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.errors import PermissionDenied, ValidationFailed
from bridge.models import Addon, CustomField, CustomFieldValue, Product, TicketDepartment
from bridge.schemas.clients import CustomFieldSchema

from .common import log_activity, secret_box, validate

_OWNER_MODELS: dict[str, type[Any]] = {
    "product": Product, "addon": Addon, "support": TicketDepartment,
}
_PCRE_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE, "u": 0}
_DELIMITED = re.compile(r"^([/#~%@!|])(.*)\1([imsxuU]*)$", re.DOTALL)


def compile_field_regex(pattern: str) -> re.Pattern[str]:
    """Compile a validation pattern; PHP-style ``/.../i`` delimiters (WHMCS regexpr) allowed.

    Raises ValueError for a pattern Python cannot compile.
    """
    flags = 0
    match = _DELIMITED.match(pattern.strip())
    if match:
        pattern = match.group(2)
        for letter in match.group(3):
            flags |= _PCRE_FLAGS.get(letter, 0)
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc


def _option_keys(options: list[str]) -> set[str]:
    # "key|Label" options accept the key as well as the whole text
    return set(options) | {o.split("|", 1)[0] for o in options}


def add_custom_field(session: Session, data: Mapping[str, Any]) -> CustomField:
    """Define a custom field.

    ``owner_id`` names the product, addon or support department (client fields have none).
    A dropdown needs ``options``; ``regex`` must compile. Raises ValidationFailed otherwise.
    """
    values = validate(CustomFieldSchema, data)
    owner_type, owner_id = values["owner_type"], values.get("owner_id")
    model = _OWNER_MODELS.get(owner_type)
    if model is None:
        values["owner_id"] = None
    elif owner_id is None or session.get(model, owner_id) is None:
        raise ValidationFailed.single("owner_id", "invalid",
                                      f"a {owner_type} field needs an existing {owner_type} id "
                                      f"(got {owner_id})")
    options = [o.strip() for o in values.get("options", []) if o.strip()]
    values["options"] = options
    if values.get("field_type") == "dropdown" and not options:
        raise ValidationFailed.single("options", "required", "a dropdown field needs options")
    if values.get("regex"):
        try:
            compile_field_regex(values["regex"])
        except ValueError as exc:
            raise ValidationFailed.single("regex", "invalid", str(exc)) from exc
    field = CustomField(**values)
    session.add(field)
    session.flush()
    log_activity(session, "custom_field.added", f"Custom field {field.name} added",
                 subject=("custom_field", field.id))
    emit(session, "custom_field_added", custom_field_id=field.id)
    return field


def _fields(session: Session, owner_type: str, owner_id: int | None) -> list[CustomField]:
    query = select(CustomField).where(CustomField.owner_type == owner_type)
    query = query.where(CustomField.owner_id.is_(None) if owner_id is None
                        else CustomField.owner_id == owner_id)
    return list(session.scalars(query.order_by(CustomField.sort_order, CustomField.id)))


def _resolve(fields: list[CustomField], key: int | str) -> CustomField | None:
    by_id = {f.id: f for f in fields}
    if isinstance(key, int):
        return by_id.get(key)
    named = next((f for f in fields if f.name == key), None)
    if named is None and key.strip().isdigit():
        return by_id.get(int(key))
    return named


def _problem(field: CustomField, value: str) -> tuple[str, str] | None:
    if field.required and not value.strip():
        return "required", f"{field.name} is required"
    if not value:
        return None
    if field.field_type == "dropdown" and field.options and value not in _option_keys(
            field.options):
        return "one_of", f"{field.name} must be one of: {', '.join(field.options)}"
    if field.regex:
        try:
            pattern = compile_field_regex(field.regex)
        except ValueError:
            # an imported PCRE-only pattern: refusing every value would lock clients out
            return None
        if not pattern.search(value):
            return "regex", f"{field.name} has an invalid format"
    return None


def set_custom_field_values(
    session: Session,
    owner_type: str,
    entity_id: int,
    values: Mapping[int | str, str],
    *,
    owner_id: int | None = None,
    admin: bool = False,
    require_all: bool = False,
) -> list[CustomFieldValue]:
    """Store values of the ``owner_type`` fields (of ``owner_id``) for one entity.

    Keys are field ids or names. Each value is checked (required, dropdown options, regex);
    with ``require_all`` (on creation) every required field must be given, staff-only ones
    excepted for non-staff. Admin-only fields may only be set with ``admin=True``
    (PermissionDenied otherwise). All problems are reported at once as ValidationFailed
    (``customfields.<id>``). Returns the stored rows (encrypted fields hold ciphertext).
    """
    fields = _fields(session, owner_type, owner_id)
    chosen: dict[int, tuple[CustomField, str]] = {}
    errors: dict[str, dict[str, str]] = {}
    for key, raw in values.items():
        field = _resolve(fields, key)
        if field is None:
            errors[f"customfields.{key}"] = {"unknown": f"no {owner_type} custom field {key!r}"}
            continue
        if field.admin_only and not admin:
            raise PermissionDenied(f"custom field {field.name} can only be set by staff")
        value = "" if raw is None else str(raw)
        problem = _problem(field, value)
        if problem:
            errors[f"customfields.{field.id}"] = {problem[0]: problem[1]}
        chosen[field.id] = (field, value)
    if require_all:
        for field in fields:
            if field.required and field.id not in chosen and (admin or not field.admin_only):
                errors[f"customfields.{field.id}"] = {"required": f"{field.name} is required"}
    if errors:
        raise ValidationFailed(errors)
    box = secret_box(session)
    rows: list[CustomFieldValue] = []
    for field, value in chosen.values():
        row = session.scalar(select(CustomFieldValue).where(
            CustomFieldValue.field_id == field.id, CustomFieldValue.entity_id == entity_id))
        if row is None:
            row = CustomFieldValue(field_id=field.id, entity_id=entity_id)
            session.add(row)
        row.value = box.encrypt(value) if field.encrypted else value
        rows.append(row)
    session.flush()
    if rows:
        log_activity(session, "custom_fields.updated",
                     f"Custom fields of {owner_type} entity {entity_id} set",
                     client_id=entity_id if owner_type == "client" else None,
                     subject=(owner_type, entity_id),
                     data={"fields": [f.name for f, _ in chosen.values()]})
        emit(session, "custom_fields_updated", owner_type=owner_type, entity_id=entity_id,
             field_ids=list(chosen))
    return rows


def get_custom_field_values(session: Session, owner_type: str, entity_id: int) -> dict[int, str]:
    """Field id -> value (decrypted) of every ``owner_type`` field set for ``entity_id``."""
    box = secret_box(session)
    rows = session.execute(
        select(CustomField, CustomFieldValue)
        .join(CustomFieldValue, CustomFieldValue.field_id == CustomField.id)
        .where(CustomField.owner_type == owner_type, CustomFieldValue.entity_id == entity_id)
        .order_by(CustomField.sort_order, CustomField.id))
    return {field.id: box.decrypt(row.value) if field.encrypted else row.value
            for field, row in rows}
