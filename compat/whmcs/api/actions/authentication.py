"""Authentication group: ValidateLogin, CreateSsoToken and the OAuth credential actions."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import select

from bridge.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bridge.models import Client, Domain, Service, User, UserClient
from bridge.models.sso import OAuthCredential
from bridge.services.access import authenticate_user
from bridge.services.settings import get_setting
from bridge.services.sso import (
    add_oauth_credential,
    delete_oauth_credential,
    issue_login_token,
    issue_sso_token,
    update_oauth_credential,
)

from ..registry import ApiError, ApiRequest, action

SSO_PATH = "oauth/singlesignon.php"
# WHMCS single sign-on destinations; the ones naming a service or a domain need its id
DESTINATIONS = {
    "clientarea:homepage": None, "clientarea:profile": None, "clientarea:billing_info": None,
    "clientarea:emails": None, "clientarea:services": None, "clientarea:domains": None,
    "clientarea:invoices": None, "clientarea:quotes": None, "clientarea:tickets": None,
    "clientarea:submit_ticket": None, "clientarea:announcements": None,
    "clientarea:downloads": None, "clientarea:knowledgebase": None,
    "clientarea:network_status": None, "clientarea:shopping_cart": None,
    "clientarea:shopping_cart_addons": None, "clientarea:shopping_cart_domain_register": None,
    "clientarea:shopping_cart_domain_transfer": None, "clientarea:product_details": "service",
    "clientarea:upgrade": "service", "clientarea:domain_details": "domain",
    "clientarea:domain_dns": "domain", "clientarea:domain_email_forwarding": "domain",
    "clientarea:domain_nameservers": "domain", "clientarea:domain_contacts": "domain",
    "clientarea:domain_registrar_lock": "domain", "clientarea:domain_addons": "domain",
    "sso:custom_redirect": None,
}
OAUTH_NOTE = "credentials are stored (secret hashed); the OAuth server endpoints are not built"


@action("ValidateLogin")
def validate_login(req: ApiRequest) -> dict[str, Any]:
    """Check a user's email and password (imported legacy hashes verify and are rehashed)."""
    email, password = req.text("email"), req.text("password2")
    if not email or not password:
        raise ApiError("Email or Password Invalid")
    try:
        user = authenticate_user(req.session, email, password)
    except PermissionDenied as exc:
        raise ApiError("Email or Password Invalid") from exc
    two_factor = bool(user.two_factor)
    body: dict[str, Any] = {"userid": str(user.id)}
    if not two_factor:
        _, token = issue_login_token(req.session, user.id)
        body["passwordhash"] = token
    body["twoFactorEnabled"] = "true" if two_factor else "false"
    return body


def _base_url(req: ApiRequest) -> str:
    configured = get_setting(req.session, "system.url")
    if configured:
        return configured.rstrip("/") + "/"
    return request.host_url if has_request_context() else "/"


def _sso_target(req: ApiRequest, destination: str, client_id: int | None) -> int | None:
    kind = DESTINATIONS[destination]
    if kind is None:
        return None
    model: type[Service] | type[Domain] = Service if kind == "service" else Domain
    target_id = req.integer(f"{kind}_id")
    owner = req.session.scalar(select(model.client_id).where(model.id == (target_id or 0)))
    if owner is None or (client_id is not None and owner != client_id):
        raise ApiError(f"Invalid {kind}_id")
    return target_id


@action("CreateSsoToken", status="partial",
        notes="token and redirect_url are issued; the /oauth/singlesignon.php endpoint that "
              "redeems them belongs to the web client area (redeem_token(..., 'sso'))")
def create_sso_token(req: ApiRequest) -> dict[str, Any]:
    """A 60-second single-use sign-in link for a client, a user, or a user of a client."""
    client_id, user_id = req.integer("client_id"), req.integer("user_id")
    if client_id is None and user_id is None:
        raise ApiError("A valid client_id or user_id is required")
    if client_id is not None and req.session.get(Client, client_id) is None:
        raise ApiError("Invalid client_id")
    if user_id is not None and req.session.get(User, user_id) is None:
        raise ApiError("Invalid user_id")
    if client_id is not None and user_id is not None and req.session.scalar(
            select(UserClient.id).where(UserClient.client_id == client_id,
                                        UserClient.user_id == user_id)) is None:
        raise ApiError("Invalid user_id for client")
    destination = req.text("destination") or "clientarea:homepage"
    if destination not in DESTINATIONS:
        raise ApiError("Invalid destination")
    target_id = _sso_target(req, destination, client_id)
    try:
        _, token = issue_sso_token(req.session, user_id=user_id, client_id=client_id,
                                   destination=destination, target_id=target_id,
                                   redirect_path=req.text("sso_redirect_path"))
    except (Conflict, NotFound, ValidationFailed) as exc:
        raise ApiError(f"Token could not be provisioned: {exc.message}") from exc
    return {"access_token": token,
            "redirect_url": f"{_base_url(req)}{SSO_PATH}?access_token={token}"}


def _scopes(req: ApiRequest) -> list[str] | None:
    if not req.has("scope"):
        return None
    return [s for s in req.text("scope").replace(",", " ").split() if s]


def _redirects(req: ApiRequest) -> list[str] | None:
    if not req.has("redirectUri"):
        return None
    return [str(u).strip() for u in req.array("redirectUri") if str(u).strip()]


def _credential_id(req: ApiRequest) -> int:
    found = req.session.get(OAuthCredential, req.integer("credentialId") or 0)
    if found is None and req.text("clientApiIdentifier"):
        found = req.session.scalar(select(OAuthCredential).where(
            OAuthCredential.identifier == req.text("clientApiIdentifier")))
        if found is None:
            raise ApiError("Invalid Client Identifier provided.")
    if found is None:
        if not req.text("credentialId"):
            raise ApiError("A Credential ID or Client Identifier is required.")
        raise ApiError("Invalid Credential ID provided.")
    return found.id


def _oauth_error(exc: ValidationFailed | NotFound) -> ApiError:
    if isinstance(exc, NotFound):
        return ApiError("A valid Service ID is required.")
    return ApiError(exc.message)


@action("CreateOAuthCredential", status="partial", notes=OAUTH_NOTE)
def create_oauth_credential(req: ApiRequest) -> dict[str, Any]:
    """Create an OAuth client; its secret is shown this once."""
    grant = req.text("grantType")
    if not grant:
        raise ApiError("A valid grant type is required.")
    service_id = req.integer("serviceId")
    if service_id is not None:
        owner = req.session.scalar(select(Service.client_id).where(Service.id == service_id))
        if owner is None:
            raise ApiError("A valid Service ID is required.")
    try:
        cred, secret = add_oauth_credential(
            req.session, grant, _scopes(req) or [], name=req.text("name"),
            description=req.text("description"), service_id=service_id,
            logo_uri=req.text("logoUri"), redirect_uris=_redirects(req) or [])
    except (ValidationFailed, NotFound) as exc:
        raise _oauth_error(exc) from exc
    return {"credentialId": str(cred.id), "clientIdentifier": cred.identifier,
            "clientSecret": secret}


@action("UpdateOAuthCredential", status="partial", notes=OAUTH_NOTE)
def update_oauth_credential_action(req: ApiRequest) -> dict[str, Any]:
    """Change an OAuth client; ``resetSecret`` returns a new secret."""
    credential_id = _credential_id(req)
    texts = {core: req.text(wire) for wire, core in (
        ("name", "name"), ("description", "description"), ("grantType", "grant_type"),
        ("logoUri", "logo_uri")) if req.has(wire)}
    try:
        cred, secret = update_oauth_credential(
            req.session, credential_id, scopes=_scopes(req), redirect_uris=_redirects(req),
            service_id=req.integer("serviceId"), reset_secret=req.flag("resetSecret"), **texts)
    except (ValidationFailed, NotFound) as exc:
        raise _oauth_error(exc) from exc
    body: dict[str, Any] = {"credentialId": str(cred.id)}
    if secret is not None:
        body["newClientSecret"] = secret
    return body


@action("DeleteOAuthCredential", status="partial", notes=OAUTH_NOTE)
def delete_oauth_credential_action(req: ApiRequest) -> dict[str, Any]:
    """Delete an OAuth client."""
    found = req.session.get(OAuthCredential, req.integer("credentialId") or 0)
    if found is None:
        raise ApiError("Invalid Credential ID provided.")
    delete_oauth_credential(req.session, found.id)
    return {"credentialId": str(found.id)}


@action("ListOAuthCredentials", status="partial",
        notes=OAUTH_NOTE + "; clientSecret is empty because only its hash is kept")
def list_oauth_credentials(req: ApiRequest) -> dict[str, Any]:
    """OAuth clients, optionally of one grant type, sorted and limited."""
    query = select(OAuthCredential)
    if req.text("grantType"):
        query = query.where(OAuthCredential.grant_type == req.text("grantType"))
    column = {"credentialid": OAuthCredential.id, "name": OAuthCredential.name,
              "granttypes": OAuthCredential.grant_type,
              "createdat": OAuthCredential.created_at}.get(
        req.text("sortField").lower().replace("_", ""), OAuthCredential.id)
    query = query.order_by(column.desc() if req.text("sortOrder").upper() == "DESC"
                           else column.asc(), OAuthCredential.id)
    limit = req.integer("limit")
    if limit:
        query = query.limit(limit)
    clients = [{
        "credentialId": c.id, "name": c.name, "description": c.description,
        "grantTypes": c.grant_type, "scope": " ".join(c.scopes),
        "clientIdentifier": c.identifier, "clientSecret": "", "uuid": None,
        "serviceId": c.service_id or 0, "logoUri": c.logo_uri, "redirectUri": c.redirect_uris,
        "rsaKeyPairId": 0, "createdAt": _long_date(c.created_at),
        "updatedAt": _long_date(c.updated_at or c.created_at),
    } for c in req.session.scalars(query)]
    return {"clients": clients}


def _long_date(moment: Any) -> str:
    """WHMCS's ``18th November 2016 9:32:24am``."""
    day = moment.day
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    hour = moment.hour % 12 or 12
    return (f"{day}{suffix} {moment.strftime('%B %Y')} {hour}:{moment.strftime('%M:%S')}"
            f"{'am' if moment.hour < 12 else 'pm'}")
