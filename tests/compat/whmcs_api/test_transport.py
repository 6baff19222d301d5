"""Transport, auth and envelope of /includes/api.php."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

import pytest

from compat.whmcs.api.params import (
    decode_serialized_b64,
    encode_serialized_b64,
    parse_pairs,
    php_serialize,
    php_unserialize,
)

CLIENT = {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com",
          "address1": "1 Engine St", "city": "London", "state": "London",
          "postcode": "N1", "country": "GB", "phonenumber": "+44.2070000000"}


def test_add_and_list_clients(call):
    status, body = call("AddClient", **CLIENT)
    assert status == 200 and body == {"result": "success", "clientid": body["clientid"]}
    assert body["clientid"].isdigit()
    status, listing = call("getclients")  # action names are case-insensitive
    assert listing["result"] == "success"
    assert (listing["totalresults"], listing["startnumber"], listing["numreturned"]) == (1, 0, 1)
    client = listing["clients"]["client"][0]
    assert client["id"] == int(body["clientid"]) and client["status"] == "Active"


def test_business_errors_are_http_200(call):
    missing = dict(CLIENT, firstname="")
    assert call("AddClient", **missing) == (200, {"result": "error",
                                                  "message": "You did not enter your first name"})
    call("AddClient", **CLIENT)
    status, body = call("AddClient", **CLIENT)
    assert status == 200 and body["result"] == "error" and "email" in body["message"]


def test_bad_credentials_are_403(call):
    status, body = call("GetClients", auth={"identifier": "whmcs-test-id", "secret": "wrong"})
    assert status == 403 and body == {"result": "error", "message": "Authentication Failed"}


def test_username_password_aliases_and_legacy_md5_admin(call):
    status, body = call("GetClients", auth={"username": "whmcs-test-id",
                                            "password": "whmcs-test-secret-0123"})
    assert status == 200 and body["result"] == "success"
    md5 = hashlib.md5(b"admin-password-1").hexdigest()
    status, body = call("GetClients", auth={"username": "apiadmin", "password": md5})
    assert status == 200 and body["result"] == "success"
    status, _ = call("GetClients", auth={"username": "apiadmin", "password": "admin-password-1"})
    assert status == 403


def test_ip_allow_list_and_access_key(call, api_app):
    status, body = call("GetClients", auth={"identifier": "remote-id",
                                            "secret": "remote-secret-01234"})
    assert status == 403 and body["message"] == "Invalid IP 127.0.0.1"
    status, body = call("GetClients", ip="10.9.8.7",
                        auth={"identifier": "remote-id", "secret": "remote-secret-01234"})
    assert status == 200
    from bridge.context import Actor
    from bridge.services.settings import set_setting

    with api_app.extensions["bridge"].transaction(Actor()) as session:
        set_setting(session, "api.access_key", "s3cr3t-key")
    status, body = call("GetClients", auth={"identifier": "remote-id",
                                            "secret": "remote-secret-01234",
                                            "accesskey": "s3cr3t-key"})
    assert status == 200 and body["result"] == "success"


def test_role_restricts_actions(call):
    limited = {"identifier": "limited-id", "secret": "limited-secret-0123"}
    assert call("GetClients", auth=limited)[0] == 200
    status, body = call("AddClient", auth=limited, **CLIENT)
    assert status == 403
    assert body["message"] == 'Invalid Permissions: API action "addclient" is not allowed'


def test_unknown_action(call):
    assert call("NoSuchThing") == (200, {"result": "error", "message": "Command Not Found"})


def test_failed_logins_are_rate_limited_per_ip(call):
    bad = {"identifier": "x", "secret": "y"}
    for _ in range(10):
        assert call("GetClients", auth=bad, ip="192.0.2.50")[0] == 403
    status, body = call("GetClients", ip="192.0.2.50",
                        auth={"identifier": "remote-id", "secret": "remote-secret-01234"})
    assert status == 403 and "Too many failed" in body["message"]
    # another caller is not affected
    assert call("GetClients")[0] == 200


def test_xml_layout(call):
    call("AddClient", **CLIENT)
    status, text = call("GetClients", fmt="xml")
    root = ET.fromstring(text.encode())
    assert root.tag == "whmcsapi" and root.attrib["version"]
    assert [child.tag for child in root][:5] == ["action", "result", "totalresults",
                                                 "startnumber", "numreturned"]
    assert root.findtext("action") == "getclients" and root.findtext("result") == "success"
    assert root.find("clients/client/email").text == "ada@example.com"


def test_paging(call):
    for n in range(30):
        call("AddClient", **dict(CLIENT, email=f"c{n}@example.com"))
    _, first = call("GetClients")
    assert first["numreturned"] == 25 and first["totalresults"] == 30
    _, second = call("GetClients", limitstart=25, limitnum=25)
    assert second["numreturned"] == 5 and second["startnumber"] == 25
    _, found = call("GetClients", search="c1")
    assert {c["email"] for c in found["clients"]["client"]} == {
        "c1@example.com"} | {f"c1{n}@example.com" for n in range(10)}


def test_php_bracket_arrays():
    parsed = parse_pairs([("pid[0]", "1"), ("pid[1]", "3"), ("k[]", "a"), ("k[]", "b"),
                          ("pricing[1][monthly]", "9.99"), ("plain", "x")])
    assert parsed == {"pid": {"0": "1", "1": "3"}, "k": {"0": "a", "1": "b"},
                      "pricing": {"1": {"monthly": "9.99"}}, "plain": "x"}


@pytest.mark.parametrize("value", [{"1": "a", "name": "Grüße"}, {"0": {"x": "1"}}, {}])
def test_php_serialize_round_trip(value):
    assert php_unserialize(php_serialize(value)) == value
    assert decode_serialized_b64(encode_serialized_b64(value), "customfields") == value


def test_php_serialize_matches_php():
    assert php_serialize({"1": "Blue"}) == 'a:1:{i:1;s:4:"Blue";}'
    with pytest.raises(ValueError, match="customfields"):
        decode_serialized_b64("not base64 !!", "customfields")


def test_banned_ip_is_refused(call, api_app):
    from bridge.context import Actor
    from bridge.services.blocklists import ban_ip

    with api_app.extensions["bridge"].transaction(Actor()) as session:
        ban_ip(session, "127.0.0.9", "abuse")
    status, body = call("GetClients", ip="127.0.0.9")
    assert status == 403 and body["message"] == "Invalid IP 127.0.0.9"
    assert call("GetClients")[0] == 200
