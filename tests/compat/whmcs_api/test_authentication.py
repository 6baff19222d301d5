"""WHMCS Authentication group: ValidateLogin, CreateSsoToken, OAuth credentials."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlparse

import bcrypt
import pytest
from sqlalchemy import select

import bridge.models.affiliates  # noqa: F401  (tables in the test schema)
import bridge.models.sso  # noqa: F401
from bridge.errors import PermissionDenied
from bridge.models import Client, User
from bridge.models.sso import AccessToken, OAuthCredential
from bridge.services.access import add_user, link_user
from bridge.services.sso import redeem_token, token_digest
from bridge.testing import make_client, make_service


def _legacy_user(session, email, stored_hash):
    user = add_user(session, email, "placeholder")
    user.password_hash = stored_hash
    return user.id


@pytest.mark.parametrize("stored", [
    hashlib.md5(b"e93h2" + b"hunter2").hexdigest() + ":e93h2",  # WHMCS 4.2.1 - 6.2
    bcrypt.hashpw(b"hunter2", bcrypt.gensalt(rounds=4)).decode().replace("$2b$", "$2y$"),
])
def test_validate_login_with_imported_hash_rehashes(call, seed, stored):
    user_id = seed(lambda s: _legacy_user(s, "old@example.com", stored))
    _, body = call("ValidateLogin", email="old@example.com", password2="hunter2")
    assert body["result"] == "success" and body["userid"] == str(user_id)
    assert body["twoFactorEnabled"] == "false" and len(body["passwordhash"]) == 40
    user = seed(lambda s: s.get(User, user_id))
    assert user.password_hash.startswith("$argon2") and user.last_login_at is not None
    # the session token is stored only as a digest, for one use
    token = seed(lambda s: s.scalar(select(AccessToken).where(AccessToken.purpose == "login")))
    assert token.token_hash == token_digest(body["passwordhash"]) and token.user_id == user_id
    seed(lambda s: redeem_token(s, body["passwordhash"], "login"))
    with pytest.raises(PermissionDenied):
        seed(lambda s: redeem_token(s, body["passwordhash"], "login"))
    # the new hash still accepts the same password
    assert call("ValidateLogin", email="old@example.com", password2="hunter2")[1][
        "result"] == "success"


def test_validate_login_failures(call, seed):
    seed(lambda s: add_user(s, "u@example.com", "right-password"))
    for params in ({"email": "u@example.com", "password2": "wrong"},
                   {"email": "nobody@example.com", "password2": "right-password"},
                   {"email": "u@example.com"}):
        assert call("ValidateLogin", **params)[1] == {"result": "error",
                                                      "message": "Email or Password Invalid"}


def test_validate_login_two_factor_gives_no_session_token(call, seed):
    def fill(session):
        user = add_user(session, "2fa@example.com", "pw-123456")
        user.two_factor = "totp"
    seed(fill)
    _, body = call("ValidateLogin", email="2fa@example.com", password2="pw-123456")
    assert body["twoFactorEnabled"] == "true" and "passwordhash" not in body


def _client_with_owner(session):
    client = make_client(session)
    user = add_user(session, f"owner{client.id}@example.com", "pw-123456")
    link_user(session, user.id, client.id, owner=True)
    return client.id, user.id


def test_create_sso_token_for_a_client_signs_in_its_owner(call, seed):
    client_id, owner_id = seed(_client_with_owner)
    _, body = call("CreateSsoToken", client_id=client_id)
    assert body["result"] == "success" and len(body["access_token"]) == 40
    url = urlparse(body["redirect_url"])
    assert url.path.endswith("/oauth/singlesignon.php")
    assert parse_qs(url.query) == {"access_token": [body["access_token"]]}
    row = seed(lambda s: redeem_token(s, body["access_token"], "sso"))
    assert (row.client_id, row.user_id, row.destination) == (client_id, owner_id,
                                                             "clientarea:homepage")
    assert (row.expires_at - row.created_at).total_seconds() == 60


def test_create_sso_token_destination_and_configured_url(call, seed):
    from bridge.services.settings import set_setting

    client_id, _ = seed(_client_with_owner)
    service_id = seed(lambda s: make_service(s, client=s.get(Client, client_id)).id)
    seed(lambda s: set_setting(s, "system.url", "https://billing.example.com/"))
    _, body = call("CreateSsoToken", client_id=client_id,
                   destination="clientarea:product_details", service_id=service_id)
    assert body["redirect_url"].startswith(
        "https://billing.example.com/oauth/singlesignon.php?access_token=")
    row = seed(lambda s: s.scalar(select(AccessToken).where(AccessToken.purpose == "sso")))
    assert (row.destination, row.target_id) == ("clientarea:product_details", service_id)
    other = seed(lambda s: make_service(s).id)
    assert call("CreateSsoToken", client_id=client_id, destination="clientarea:product_details",
                service_id=other)[1]["message"] == "Invalid service_id"


def test_create_sso_token_errors(call, seed):
    client_id, owner_id = seed(_client_with_owner)
    stranger = seed(lambda s: add_user(s, "stranger@example.com", "pw-123456").id)

    def message(**params):
        return call("CreateSsoToken", **params)[1]["message"]
    assert message() == "A valid client_id or user_id is required"
    assert message(client_id=999) == "Invalid client_id"
    assert message(user_id=999) == "Invalid user_id"
    assert message(client_id=client_id, user_id=stranger) == "Invalid user_id for client"
    assert message(client_id=client_id, destination="nowhere") == "Invalid destination"
    assert call("CreateSsoToken", user_id=owner_id)[1]["result"] == "success"


def test_oauth_credentials_lifecycle(call, seed):
    service_id = seed(lambda s: make_service(s).id)
    _, created = call("CreateOAuthCredential", grantType="single_sign_on",
                      scope="clientarea:sso clientarea:profile", serviceId=service_id)
    assert created["result"] == "success" and created["credentialId"].isdigit()
    cred_id = int(created["credentialId"])
    stored = seed(lambda s: s.get(OAuthCredential, cred_id))
    assert created["clientSecret"] not in stored.secret_hash
    assert stored.identifier == created["clientIdentifier"]
    _, listed = call("ListOAuthCredentials", grantType="single_sign_on")
    row = listed["clients"][0]
    assert (row["credentialId"], row["grantTypes"], row["serviceId"]) == (
        cred_id, "single_sign_on", service_id)
    assert row["scope"] == "clientarea:sso clientarea:profile" and row["clientSecret"] == ""
    assert row["createdAt"].split()[1] and row["createdAt"][-2:] in ("am", "pm")
    _, updated = call("UpdateOAuthCredential", credentialId=cred_id, name="Panel",
                      resetSecret="true")
    assert updated["credentialId"] == str(cred_id) and len(updated["newClientSecret"]) > 20
    assert seed(lambda s: s.get(OAuthCredential, cred_id).name) == "Panel"
    assert "newClientSecret" not in call("UpdateOAuthCredential", credentialId=cred_id,
                                         description="x")[1]
    assert call("DeleteOAuthCredential", credentialId=cred_id)[1] == {
        "result": "success", "credentialId": str(cred_id)}
    assert call("ListOAuthCredentials")[1]["clients"] == []


def test_oauth_credential_errors(call):
    def message(action, **params):
        return call(action, **params)[1]["message"]
    assert message("CreateOAuthCredential", scope="clientarea:sso") == \
        "A valid grant type is required."
    assert message("CreateOAuthCredential", grantType="magic", scope="openid") == \
        'The requested grant type "magic" is invalid.'
    assert message("CreateOAuthCredential", grantType="authorization_code", scope="",
                   name="x") == "At least one valid scope is required."
    assert message("CreateOAuthCredential", grantType="authorization_code", scope="root",
                   name="x") == 'The requested scope "root" is invalid.'
    assert message("CreateOAuthCredential", grantType="authorization_code",
                   scope="openid") == "A name for the Client Credential is required."
    assert message("CreateOAuthCredential", grantType="single_sign_on",
                   scope="clientarea:sso") == \
        "A service ID is required for the single sign-on grant type."
    assert message("CreateOAuthCredential", grantType="single_sign_on", scope="clientarea:sso",
                   serviceId=999) == "A valid Service ID is required."
    assert message("DeleteOAuthCredential", credentialId=999) == \
        "Invalid Credential ID provided."
    assert message("UpdateOAuthCredential") == \
        "A Credential ID or Client Identifier is required."
    assert message("UpdateOAuthCredential", clientApiIdentifier="nope") == \
        "Invalid Client Identifier provided."


def test_authorization_code_credential_and_xml(call):
    _, created = call("CreateOAuthCredential", grantType="authorization_code",
                      scope="openid email", name="Portal", redirectUri="https://a.example/cb")
    _, text = call("ListOAuthCredentials", fmt="xml")
    root = ET.fromstring(text.encode())
    assert root.findtext("clients/name") == "Portal"
    assert root.findtext("clients/redirectUri") == "https://a.example/cb"
    assert root.findtext("clients/clientIdentifier") == created["clientIdentifier"]


def test_deleting_client_and_users_drops_their_tokens(call, seed):
    client_id, owner_id = seed(_client_with_owner)
    call("CreateSsoToken", client_id=client_id)
    call("ResetPassword", id=owner_id)
    assert call("DeleteClient", clientid=client_id, deleteusers=1)[1]["result"] == "success"
    assert seed(lambda s: s.scalar(select(User).where(User.id == owner_id))) is None
    assert seed(lambda s: list(s.scalars(select(AccessToken)))) == []
