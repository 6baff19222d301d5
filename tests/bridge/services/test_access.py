"""Users, admins, password rehash on login, API credentials, IP allow-list and roles."""

from __future__ import annotations

import hashlib
import hmac

import bcrypt
import pytest
from sqlalchemy import select

from bridge.context import pending_events
from bridge.errors import Conflict, PermissionDenied, ValidationFailed
from bridge.models import ActivityLog, ApiCredential, UserClient
from bridge.security import legacy_md5_secret, verify_api_secret, verify_password
from bridge.services import access


def test_add_user_hashes_with_argon2_and_refuses_duplicate_email_in_any_case(db):
    user = access.add_user(db, "Ann@Example.com", "s3cret", first_name="Ann")
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password("s3cret", user.password_hash).ok
    assert ("user_added", {"user_id": user.id}) in pending_events(db)
    with pytest.raises(Conflict):
        access.add_user(db, "ann@example.COM", "other")


@pytest.mark.parametrize(("email", "password", "field"), [
    ("not-an-email", "pw", "email"),
    ("ok@example.com", "", "password"),
])
def test_add_user_validates_input(db, email, password, field):
    with pytest.raises(ValidationFailed) as info:
        access.add_user(db, email, password)
    assert field in info.value.errors


def test_authenticate_user_never_reveals_which_part_was_wrong(db):
    access.add_user(db, "bob@example.com", "right-password")
    with pytest.raises(PermissionDenied) as wrong_password:
        access.authenticate_user(db, "bob@example.com", "wrong")
    with pytest.raises(PermissionDenied) as unknown_email:
        access.authenticate_user(db, "nobody@example.com", "right-password")
    assert wrong_password.value.message == "invalid email or password"
    assert unknown_email.value.message == wrong_password.value.message


def test_authenticate_user_records_login_and_matches_email_case_insensitively(db):
    user = access.add_user(db, "carol@example.com", "pw-carol")
    assert user.last_login_at is None
    assert access.authenticate_user(db, "CAROL@example.com", "pw-carol") is user
    assert user.last_login_at is not None


def test_whmcs_md5_salt_hash_is_replaced_by_argon2_on_login(db):
    user = access.add_user(db, "legacy@example.com", "placeholder")
    salt = "e93h2"
    digest = hashlib.md5((salt + "old-whmcs-pass").encode()).hexdigest()
    user.password_hash = f"{digest}:{salt}"
    db.flush()

    access.authenticate_user(db, "legacy@example.com", "old-whmcs-pass")

    assert user.password_hash.startswith("$argon2id$")
    assert verify_password("old-whmcs-pass", user.password_hash).ok
    # and it keeps working with the new hash
    assert access.authenticate_user(db, "legacy@example.com", "old-whmcs-pass") is user


def test_failed_legacy_login_keeps_the_legacy_hash(db):
    user = access.add_user(db, "legacy2@example.com", "placeholder")
    legacy = hashlib.md5(b"saltpw").hexdigest() + ":salt"
    user.password_hash = legacy
    with pytest.raises(PermissionDenied):
        access.authenticate_user(db, "legacy2@example.com", "wrong")
    assert user.password_hash == legacy


def test_blesta_hash_needs_the_system_key_and_is_rehashed(db):
    user = access.add_user(db, "blesta@example.com", "placeholder")
    keyed = hmac.new(b"system-key", b"blesta-pass", hashlib.sha256).hexdigest()
    user.password_hash = "blesta$" + bcrypt.hashpw(keyed.encode(), bcrypt.gensalt(4)).decode()
    with pytest.raises(PermissionDenied):
        access.authenticate_user(db, "blesta@example.com", "blesta-pass")
    access.authenticate_user(db, "blesta@example.com", "blesta-pass", blesta_key="system-key")
    assert user.password_hash.startswith("$argon2id$")


def test_set_user_password(db):
    user = access.add_user(db, "dave@example.com", "first")
    access.set_user_password(db, user.id, "second")
    access.authenticate_user(db, "dave@example.com", "second")
    with pytest.raises(PermissionDenied):
        access.authenticate_user(db, "dave@example.com", "first")
    with pytest.raises(ValidationFailed):
        access.set_user_password(db, user.id, "")


def test_link_user_allows_one_owner_and_updates_an_existing_link(db, factories):
    client = factories.client()
    first = access.add_user(db, "owner@example.com", "pw")
    second = access.add_user(db, "helper@example.com", "pw")
    access.link_user(db, first.id, client.id, owner=True)
    with pytest.raises(Conflict):
        access.link_user(db, second.id, client.id, owner=True)
    link = access.link_user(db, second.id, client.id, permissions=["Invoices", "tickets"])
    again = access.link_user(db, second.id, client.id, permissions=["profile"])
    assert again.id == link.id
    assert again.permissions == ["profile"]
    assert db.scalar(select(UserClient).where(UserClient.client_id == client.id,
                                              UserClient.is_owner.is_(True))).user_id == first.id


def test_add_admin_stores_password_and_legacy_api_hash(db):
    admin = access.add_admin(db, "root", "adminpw", email="root@example.com")
    assert admin.password_hash.startswith("$argon2id$")
    # WHMCS legacy API login sends md5(password)
    assert verify_api_secret(legacy_md5_secret("adminpw"), admin.legacy_api_hash)
    assert not verify_api_secret(legacy_md5_secret("other"), admin.legacy_api_hash)
    with pytest.raises(Conflict):
        access.add_admin(db, "ROOT", "x")
    with pytest.raises(ValidationFailed) as info:
        access.add_admin(db, "someone", "x", role_id=999)
    assert "role_id" in info.value.errors


def test_authenticate_admin_rehashes_and_refuses_disabled_only_after_password(db):
    admin = access.add_admin(db, "staff", "placeholder")
    admin.password_hash = bcrypt.hashpw(b"old-admin", bcrypt.gensalt(4)).decode()
    admin.legacy_api_hash = ""
    assert access.authenticate_admin(db, "Staff", "old-admin") is admin
    assert admin.password_hash.startswith("$argon2id$")
    assert verify_api_secret(legacy_md5_secret("old-admin"), admin.legacy_api_hash)
    assert admin.last_login_at is not None

    admin.disabled = True
    with pytest.raises(PermissionDenied) as wrong:
        access.authenticate_admin(db, "staff", "bad")
    assert "disabled" not in wrong.value.message
    with pytest.raises(PermissionDenied) as disabled:
        access.authenticate_admin(db, "staff", "old-admin")
    assert "disabled" in disabled.value.message


def test_api_credential_generated_secret_is_returned_once_and_stored_hashed(db):
    cred, secret = access.add_api_credential(db)
    assert len(cred.identifier) == 32 and len(secret) >= 32
    assert secret not in cred.secret_hash
    assert verify_api_secret(secret, cred.secret_hash)
    assert access.verify_api_credential(db, cred.identifier, secret, "127.0.0.1") is cred


def test_api_credential_validation(db):
    access.add_api_credential(db, "ident-1", "a-long-enough-secret")
    with pytest.raises(Conflict):
        access.add_api_credential(db, "ident-1", "a-long-enough-secret")
    with pytest.raises(ValidationFailed) as bad_ip:
        access.add_api_credential(db, "ident-2", None, allowed_ips=["10.0.0.0/8", "10.0.0.999"])
    assert "10.0.0.999" in bad_ip.value.errors["allowed_ips"]["invalid"]
    with pytest.raises(ValidationFailed) as bad_role:
        access.add_api_credential(db, "ident-3", None, roles=["ghost"])
    assert "ghost" in bad_role.value.errors["roles"]["invalid"]
    with pytest.raises(ValidationFailed):
        access.add_api_credential(db, "ident-4", "short")


def test_empty_allow_list_means_loopback_only(db):
    cred, secret = access.add_api_credential(db)
    assert access.ip_allowed(cred, "127.0.0.1")
    assert access.ip_allowed(cred, "127.8.9.10")
    assert access.ip_allowed(cred, "::1")
    assert access.ip_allowed(cred, "::ffff:127.0.0.1")
    assert not access.ip_allowed(cred, "10.1.2.3")
    assert not access.ip_allowed(cred, "not-an-ip")
    with pytest.raises(PermissionDenied) as info:
        access.verify_api_credential(db, cred.identifier, secret, "203.0.113.7")
    assert info.value.message == "Invalid IP 203.0.113.7"


def test_allow_list_with_cidr_and_single_addresses(db):
    cred, secret = access.add_api_credential(
        db, allowed_ips=["192.168.1.0/24", "203.0.113.9", "2001:db8::/32"])
    assert access.ip_allowed(cred, "192.168.1.77")
    assert not access.ip_allowed(cred, "192.168.2.1")
    assert access.ip_allowed(cred, "203.0.113.9")
    assert not access.ip_allowed(cred, "203.0.113.10")
    assert access.ip_allowed(cred, "2001:db8::42")
    # a non-empty list replaces the loopback default
    assert not access.ip_allowed(cred, "127.0.0.1")
    assert access.verify_api_credential(db, cred.identifier, secret, "192.168.1.5") is cred


def test_verify_api_credential_messages_and_usage_record(db):
    cred, secret = access.add_api_credential(db, "ident-x", "correct-horse-battery")
    with pytest.raises(PermissionDenied) as wrong_secret:
        access.verify_api_credential(db, "ident-x", "wrong-secret-value", "127.0.0.1")
    with pytest.raises(PermissionDenied) as unknown:
        access.verify_api_credential(db, "no-such-ident", "correct-horse-battery", "127.0.0.1")
    with pytest.raises(PermissionDenied) as missing:
        access.verify_api_credential(db, "", "", "127.0.0.1")
    assert (wrong_secret.value.message == unknown.value.message == missing.value.message
            == "Invalid or missing credentials")

    access.verify_api_credential(db, "ident-x", "correct-horse-battery", "127.0.0.1")
    access.verify_api_credential(db, "ident-x", "correct-horse-battery", "127.0.0.1")
    assert cred.last_used_at is not None and cred.last_used_ip == "127.0.0.1"
    access.verify_api_credential(db, "ident-x", "correct-horse-battery", "::1")
    used = db.scalars(select(ActivityLog).where(ActivityLog.action == "api_credential.used"))
    assert [row.data["ip"] for row in used] == ["127.0.0.1", "::1"]

    cred.disabled = True
    with pytest.raises(PermissionDenied) as disabled:
        access.verify_api_credential(db, "ident-x", "correct-horse-battery", "127.0.0.1")
    assert disabled.value.message == "API credential disabled"


def test_roles_restrict_actions(db):
    unrestricted, _ = access.add_api_credential(db)
    assert access.credential_allows(unrestricted, "DeleteClient")

    access.add_api_role(db, "readers", ["GetClients", "GetInvoices"])
    access.add_api_role(db, "orders", ["AddOrder"])
    access.add_api_role(db, "everything", ["*"])
    reader, _ = access.add_api_credential(db, roles=["readers", "orders"])
    assert access.credential_allows(reader, "getclients")
    assert access.credential_allows(reader, "AddOrder")
    assert not access.credential_allows(reader, "DeleteClient")
    full, _ = access.add_api_credential(db, roles=["everything"])
    assert access.credential_allows(full, "DeleteClient")
    db.commit()
    stored = db.get(ApiCredential, reader.id)
    assert sorted(r.name for r in stored.roles) == ["orders", "readers"]


def test_add_api_role_refuses_duplicate_name(db):
    role = access.add_api_role(db, "ops", ["GetClients", "GetClients", "AddClient"])
    assert role.allowed_actions == ["GetClients", "AddClient"]
    with pytest.raises(Conflict):
        access.add_api_role(db, "ops", [])
