"""Contacts (``contacts``): the extra contacts of a client.

The core keeps a client's primary contact on the client itself (``clients/get``,
``clients/edit``), so these methods see billing and other contacts only. A contact keeps one
phone number; ``numbers[]`` stores its first entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from bridge.countries import formatted_phone
from bridge.models import Client, Contact
from bridge.services.contacts import add_contact, delete_contact, update_contact

from ..format import stamp
from ..registry import MethodCall, invalid, method
from ..render import PhpArray
from ._people import (
    count_rows,
    in_company,
    listed,
    opt_int,
    order_pairs,
    page_of,
    page_rows,
    req_int,
    scoped_client,
    text,
)

CONTACT_TYPES = {"primary": "Primary", "billing": "Billing", "other": "Other"}
NUMBER_TYPES = {"phone": "Phone", "fax": "Fax"}
NUMBER_LOCATIONS = {"home": "Home", "work": "Work", "mobile": "Mobile"}
FIELDS = {"first_name": "first_name", "last_name": "last_name", "title": "title",
          "company": "company_name", "email": "email", "address1": "address1",
          "address2": "address2", "city": "city", "state": "state", "zip": "postcode",
          "country": "country"}
ORDER = {"last_name": Contact.last_name, "first_name": Contact.first_name, "id": Contact.id,
         "email": Contact.email, "company": Contact.company_name,
         "date_added": Contact.created_at, "contact_type": Contact.kind}
BY_NAME = (Contact.last_name.asc(), Contact.first_name.asc(), Contact.id.asc())
PRIMARY = "the primary contact is the client itself in hostbridge; change it with clients/edit"
NOTES = "billing and other contacts only (the primary contact is the client record); one " \
        "phone number per contact"


def contact_row(contact: Contact) -> dict[str, Any]:
    """A ``contacts`` row as Blesta prints it."""
    return {
        "id": contact.id, "client_id": contact.client_id, "user_id": contact.user_id,
        "contact_type": contact.kind, "contact_type_id": None,
        "first_name": contact.first_name, "last_name": contact.last_name,
        "title": contact.title or None, "company": contact.company_name or None,
        "email": contact.email, "address1": contact.address1 or None,
        "address2": contact.address2 or None, "city": contact.city or None,
        "state": contact.state or None, "zip": contact.postcode or None,
        "country": contact.country or None, "date_added": stamp(contact.created_at),
    }


def _numbers(contact: Contact) -> list[dict[str, Any]]:
    if not contact.phone:
        return []
    return [{"id": None, "contact_id": contact.id, "number": contact.phone,
             "type": "phone", "location": "home"}]


def scoped_contact(call: MethodCall, contact_id: int) -> Contact | None:
    """The contact ``contact_id`` when its client belongs to the caller's company."""
    return call.session.scalar(select(Contact).join(Client, Client.id == Contact.client_id)
                               .where(Contact.id == contact_id,
                                      in_company(Client.company_id, call.company_id)))


def _require_contact(call: MethodCall) -> Contact:
    contact = scoped_contact(call, req_int(call, "contact_id"))
    if contact is None:
        raise invalid("contact_id", "exists", "Invalid contact ID.")
    return contact


def _core_data(vars_: dict[str, Any], *, adding: bool) -> dict[str, Any]:
    data: dict[str, Any] = {core: text(vars_[wire]) for wire, core in FIELDS.items()
                            if vars_.get(wire) is not None}
    kind = text(vars_.get("contact_type")).lower()
    if kind == "primary":
        raise invalid("contact_type", "supported", PRIMARY)
    if kind:
        if kind not in CONTACT_TYPES:
            raise invalid("contact_type", "format", "Invalid contact type.")
        data["kind"] = kind
    elif adding:
        data["kind"] = "other"
    if opt_int(vars_.get("user_id"), "user_id") is not None:
        raise invalid("user_id", "supported", "hostbridge gives a contact a login from "
                      "vars[new_password], not from an existing user_id")
    if text(vars_.get("new_password")):
        if vars_.get("confirm_password") not in (None, vars_["new_password"]):
            raise invalid("confirm_password", "matches", "The passwords do not match.")
        data["password"] = str(vars_["new_password"])
    numbers = [n for n in listed(vars_.get("numbers")) if isinstance(n, dict)]
    if numbers:
        phones = [n for n in numbers if text(n.get("type")) in ("", "phone")] or numbers
        data["phone"] = text(phones[0].get("number"))
    elif "numbers" in vars_ and not adding:
        data["phone"] = ""
    return data


def _of_client(call: MethodCall) -> Select[Any] | None:
    client = scoped_client(call, req_int(call, "client_id"))
    if client is None:
        return None
    return select(Contact).where(Contact.client_id == client.id)


def _rows(contacts: Sequence[Contact]) -> list[dict[str, Any]]:
    return [contact_row(c) for c in contacts]


@method("contacts", "add", status="partial", notes=NOTES)
def add(call: MethodCall) -> Any:
    """Add a contact to ``vars[client_id]``; returns the new id."""
    vars_ = call.vars()
    client = scoped_client(call, opt_int(vars_.get("client_id"), "client_id"))
    if client is None:
        raise invalid("client_id", "exists", "Invalid client ID.")
    if not text(vars_.get("first_name")):
        raise invalid("first_name", "empty", "Please enter a first name.")
    if not text(vars_.get("last_name")):
        raise invalid("last_name", "empty", "Please enter a last name.")
    contact = add_contact(call.session, client.id, _core_data(vars_, adding=True))
    return str(contact.id)


@method("contacts", "edit", status="partial", notes=NOTES)
def edit(call: MethodCall) -> Any:
    """Change a contact; returns the updated contact."""
    contact = _require_contact(call)
    contact = update_contact(call.session, contact.id, _core_data(call.vars(), adding=False))
    return contact_row(contact)


@method("contacts", "delete")
def delete(call: MethodCall) -> Any:
    """Delete a contact (its login loses access to the client)."""
    contact = _require_contact(call)
    delete_contact(call.session, contact.id)
    return None


@method("contacts", "get", status="partial", notes=NOTES)
def get(call: MethodCall) -> Any:
    """One contact with its numbers, or false."""
    contact = scoped_contact(call, req_int(call, "contact_id"))
    if contact is None:
        return False
    return {**contact_row(contact), "numbers": _numbers(contact)}


@method("contacts", "getList", status="partial", notes=NOTES)
def get_list(call: MethodCall) -> Any:
    """One page (20) of a client's contacts, by last then first name unless ``order``."""
    query = _of_client(call)
    if query is None:
        return []
    order = order_pairs(call.arg("order"), ORDER, BY_NAME)
    return _rows(page_rows(call, query.order_by(*order), page_of(call)))


@method("contacts", "getListCount", status="partial", notes=NOTES)
def get_list_count(call: MethodCall) -> Any:
    """How many contacts ``getList`` pages through."""
    query = _of_client(call)
    return 0 if query is None else count_rows(call, query)


@method("contacts", "getAll", status="partial", notes=NOTES)
def get_all(call: MethodCall) -> Any:
    """Every contact of a client, optionally of one ``contact_type``."""
    query = _of_client(call)
    if query is None:
        return []
    kind = text(call.arg("contact_type")).lower()
    if kind:
        query = query.where(Contact.kind == kind)
    order = order_pairs(call.arg("order"), ORDER, BY_NAME)
    return _rows(list(call.session.scalars(query.order_by(*order))))


@method("contacts", "getByUserId")
def get_by_user_id(call: MethodCall) -> Any:
    """The contact of ``client_id`` that logs in as ``user_id``, or false."""
    query = _of_client(call)
    if query is None:
        return False
    contact = call.session.scalar(query.where(Contact.user_id == req_int(call, "user_id"))
                                  .order_by(Contact.id).limit(1))
    return contact_row(contact) if contact is not None else False


@method("contacts", "getContactTypes")
def get_contact_types(call: MethodCall) -> Any:
    """Contact type -> label."""
    return PhpArray(CONTACT_TYPES)


@method("contacts", "getTypes", status="partial", notes="custom contact types are not kept")
def get_types(call: MethodCall) -> Any:
    """Custom contact types: hostbridge has none."""
    return []


@method("contacts", "getNumberTypes")
def get_number_types(call: MethodCall) -> Any:
    """Number type -> label."""
    return PhpArray(NUMBER_TYPES)


@method("contacts", "getNumberLocations")
def get_number_locations(call: MethodCall) -> Any:
    """Number location -> label."""
    return PhpArray(NUMBER_LOCATIONS)


@method("contacts", "getNumbers", status="partial",
        notes="the contact's one phone number, as a home phone without a number id")
def get_numbers(call: MethodCall) -> Any:
    """The contact's numbers (filtered by ``type`` and ``location``)."""
    contact = scoped_contact(call, req_int(call, "contact_id"))
    if contact is None:
        return []
    kind, where = text(call.arg("type")), text(call.arg("location"))
    return [n for n in _numbers(contact)
            if (not kind or n["type"] == kind) and (not where or n["location"] == where)]


@method("contacts", "getPermissions")
def get_permissions(call: MethodCall) -> Any:
    """The areas the contact may reach, as ``{contact_id, area, client_id}`` rows."""
    contact = scoped_contact(call, req_int(call, "contact_id"))
    if contact is None:
        return []
    return [{"contact_id": contact.id, "area": area, "client_id": contact.client_id}
            for area in contact.permissions]


@method("contacts", "setPermissions")
def set_permissions(call: MethodCall) -> Any:
    """Replace the contact's areas with ``vars[n][area]``."""
    contact = _require_contact(call)
    areas = []
    for entry in listed(call.args.get("vars")):
        area = text(entry.get("area")) if isinstance(entry, dict) else text(entry)
        if area:
            areas.append(area)
    update_contact(call.session, contact.id, {"permissions": areas})
    return None


@method("contacts", "hasPermission")
def has_permission(call: MethodCall) -> Any:
    """Whether the contact may reach ``area``."""
    contact = scoped_contact(call, req_int(call, "contact_id"))
    return contact is not None and text(call.arg("area")) in contact.permissions


@method("contacts", "intlNumber")
def intl_number(call: MethodCall) -> Any:
    """``+NNN.NNNNNNNN``: the number with the country's calling code."""
    number = formatted_phone(text(call.arg("number")), text(call.arg("country")))
    delimiter = str(call.arg("code_delimiter", "."))
    if number.startswith("+") and "." in number and delimiter != ".":
        head, _, rest = number.partition(".")
        return f"{head}{delimiter}{rest}"
    return number


__all__ = ["contact_row", "scoped_contact"]
