"""Custom field definitions and values: validation, staff-only fields, encryption."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bridge.errors import PermissionDenied, ValidationFailed
from bridge.models import CustomFieldValue
from bridge.services import customfields


@pytest.fixture
def client(factories):
    return factories.client()


def _field(db, **kw):
    data = {"owner_type": "client", "name": "Field"}
    data.update(kw)
    return customfields.add_custom_field(db, data)


def test_definition_validation(db, factories):
    with pytest.raises(ValidationFailed) as no_options:
        _field(db, field_type="dropdown")
    assert "options" in no_options.value.errors
    with pytest.raises(ValidationFailed) as bad_regex:
        _field(db, regex="([a-z")
    assert "regex" in bad_regex.value.errors
    with pytest.raises(ValidationFailed) as no_product:
        _field(db, owner_type="product", owner_id=999)
    assert "owner_id" in no_product.value.errors
    product = factories.product()
    field = _field(db, owner_type="product", owner_id=product.id, name="Hostname")
    assert field.owner_id == product.id


def test_values_by_id_and_name_and_upsert(db, client):
    vat = _field(db, name="VAT number")
    source = _field(db, name="How did you find us")
    customfields.set_custom_field_values(db, "client", client.id,
                                         {vat.id: "DE123", "How did you find us": "Search"})
    assert customfields.get_custom_field_values(db, "client", client.id) == {
        vat.id: "DE123", source.id: "Search"}
    customfields.set_custom_field_values(db, "client", client.id, {str(vat.id): "DE999"})
    assert customfields.get_custom_field_values(db, "client", client.id)[vat.id] == "DE999"
    rows = db.scalar(select(func.count(CustomFieldValue.id))
                     .where(CustomFieldValue.entity_id == client.id))
    assert rows == 2


def test_regex_with_php_delimiters(db, client):
    field = _field(db, name="Customer number", regex="/^c[0-9]+$/i")
    customfields.set_custom_field_values(db, "client", client.id, {field.id: "C123"})
    with pytest.raises(ValidationFailed) as info:
        customfields.set_custom_field_values(db, "client", client.id, {field.id: "123"})
    assert "regex" in info.value.errors[f"customfields.{field.id}"]


def test_dropdown_accepts_only_listed_options(db, client):
    field = _field(db, name="Size", field_type="dropdown", options=["small", "l|Large"])
    customfields.set_custom_field_values(db, "client", client.id, {field.id: "small"})
    customfields.set_custom_field_values(db, "client", client.id, {field.id: "l"})
    with pytest.raises(ValidationFailed) as info:
        customfields.set_custom_field_values(db, "client", client.id, {field.id: "huge"})
    assert "one_of" in info.value.errors[f"customfields.{field.id}"]


def test_required_fields_and_all_errors_at_once(db, client):
    required = _field(db, name="Phone 2", required=True)
    pattern = _field(db, name="Code", regex="^[A-Z]{3}$")
    with pytest.raises(ValidationFailed) as info:
        customfields.set_custom_field_values(db, "client", client.id,
                                             {required.id: " ", pattern.id: "abc"})
    assert set(info.value.errors) == {f"customfields.{required.id}",
                                      f"customfields.{pattern.id}"}
    # missing required fields only fail when everything is required (creation)
    customfields.set_custom_field_values(db, "client", client.id, {pattern.id: "ABC"})
    with pytest.raises(ValidationFailed) as missing:
        customfields.set_custom_field_values(db, "client", client.id, {pattern.id: "ABC"},
                                             require_all=True)
    assert "required" in missing.value.errors[f"customfields.{required.id}"]


def test_admin_only_fields(db, client):
    internal = _field(db, name="Risk score", admin_only=True, required=True)
    with pytest.raises(PermissionDenied):
        customfields.set_custom_field_values(db, "client", client.id, {internal.id: "low"})
    # a client signing up is not asked for a staff-only required field
    customfields.set_custom_field_values(db, "client", client.id, {}, require_all=True)
    customfields.set_custom_field_values(db, "client", client.id, {internal.id: "low"},
                                         admin=True)
    assert customfields.get_custom_field_values(db, "client", client.id) == {internal.id: "low"}


def test_unknown_field_key(db, client):
    _field(db, name="Known")
    with pytest.raises(ValidationFailed) as info:
        customfields.set_custom_field_values(db, "client", client.id, {"Unknown": "x"})
    assert "customfields.Unknown" in info.value.errors


def test_encrypted_values_are_stored_encrypted(db, client):
    secret = _field(db, name="Panel PIN", encrypted=True)
    rows = customfields.set_custom_field_values(db, "client", client.id, {secret.id: "4711"})
    assert rows[0].value != "4711" and rows[0].value.startswith("v1:")
    assert customfields.get_custom_field_values(db, "client", client.id) == {secret.id: "4711"}


def test_product_fields_are_scoped_to_their_product(db, factories):
    product = factories.product()
    other = factories.product()
    field = _field(db, owner_type="product", owner_id=product.id, name="Hostname")
    service = factories.service(product=product)
    customfields.set_custom_field_values(db, "product", service.id, {"Hostname": "srv1"},
                                         owner_id=product.id)
    assert customfields.get_custom_field_values(db, "product", service.id) == {field.id: "srv1"}
    with pytest.raises(ValidationFailed):
        customfields.set_custom_field_values(db, "product", service.id, {"Hostname": "x"},
                                             owner_id=other.id)
