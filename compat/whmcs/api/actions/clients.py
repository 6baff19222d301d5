"""Client group: clients and contacts (AddClient, GetClients, GetClientsDetails, ...)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from bridge.errors import Conflict, ValidationFailed
from bridge.models import Client, Currency
from bridge.services.clients import add_client

from ..format import CLIENT_STATUS, reverse, ymd
from ..registry import ApiError, ApiRequest, action, listing

STATUS_IN = reverse(CLIENT_STATUS)
# AddClient's documented messages for missing profile fields (the address one has WHMCS's
# double space)
ADD_CLIENT_REQUIRED = (
    ("firstname", "You did not enter your first name"),
    ("lastname", "You did not enter your last name"),
    ("email", "You did not enter your email address"),
    ("address1", "You did not enter your  address line 1"),
    ("city", "You did not enter your city"),
    ("state", "You did not enter your state"),
    ("postcode", "You did not enter your postcode"),
    ("country", "Valid country required"),
    ("phonenumber", "You did not enter your phone number"),
)


def currency_code(req: ApiRequest, currency_id: int | None) -> str | None:
    """WHMCS currency id -> ISO code (None when not given); ApiError when unknown."""
    if currency_id is None:
        return None
    currency = req.session.get(Currency, currency_id)
    if currency is None:
        raise ApiError("Invalid Currency ID")
    return currency.code


def currency_id(req: ApiRequest, code: str) -> int:
    """ISO code -> WHMCS currency id."""
    found = req.session.scalar(select(Currency.id).where(Currency.code == code))
    return int(found or 0)


@action("AddClient")
def add_client_action(req: ApiRequest) -> dict[str, Any]:
    """Create a client (and its owner user when ``password2`` is given)."""
    if not req.flag("skipvalidation"):
        for field, message in ADD_CLIENT_REQUIRED:
            if not req.text(field):
                raise ApiError(message)
    data: dict[str, Any] = {
        "first_name": req.text("firstname"), "last_name": req.text("lastname"),
        "company_name": req.text("companyname"), "email": req.text("email"),
        "address1": req.text("address1"), "address2": req.text("address2"),
        "city": req.text("city"), "state": req.text("state"), "postcode": req.text("postcode"),
        "country": req.text("country"), "phone": req.text("phonenumber"),
        "tax_id": req.text("tax_id"), "language": req.text("language"),
        "notes": req.text("notes"), "marketing_opt_in": req.flag("marketingoptin"),
    }
    code = currency_code(req, req.integer("currency"))
    if code:
        data["currency"] = code
    if req.integer("groupid"):
        data["group_id"] = req.integer("groupid")
    if req.text("password2"):
        data["password"] = req.text("password2")
    try:
        client = add_client(req.session, data)
    except Conflict as exc:
        raise ApiError("A user already exists with that email address"
                       if "user" in exc.message.lower()
                       else "The email address entered is not available for use.") from exc
    except ValidationFailed as exc:
        if "email" in exc.errors:
            raise ApiError("The email address you entered was not valid") from exc
        raise ApiError(exc.message) from exc
    return {"clientid": str(client.id)}


@action("GetClients")
def get_clients(req: ApiRequest) -> dict[str, Any]:
    """Page through clients, optionally filtered by status and a prefix search."""
    start, num = req.page()
    query = select(Client)
    status = req.text("status")
    if status:
        query = query.where(Client.status == STATUS_IN.get(status.lower(), status.lower()))
    search = req.text("search")
    if search:
        like = f"{search}%"
        full = Client.first_name + " " + Client.last_name
        query = query.where(or_(Client.email.like(like), Client.first_name.like(like),
                                Client.last_name.like(like), Client.company_name.like(like),
                                full.like(like)))
    total = req.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = {"firstname": Client.first_name, "lastname": Client.last_name,
             "companyname": Client.company_name, "email": Client.email,
             "groupid": Client.group_id, "datecreated": Client.created_at,
             "status": Client.status}.get(req.text("orderby").lower(), Client.id)
    direction = order.desc() if req.text("sorting").upper() == "DESC" else order.asc()
    rows = req.session.scalars(query.order_by(direction, Client.id).offset(start).limit(num))
    clients = [{"id": c.id, "firstname": c.first_name, "lastname": c.last_name,
                "companyname": c.company_name, "email": c.email,
                "datecreated": ymd(c.created_at.date() if c.created_at else None),
                "groupid": c.group_id or 0, "status": CLIENT_STATUS.get(c.status, c.status)}
               for c in rows]
    return listing(int(total), start, clients, "clients", "client")
