"""Access use-cases: login users and their client links, staff admins, API roles and
credentials (WHMCS identifier/secret, Blesta API user/key), the API IP allow-list.

Passwords are argon2id hashes; imported legacy hashes (WHMCS md5:salt, bcrypt, Blesta
HMAC-bcrypt, BoxBilling sha1) verify and are replaced by a fresh argon2id hash on the first
successful login. API secrets are stored hashed and returned in plain text exactly once.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Sequence
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from bridge.context import emit, get_actor
from bridge.db import utcnow
from bridge.errors import Conflict, PermissionDenied, ValidationFailed
from bridge.models import (
    Admin,
    AdminRole,
    ApiCredential,
    ApiRole,
    Client,
    Company,
    Setting,
    User,
    UserClient,
)
from bridge.schemas.access import AdminSchema, ApiRoleSchema, UserSchema
from bridge.security import (
    generate_api_secret,
    hash_api_secret,
    hash_password,
    legacy_md5_secret,
    verify_api_secret,
    verify_password,
)
from bridge.security.passwords import BLESTA_PREFIX

from .common import get_or_404, log_activity, secret_box, validate
from .credential_cache import ApiCaller, session_cache

LOGIN_FAILED = "invalid email or password"
ADMIN_LOGIN_FAILED = "invalid username or password"
BAD_CREDENTIALS = "Invalid or missing credentials"
CREDENTIAL_DISABLED = "API credential disabled"
MIN_API_SECRET_LENGTH = 16
USAGE_STAMP_INTERVAL = timedelta(minutes=1)
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
# compared against when the identifier is unknown, so both failures cost the same
_DUMMY_API_HASH = "sha256$" + "0" * 32 + "$" + "0" * 64
_dummy_password_hash: list[str] = []


def _burn_password_check(password: str) -> None:
    """Spend the time of a real password check so unknown accounts are not told apart."""
    if not _dummy_password_hash:
        _dummy_password_hash.append(hash_password(secrets.token_hex(16)))
    verify_password(password, _dummy_password_hash[0])


def find_user_by_email(session: Session, email: str) -> User | None:
    """The login user with ``email`` (matched case-insensitively), or None."""
    return session.scalar(
        select(User).where(func.lower(User.email) == email.strip().lower()).limit(1)
    )


def add_user(
    session: Session, email: str, password: str, *, first_name: str = "", last_name: str = ""
) -> User:
    """Create a login user (an identity that may reach one or more clients).

    The password is stored as an argon2id hash. Raises ValidationFailed for a malformed email
    or empty password, Conflict when a user with that email (any letter case) exists.
    """
    values = validate(UserSchema, {"email": email.strip(), "password": password,
                                     "first_name": first_name, "last_name": last_name})
    if find_user_by_email(session, values["email"]) is not None:
        raise Conflict(f"a user with email {values['email']} already exists; link that user "
                       "to the client instead of adding a new one")
    user = User(email=values["email"], password_hash=hash_password(password),
                first_name=first_name, last_name=last_name)
    session.add(user)
    session.flush()
    log_activity(session, "user.added", f"User {user.email} added", subject=("user", user.id))
    emit(session, "user_added", user_id=user.id)
    return user


def link_user(
    session: Session,
    user_id: int,
    client_id: int,
    *,
    owner: bool = False,
    permissions: Sequence[str] = (),
) -> UserClient:
    """Let user ``user_id`` reach client ``client_id`` (as its owner or with ``permissions``).

    Linking an already linked pair updates the owner flag and permissions. A client has at most
    one owner: making a second user owner raises Conflict (remove the old owner link first).
    NotFound when the user or client does not exist.
    """
    user = get_or_404(session, User, user_id, "User")
    get_or_404(session, Client, client_id, "Client")
    perms = list(dict.fromkeys(p.strip().lower() for p in permissions if p.strip()))
    if owner:
        current = session.scalar(select(UserClient).where(
            UserClient.client_id == client_id, UserClient.is_owner.is_(True),
            UserClient.user_id != user_id))
        if current is not None:
            raise Conflict(f"client {client_id} already has owner user {current.user_id}; "
                           "remove that owner first")
    link = session.scalar(select(UserClient).where(UserClient.user_id == user_id,
                                                   UserClient.client_id == client_id))
    if link is None:
        link = UserClient(user_id=user_id, client_id=client_id)
        session.add(link)
    link.is_owner = owner
    link.permissions = perms
    session.flush()
    log_activity(session, "user.linked", f"User {user.email} linked to client {client_id}",
                 client_id=client_id, subject=("user", user_id),
                 data={"owner": owner, "permissions": perms})
    emit(session, "user_linked", user_id=user_id, client_id=client_id, owner=owner)
    return link


# Setting holding the system key of an imported Blesta install, encrypted with our key; the
# Blesta importer writes it so imported "blesta$" hashes verify at the first login.
IMPORTED_BLESTA_KEY = "import.blesta_system_key"


def _imported_blesta_key(session: Session, stored_hash: str) -> str | None:
    """The imported Blesta system key when ``stored_hash`` is an imported Blesta hash."""
    if not stored_hash.startswith(BLESTA_PREFIX):
        return None
    sealed = session.scalar(select(Setting.value).where(
        Setting.key == IMPORTED_BLESTA_KEY, Setting.company_id.is_(None)))
    return secret_box(session).decrypt(sealed) if sealed else None


def authenticate_user(
    session: Session, email: str, password: str, *, blesta_key: str | None = None
) -> User:
    """Check a login; return the user and record the login time and IP.

    A legacy hash that verifies (or an outdated argon2 one) is replaced with a fresh
    argon2id hash. ``blesta_key`` is the source install's system key, needed for imported
    Blesta hashes. Raises PermissionDenied("invalid email or password") for an unknown email
    and a wrong password alike.
    """
    user = find_user_by_email(session, email) if email.strip() else None
    if user is None:
        _burn_password_check(password)
        raise PermissionDenied(LOGIN_FAILED)
    key = blesta_key or _imported_blesta_key(session, user.password_hash)
    check = verify_password(password, user.password_hash, blesta_key=key)
    if not check.ok:
        raise PermissionDenied(LOGIN_FAILED)
    if check.needs_rehash:
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    user.last_ip = get_actor(session).ip_address
    rehashed = {"rehashed_from": check.scheme} if check.needs_rehash else None
    log_activity(session, "user.login", f"User {user.email} logged in",
                 subject=("user", user.id), data=rehashed)
    emit(session, "user_logged_in", user_id=user.id)
    return user


def set_user_password(session: Session, user_id: int, password: str) -> None:
    """Replace a user's password (argon2id). ValidationFailed for an empty password."""
    user = get_or_404(session, User, user_id, "User")
    if not password:
        raise ValidationFailed.single("password", "required", "the new password is empty")
    user.password_hash = hash_password(password)
    log_activity(session, "user.password_changed", f"Password of user {user.email} changed",
                 subject=("user", user.id))
    emit(session, "user_password_changed", user_id=user.id)


def add_admin(
    session: Session,
    username: str,
    password: str,
    *,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    role_id: int | None = None,
) -> Admin:
    """Create a staff admin.

    Stores the argon2id password hash and the hash of md5(password) that WHMCS's legacy API
    login sends. Raises Conflict for a taken username (any letter case), ValidationFailed for
    an unknown role or malformed input.
    """
    values = validate(AdminSchema, {"username": username.strip(), "password": password,
                                      "email": email, "first_name": first_name,
                                      "last_name": last_name, "role_id": role_id})
    name = values["username"]
    if _find_admin(session, name) is not None:
        raise Conflict(f"admin username {name} is taken; choose another")
    if role_id is not None and session.get(AdminRole, role_id) is None:
        raise ValidationFailed.single("role_id", "invalid", f"admin role {role_id} does not exist")
    admin = Admin(username=name, email=email, first_name=first_name, last_name=last_name,
                  role_id=role_id)
    _store_admin_password(admin, password)
    session.add(admin)
    session.flush()
    log_activity(session, "admin.added", f"Admin {name} added", subject=("admin", admin.id))
    emit(session, "admin_added", admin_id=admin.id)
    return admin


def _find_admin(session: Session, username: str) -> Admin | None:
    return session.scalar(
        select(Admin).where(func.lower(Admin.username) == username.strip().lower()).limit(1)
    )


def _store_admin_password(admin: Admin, password: str) -> None:
    admin.password_hash = hash_password(password)
    admin.legacy_api_hash = hash_api_secret(legacy_md5_secret(password))


def authenticate_admin(session: Session, username: str, password: str) -> Admin:
    """Check a staff login; return the admin.

    Same rehash rule as :func:`authenticate_user` (the legacy API hash is refreshed too).
    Raises PermissionDenied for an unknown username or wrong password (one message) and,
    after a correct password, for a disabled admin.
    """
    admin = _find_admin(session, username) if username.strip() else None
    if admin is None:
        _burn_password_check(password)
        raise PermissionDenied(ADMIN_LOGIN_FAILED)
    check = verify_password(password, admin.password_hash,
                            blesta_key=_imported_blesta_key(session, admin.password_hash))
    if not check.ok:
        raise PermissionDenied(ADMIN_LOGIN_FAILED)
    if admin.disabled:
        raise PermissionDenied(f"admin {admin.username} is disabled")
    if check.needs_rehash or not admin.legacy_api_hash:
        _store_admin_password(admin, password)
    admin.last_login_at = utcnow()
    log_activity(session, "admin.login", f"Admin {admin.username} logged in",
                 subject=("admin", admin.id))
    emit(session, "admin_logged_in", admin_id=admin.id)
    return admin


def add_api_role(
    session: Session, name: str, allowed_actions: Sequence[str], description: str = ""
) -> ApiRole:
    """Create an API role listing the actions it allows (``*`` = all; case-insensitive).

    Raises Conflict when the role name exists.
    """
    values = validate(ApiRoleSchema, {"name": name.strip(), "description": description,
                                        "allowed_actions": [a.strip() for a in allowed_actions]})
    if session.scalar(select(ApiRole).where(ApiRole.name == values["name"])) is not None:
        raise Conflict(f"API role {values['name']} already exists")
    actions = list(dict.fromkeys(values["allowed_actions"]))
    role = ApiRole(name=values["name"], description=description, allowed_actions=actions)
    session.add(role)
    session.flush()
    log_activity(session, "api_role.added", f"API role {role.name} added",
                 subject=("api_role", role.id), data={"allowed_actions": actions})
    emit(session, "api_role_added", api_role_id=role.id)
    return role


def _normalise_ips(entries: Sequence[str]) -> list[str]:
    out: list[str] = []
    for entry in entries:
        text = entry.strip()
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError as exc:
            raise ValidationFailed.single(
                "allowed_ips", "invalid",
                f"allowed IP entry {entry!r} is not an IP address or CIDR block") from exc
        # plain addresses stay plain (1.2.3.4, not 1.2.3.4/32) so operators see what they typed
        out.append(text if "/" not in text else str(net))
    return list(dict.fromkeys(out))


def _roles_by_name(session: Session, names: Sequence[str]) -> list[ApiRole]:
    roles: list[ApiRole] = []
    for name in names:
        role = session.scalar(select(ApiRole).where(ApiRole.name == name.strip()))
        if role is None:
            known = ", ".join(session.scalars(select(ApiRole.name).order_by(ApiRole.name)))
            raise ValidationFailed.single(
                "roles", "invalid",
                f"unknown API role {name!r}; add it first (existing: {known or 'none'})")
        if role not in roles:
            roles.append(role)
    return roles


def add_api_credential(
    session: Session,
    identifier: str | None = None,
    secret: str | None = None,
    *,
    roles: Sequence[str] = (),
    allowed_ips: Sequence[str] = (),
    admin_id: int | None = None,
    company_id: int | None = None,
    description: str = "",
) -> tuple[ApiCredential, str]:
    """Create an API credential; return it with the plain secret (shown this once only).

    Generates the identifier (32 hex characters) and secret when not given; a given secret
    must be at least 16 characters. Every ``allowed_ips`` entry must be an IP or CIDR block
    (an empty list means loopback only). Raises ValidationFailed naming a bad IP entry, an
    unknown role name, admin or company; Conflict for a taken identifier.
    """
    identifier = (identifier or "").strip() or secrets.token_hex(16)
    if secret is None:
        secret = generate_api_secret()
    elif len(secret) < MIN_API_SECRET_LENGTH:
        raise ValidationFailed.single(
            "secret", "length", f"API secret must be at least {MIN_API_SECRET_LENGTH} "
            "characters; omit it to have one generated")
    ips = _normalise_ips(allowed_ips)
    role_rows = _roles_by_name(session, roles)
    if admin_id is not None and session.get(Admin, admin_id) is None:
        raise ValidationFailed.single("admin_id", "invalid", f"admin {admin_id} does not exist")
    if company_id is not None and session.get(Company, company_id) is None:
        raise ValidationFailed.single("company_id", "invalid",
                                      f"company {company_id} does not exist")
    taken = select(ApiCredential.id).where(ApiCredential.identifier == identifier)
    if session.scalar(taken) is not None:
        raise Conflict(f"API identifier {identifier} is already in use")
    cred = ApiCredential(identifier=identifier, secret_hash=hash_api_secret(secret),
                         allowed_ips=ips, admin_id=admin_id, company_id=company_id,
                         description=description, roles=role_rows)
    session.add(cred)
    session.flush()
    log_activity(session, "api_credential.added", f"API credential {identifier} added",
                 subject=("api_credential", cred.id),
                 data={"roles": [r.name for r in role_rows], "allowed_ips": ips})
    emit(session, "api_credential_added", api_credential_id=cred.id)
    return cred, secret


def ip_allowed(credential: ApiCredential, ip: str) -> bool:
    """Whether ``ip`` may use ``credential``; an empty allow-list means loopback only."""
    return ip_in_allow_list(ip, credential.allowed_ips or [])


def ip_in_allow_list(ip: str, allowed: Sequence[str]) -> bool:
    """Whether ``ip`` is in ``allowed`` (IPs or CIDR blocks); an empty list means loopback only."""
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped  # ::ffff:1.2.3.4 from dual-stack sockets
    if not allowed:
        return any(addr in net for net in LOOPBACK if net.version == addr.version)
    for entry in allowed:
        try:
            net = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue  # a row written around add_api_credential; never widen access for it
        if net.version == addr.version and addr in net:
            return True
    return False


def credential_allows(credential: ApiCredential, action: str) -> bool:
    """Whether ``credential`` may call ``action``: no roles = every action; otherwise any role
    listing the action (case-insensitively) or ``*``."""
    if not credential.roles:
        return True
    wanted = action.strip().lower()
    return any(a == "*" or a.lower() == wanted
               for role in credential.roles for a in role.allowed_actions)


@cache
def _credential_statements() -> tuple[Select[Any], Select[Any]]:
    """The credential-by-identifier statement without and with the IP-ban column, built
    once (building it per call cost more than running it)."""
    from .blocklists import BAN_EXISTS

    plain: Select[Any] = select(ApiCredential).where(
        ApiCredential.identifier == bindparam("identifier")).options(
        joinedload(ApiCredential.roles))
    return plain, plain.add_columns(BAN_EXISTS.label("banned"))


def verify_api_credential(session: Session, identifier: str, secret: str, ip: str, *,
                          skip_ip_check: bool = False, refuse_banned: bool = False
                          ) -> ApiCredential:
    """Authenticate an API request; return the credential and record its use.

    Raises PermissionDenied with "Invalid or missing credentials" for an unknown identifier or
    wrong secret (same message, constant-time secret check), "API credential disabled", or
    f"Invalid IP {ip}" when ``ip`` is outside the credential's allow-list or, with
    ``refuse_banned``, banned (checked before anything else, in the credential's statement).
    The first use and every use from a new IP are written to the activity log;
    ``last_used_at`` is refreshed at most once per :data:`USAGE_STAMP_INTERVAL` (and at once
    from a new IP).
    """
    from .blocklists import ban_params, is_ip_banned

    ban = ban_params(ip) if refuse_banned else None
    cred: ApiCredential | None = None
    banned = False
    if identifier and secret:
        # read fresh on every request (one indexed statement, roles joined in, the ban check
        # as a column): disabling, re-keying or re-roling a credential or banning the IP
        # takes effect on the very next call
        query = _credential_statements()[ban is not None]
        row = session.execute(query, {"identifier": identifier, **(ban or {})}).unique().first()
        if row is not None:
            cred = row[0]
            banned = ban is not None and bool(row[1])
    if ban is not None and cred is None:
        banned = is_ip_banned(session, ip)
    if banned:
        raise PermissionDenied(f"Invalid IP {ip}")
    stored = cred.secret_hash if cred is not None else _DUMMY_API_HASH
    matches = verify_api_secret(secret or "", stored)
    if cred is None or not matches:
        raise PermissionDenied(BAD_CREDENTIALS)
    if cred.disabled:
        raise PermissionDenied(CREDENTIAL_DISABLED)
    if not skip_ip_check and not ip_allowed(cred, ip):
        raise PermissionDenied(f"Invalid IP {ip}")
    if cred.last_used_at is None or cred.last_used_ip != ip:
        log_activity(session, "api_credential.used",
                     f"API credential {cred.identifier} used from {ip}",
                     subject=("api_credential", cred.id), data={"ip": ip})
    now = utcnow()
    # the usage stamp is refreshed at most once a USAGE_STAMP_INTERVAL per IP: writing it on
    # every call turned each read into a write (and SQLite serializes writers)
    last = cred.last_used_at
    if last is None or cred.last_used_ip != ip or now - last >= USAGE_STAMP_INTERVAL:
        cred.last_used_at = now
        cred.last_used_ip = ip
    return cred


def check_api_credential(session: Session, identifier: str, secret: str, ip: str, *,
                         skip_ip_check: bool = False, refuse_banned: bool = False) -> ApiCaller:
    """Authenticate an API request like :func:`verify_api_credential` (same refusals, same
    usage stamp and activity log) and return what the doors need as an :class:`ApiCaller`.

    In a transaction opened by the app with the credential cache on, a repeated success is
    answered from this worker's cache (:mod:`bridge.services.credential_cache`) while no
    credential, role, allow-list or IP ban changed anywhere and the usage stamp is not due.
    """
    cached = session_cache(session)
    key = None
    if cached is not None and identifier and secret:
        key = cached[0].key(identifier, secret, ip, skip_ip_check, refuse_banned)
        hit = cached[0].get(key)
        if hit is not None:
            return hit
    cred = verify_api_credential(session, identifier, secret, ip, skip_ip_check=skip_ip_check,
                                 refuse_banned=refuse_banned)
    actions = None if not cred.roles else frozenset(
        a.lower() for role in cred.roles for a in role.allowed_actions)
    caller = ApiCaller(cred.id, cred.identifier, cred.admin_id, cred.company_id, actions)
    # cached only when the check wrote nothing: a stamp or activity row still has to be
    # committed (or redone in a write transaction) through the uncached path
    if cached is not None and key is not None and cred.last_used_at is not None \
            and not (session.new or session.dirty):
        due = cred.last_used_at.timestamp() + USAGE_STAMP_INTERVAL.total_seconds()
        cached[0].put(key, caller, cached[1], due)
    return caller


def verify_admin_api_login(session: Session, username: str, password_md5: str, ip: str, *,
                           skip_ip_check: bool = False) -> Admin:
    """The legacy WHMCS API login: an admin username and the md5 hex of its password.

    The IP must be in the install-wide setting ``api.allowed_ips`` (comma-separated IPs or
    CIDR blocks; empty means loopback only) unless ``skip_ip_check`` (a valid access key).
    Raises PermissionDenied with the same messages as :func:`verify_api_credential`.
    """
    from .settings import get_setting

    admin = session.scalar(select(Admin).where(func.lower(Admin.username) == username.lower()))
    stored = admin.legacy_api_hash if admin is not None and admin.legacy_api_hash else \
        _DUMMY_API_HASH
    if admin is None or not verify_api_secret(password_md5.lower(), stored):
        raise PermissionDenied(BAD_CREDENTIALS)
    if admin.disabled:
        raise PermissionDenied(CREDENTIAL_DISABLED)
    allowed = [p.strip() for p in get_setting(session, "api.allowed_ips").split(",") if p.strip()]
    if not skip_ip_check and not ip_in_allow_list(ip, allowed):
        raise PermissionDenied(f"Invalid IP {ip}")
    return admin
