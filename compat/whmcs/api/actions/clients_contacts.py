"""Client group: contacts (AddContact, UpdateContact, DeleteContact, GetContacts).

WHMCS 8 dropped sub-accounts: login parameters sent to AddContact/UpdateContact are ignored
with WHMCS's warning, logins are users (Users group).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bridge.errors import Conflict, ValidationFailed
from bridge.models import Contact
from bridge.services.contacts import add_contact, delete_contact, update_contact

from ..format import ZERO_DATETIME, ymd_his
from ..registry import ApiError, ApiRequest, action, listing
from .clients import EMAIL_TYPES, client_or_error, email_preferences_in

# WHMCS contact parameter -> core contact field
CONTACT_FIELDS = (
    ("firstname", "first_name"), ("lastname", "last_name"), ("companyname", "company_name"),
    ("email", "email"), ("address1", "address1"), ("address2", "address2"), ("city", "city"),
    ("state", "state"), ("postcode", "postcode"), ("country", "country"),
    ("phonenumber", "phone"), ("tax_id", "tax_id"),
)
ICANN_CONTACT = (
    "You must have at least one email address enabled to receive domain related notifications "
    "as required by ICANN. To disable domain notifications, please enable domain "
    "notifications for the primary account holder or another contact")


def _values(req: ApiRequest) -> dict[str, Any]:
    return {core: req.text(wire) for wire, core in CONTACT_FIELDS if req.has(wire)}


def _save(req: ApiRequest, call: Any, warning: str) -> dict[str, Any]:
    """Run the core call mapping its errors to WHMCS's messages; add the sub-account warning."""
    try:
        contact = call()
    except Conflict as exc:
        raise ApiError("Duplicate Email Address") from exc
    except ValidationFailed as exc:
        if "email" in exc.errors:
            raise ApiError("The email address entered is not valid") from exc
        raise ApiError(exc.message) from exc
    body: dict[str, Any] = {"contactid": str(contact.id)}
    if req.text("password2") or req.has("permissions") or req.flag("subaccount"):
        body["warning"] = warning
    return body


@action("AddContact")
def add_contact_action(req: ApiRequest) -> dict[str, Any]:
    """Add a contact (name, address, which mails it receives) to a client."""
    client = client_or_error(req, req.integer("clientid"))
    data = _values(req)
    prefs = email_preferences_in(req)
    if prefs is not None:
        data["email_preferences"] = [k for k in EMAIL_TYPES if prefs.get(k)]
    return _save(req, lambda: add_contact(req.session, client.id, data),
                 "Sub Accounts are no longer supported. Please use AddUser and "
                 "CreateClientInvite")


@action("UpdateContact")
def update_contact_action(req: ApiRequest) -> dict[str, Any]:
    """Change a contact; email preferences not sent keep their value."""
    contact = req.session.get(Contact, req.integer("contactid") or 0)
    if contact is None:
        raise ApiError("Contact ID Not Found")
    data = _values(req)
    prefs = email_preferences_in(req)
    if prefs is not None:
        current = set(contact.email_preferences)
        chosen = [k for k in EMAIL_TYPES if prefs.get(k, k in current)]
        if "domain" in current and "domain" not in chosen:
            others = req.session.scalars(select(Contact.email_preferences).where(
                Contact.client_id == contact.client_id, Contact.id != contact.id))
            owner_gets = (contact.client.email_preferences or {}).get("domain", True)
            if not owner_gets and not any("domain" in p for p in others):
                raise ApiError(ICANN_CONTACT)
        data["email_preferences"] = chosen
    return _save(req, lambda: update_contact(req.session, contact.id, data),
                 "Sub Accounts are no longer supported. Please use UpdateUser")


@action("DeleteContact")
def delete_contact_action(req: ApiRequest) -> dict[str, Any]:
    """Delete a contact."""
    contact_id = req.integer("contactid") or 0
    if req.session.get(Contact, contact_id) is None:
        raise ApiError("Contact ID Not Found")
    delete_contact(req.session, contact_id)
    return {"contactid": str(contact_id)}


def contact_row(contact: Contact) -> dict[str, Any]:
    """One ``contacts.contact`` entry."""
    prefs = set(contact.email_preferences)
    row: dict[str, Any] = {
        "id": contact.id, "userid": contact.client_id, "firstname": contact.first_name,
        "lastname": contact.last_name, "companyname": contact.company_name,
        "email": contact.email, "address1": contact.address1, "address2": contact.address2,
        "city": contact.city, "state": contact.state, "postcode": contact.postcode,
        "country": contact.country, "phonenumber": contact.phone, "tax_id": contact.tax_id,
    }
    row.update({f"{kind}emails": kind in prefs for kind in
                ("domain", "general", "invoice", "product", "support", "affiliate")})
    row["created_at"] = ymd_his(contact.created_at)
    row["updated_at"] = ZERO_DATETIME
    return row


@action("GetContacts")
def get_contacts(req: ApiRequest) -> dict[str, Any]:
    """Page through contacts matching every filter given exactly."""
    start, num = req.page()
    query = select(Contact)
    if req.integer("userid") is not None:
        query = query.where(Contact.client_id == req.integer("userid"))
    for wire, core in CONTACT_FIELDS:
        if wire != "tax_id" and req.text(wire):
            query = query.where(getattr(Contact, core) == req.text(wire))
    total = req.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = req.session.scalars(query.order_by(Contact.id).offset(start).limit(num))
    return listing(int(total), start, [contact_row(c) for c in rows], "contacts", "contact")
