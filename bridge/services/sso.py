"""Single-use access tokens (single sign-on, login session, password reset) and OAuth client
credentials.

A token is 40 random hex characters handed out once; only its SHA-256 digest is stored, so a
database copy cannot be replayed. Redeeming a token marks it used; an expired or used token is
refused. OAuth client secrets are stored hashed the same way as API secrets.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import utcnow
from bridge.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bridge.models import Client, Domain, Service, User, UserClient
from bridge.models.sso import AccessToken, OAuthCredential
from bridge.security import generate_api_secret, hash_api_secret

from .access import set_user_password
from .common import get_or_404, log_activity

SSO_LIFETIME = timedelta(seconds=60)
LOGIN_LIFETIME = timedelta(minutes=10)
RESET_LIFETIME = timedelta(hours=2)
INVITE_LIFETIME = timedelta(days=7)
GRANT_TYPES = ("authorization_code", "single_sign_on")
OAUTH_SCOPES = (
    "clientarea:sso", "clientarea:profile", "clientarea:billing_info", "clientarea:emails",
    "clientarea:announcements", "clientarea:downloads", "clientarea:knowledgebase",
    "clientarea:network_status", "clientarea:product_details", "clientarea:invoices",
    "clientarea:tickets", "clientarea:submit_ticket", "clientarea:shopping_cart_addons",
    "clientarea:shopping_cart_domain_register", "clientarea:shopping_cart_domain_transfer",
    "openid", "email", "profile",
)


def token_digest(token: str) -> str:
    """The stored form of a token: hex SHA-256 (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(
    session: Session, purpose: str, lifetime: timedelta, **fields: object
) -> tuple[AccessToken, str]:
    """Store a fresh token for ``purpose`` valid for ``lifetime``; return it with the plain
    value (the only copy). ``fields`` are AccessToken columns (user_id, client_id, ...)."""
    plain = secrets.token_hex(20)
    now = utcnow()
    row = AccessToken(token_hash=token_digest(plain), purpose=purpose, created_at=now,
                      expires_at=now + lifetime, **fields)
    session.add(row)
    session.flush()
    return row, plain


def _expired(moment: datetime) -> bool:
    return moment <= utcnow()


def redeem_token(session: Session, token: str, purpose: str) -> AccessToken:
    """Use a token once: return its row marked used.

    Raises PermissionDenied (one message for unknown, used, expired and wrong-purpose tokens,
    so a caller learns nothing about which).
    """
    row = session.scalar(select(AccessToken).where(
        AccessToken.token_hash == token_digest(token.strip())))
    if row is None or row.purpose != purpose or row.used_at is not None or _expired(
            row.expires_at):
        raise PermissionDenied("the link or token is invalid or has expired; request a new one")
    row.used_at = utcnow()
    log_activity(session, f"token.{purpose}_used", f"{purpose} token {row.id} used",
                 client_id=row.client_id, subject=("user", row.user_id))
    return row


def issue_sso_token(
    session: Session,
    *,
    user_id: int | None = None,
    client_id: int | None = None,
    destination: str = "",
    target_id: int | None = None,
    redirect_path: str = "",
) -> tuple[AccessToken, str]:
    """Issue a 60-second single sign-on token for a user, a client, or a user acting for a
    client; return it with the plain token.

    Without ``user_id`` the client's owner user signs in. Raises ValidationFailed when neither
    id is given, NotFound for an unknown user or client, Conflict when the user may not reach
    the client, and NotFound when ``target_id`` (a service or domain of the destination) is not
    the client's. Emits sso_token_issued.
    """
    if user_id is None and client_id is None:
        raise ValidationFailed.single("client_id", "required", "give a client_id or a user_id")
    if user_id is not None:
        get_or_404(session, User, user_id, "User")
    if client_id is not None:
        get_or_404(session, Client, client_id, "Client")
        links = select(UserClient).where(UserClient.client_id == client_id)
        if user_id is None:
            owner = session.scalar(links.where(UserClient.is_owner.is_(True)))
            user_id = owner.user_id if owner is not None else None
        elif session.scalar(links.where(UserClient.user_id == user_id)) is None:
            raise Conflict(f"user {user_id} may not reach client {client_id}; link it first")
    if target_id is not None:
        _check_target(session, destination, target_id, client_id)
    row, plain = new_token(session, "sso", SSO_LIFETIME, user_id=user_id, client_id=client_id,
                           destination=destination, target_id=target_id,
                           redirect_path=redirect_path)
    log_activity(session, "sso.token_issued", f"Single sign-on token issued for "
                 f"{'client ' + str(client_id) if client_id else 'user ' + str(user_id)}",
                 client_id=client_id, subject=("user", user_id),
                 data={"destination": destination})
    emit(session, "sso_token_issued", token_id=row.id, user_id=user_id, client_id=client_id)
    return row, plain


def _check_target(session: Session, destination: str, target_id: int,
                  client_id: int | None) -> None:
    model: type[Service] | type[Domain] = Domain if "domain" in destination else Service
    owner = session.scalar(select(model.client_id).where(model.id == target_id))
    if owner is None or (client_id is not None and owner != client_id):
        raise NotFound(model.__name__, target_id)


def issue_login_token(session: Session, user_id: int) -> tuple[AccessToken, str]:
    """Issue a 10-minute single-use session token after a verified login (WHMCS ValidateLogin
    ``passwordhash``). NotFound for an unknown user."""
    get_or_404(session, User, user_id, "User")
    return new_token(session, "login", LOGIN_LIFETIME, user_id=user_id)


def request_password_reset(session: Session, user_id: int) -> tuple[AccessToken, str]:
    """Start a password reset: issue a 2-hour reset token for the user.

    Returns the plain token (the only copy) for the caller that delivers the reset link; the
    emitted user_password_reset_requested carries ids only, since event payloads may be logged.
    NotFound for an unknown user.
    """
    user = get_or_404(session, User, user_id, "User")
    row, plain = new_token(session, "reset", RESET_LIFETIME, user_id=user.id)
    log_activity(session, "user.password_reset_requested",
                 f"Password reset requested for user {user.email}", subject=("user", user.id))
    emit(session, "user_password_reset_requested", user_id=user.id, token_id=row.id)
    return row, plain


def complete_password_reset(session: Session, token: str, new_password: str) -> User:
    """Set a new password with a reset token (used once). PermissionDenied for a bad token,
    ValidationFailed for an empty password."""
    row = redeem_token(session, token, "reset")
    user = get_or_404(session, User, row.user_id, "User")
    set_user_password(session, user.id, new_password)
    return user


# -- OAuth client credentials ---------------------------------------------------------------


def _check_oauth(session: Session, grant_type: str, scopes: Sequence[str], name: str,
                 service_id: int | None) -> None:
    if grant_type not in GRANT_TYPES:
        raise ValidationFailed.single("grant_type", "one_of",
                                      f'The requested grant type "{grant_type}" is invalid.')
    if not scopes:
        raise ValidationFailed.single("scope", "required",
                                      "At least one valid scope is required.")
    for scope in scopes:
        if scope not in OAUTH_SCOPES:
            raise ValidationFailed.single("scope", "one_of",
                                          f'The requested scope "{scope}" is invalid.')
    if grant_type == "authorization_code" and not name.strip():
        raise ValidationFailed.single("name", "required",
                                      "A name for the Client Credential is required.")
    if grant_type == "single_sign_on":
        if service_id is None:
            raise ValidationFailed.single(
                "service_id", "required",
                "A service ID is required for the single sign-on grant type.")
        get_or_404(session, Service, service_id, "Service")


def add_oauth_credential(
    session: Session,
    grant_type: str,
    scopes: Sequence[str],
    *,
    name: str = "",
    description: str = "",
    service_id: int | None = None,
    logo_uri: str = "",
    redirect_uris: Sequence[str] = (),
    identifier_prefix: str = "HOSTBRIDGE",
) -> tuple[OAuthCredential, str]:
    """Create an OAuth client; return it with its plain secret (shown this once only).

    A ``single_sign_on`` credential needs an existing ``service_id``; an
    ``authorization_code`` one needs a ``name``. Every scope must be known. Raises
    ValidationFailed (messages as WHMCS words them) or NotFound for the service.
    """
    _check_oauth(session, grant_type, scopes, name, service_id)
    secret = generate_api_secret()
    cred = OAuthCredential(
        identifier=f"{identifier_prefix}.{secrets.token_urlsafe(16)}",
        secret_hash=hash_api_secret(secret), name=name, description=description,
        grant_type=grant_type, scopes=list(dict.fromkeys(scopes)), service_id=service_id,
        logo_uri=logo_uri, redirect_uris=list(redirect_uris))
    session.add(cred)
    session.flush()
    log_activity(session, "oauth_credential.added", f"OAuth credential {cred.identifier} added",
                 subject=("oauth_credential", cred.id), data={"grant_type": grant_type})
    emit(session, "oauth_credential_added", oauth_credential_id=cred.id)
    return cred, secret


def update_oauth_credential(
    session: Session,
    credential_id: int,
    *,
    grant_type: str | None = None,
    scopes: Sequence[str] | None = None,
    name: str | None = None,
    description: str | None = None,
    service_id: int | None = None,
    logo_uri: str | None = None,
    redirect_uris: Sequence[str] | None = None,
    reset_secret: bool = False,
) -> tuple[OAuthCredential, str | None]:
    """Change an OAuth client (only what is given); with ``reset_secret`` a new secret is
    generated and returned (else None). Same checks as :func:`add_oauth_credential`;
    NotFound for an unknown credential."""
    cred = get_or_404(session, OAuthCredential, credential_id, "OAuthCredential")
    new_grant = grant_type if grant_type is not None else cred.grant_type
    new_scopes = list(scopes) if scopes is not None else cred.scopes
    new_name = name if name is not None else cred.name
    new_service = service_id if service_id is not None else cred.service_id
    _check_oauth(session, new_grant, new_scopes, new_name, new_service)
    cred.grant_type, cred.scopes, cred.name = new_grant, new_scopes, new_name
    cred.service_id = new_service
    if description is not None:
        cred.description = description
    if logo_uri is not None:
        cred.logo_uri = logo_uri
    if redirect_uris is not None:
        cred.redirect_uris = list(redirect_uris)
    secret = generate_api_secret() if reset_secret else None
    if secret is not None:
        cred.secret_hash = hash_api_secret(secret)
    session.flush()
    log_activity(session, "oauth_credential.updated", f"OAuth credential {cred.identifier} "
                 "updated", subject=("oauth_credential", cred.id),
                 data={"secret_reset": reset_secret})
    emit(session, "oauth_credential_updated", oauth_credential_id=cred.id)
    return cred, secret


def delete_oauth_credential(session: Session, credential_id: int) -> None:
    """Delete an OAuth client. NotFound for an unknown credential."""
    cred = get_or_404(session, OAuthCredential, credential_id, "OAuthCredential")
    identifier = cred.identifier
    session.delete(cred)
    session.flush()
    log_activity(session, "oauth_credential.deleted", f"OAuth credential {identifier} deleted",
                 subject=("oauth_credential", credential_id))
    emit(session, "oauth_credential_deleted", oauth_credential_id=credential_id)
