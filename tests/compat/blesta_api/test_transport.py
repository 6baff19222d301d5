"""Routing, auth, envelope and formats of /api/<model>/<method>.<format>."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

NEW = {"vars[first_name]": "Jo", "vars[last_name]": "Doe", "vars[email]": "jo@example.com",
       "vars[country]": "US", "vars[new_password]": "pw-123456789",
       "vars[confirm_password]": "pw-123456789"}


def test_create_then_get_and_list(call):
    status, body = call("POST", "clients/create", **NEW)
    assert status == 200
    client = body["response"]
    assert client["first_name"] == "Jo" and client["status"] == "active"
    status, got = call("GET", "clients/get", client_id=client["id"])
    assert got["response"]["email"] == "jo@example.com"
    assert got["response"]["settings"]["default_currency"] == "USD"
    assert call("GET", "clients/getListCount")[1] == {"response": 1}
    assert len(call("GET", "clients/getList", page=1)[1]["response"]) == 1
    assert call("GET", "clients/getList", page=2)[1] == {"response": []}


def test_json_body_and_basic_auth(call):
    status, body = call("POST", "clients/create", auth="basic", json_body=True,
                        vars={"first_name": "A", "last_name": "B", "email": "ab@example.com"})
    assert status == 200 and body["response"]["email"] == "ab@example.com"


def test_missing_record_is_false(call):
    assert call("GET", "clients/get", client_id=999) == (200, {"response": False})


def test_validation_is_400_with_errors(call):
    status, body = call("POST", "clients/create", **{"vars[first_name]": "Jo"})
    assert status == 400
    assert body["message"] == "The request cannot be fulfilled due to bad syntax."
    assert body["errors"]["last_name"] == {"empty": "Please enter a last name."}
    assert body["response"] is None
    assert list(body) == ["message", "errors", "response"]


def test_bad_key_is_401(call):
    status, body = call("GET", "clients/getListCount", key="wrong")
    assert status == 401
    assert body["errors"] == {"user": {"valid": "The API user or key appears to be invalid."}}
    assert call("GET", "clients/getListCount", auth=None)[0] == 401


def test_unknown_method_404_bad_format_415(call):
    assert call("GET", "clients/noSuchMethod")[0] == 404
    assert call("GET", "nosuchmodel/get")[0] == 404
    status, text = call("GET", "clients/get", fmt="yaml", client_id=1)
    assert status == 415 and json.loads(text)["message"].startswith("The format requested")


def test_method_names_are_case_insensitive(call):
    assert call("GET", "clients/GETLISTCOUNT") == (200, {"response": 0})


def test_missing_required_argument_is_500_like_blesta(call):
    status, body = call("GET", "clients/get")
    assert status == 500 and body["response"] == "Failed to retrieve the default value"


def test_unsupported_catalogue_method_is_400_not_404(call):
    status, body = call("GET", "clients/getMailLogList", client_id=1)
    assert status == 400 and "not supported" in body["errors"]["method"]["unsupported"]


def test_xml_and_php_formats(call):
    call("POST", "clients/create", **NEW)
    status, text = call("GET", "clients/getList", fmt="xml")
    root = ET.fromstring(text.encode())
    assert root.tag == "clients"
    assert root.find("response/email").text == "jo@example.com"
    status, php = call("GET", "clients/getListCount", fmt="php")
    assert php == 'O:8:"stdClass":1:{s:8:"response";i:1;}'


@pytest.mark.parametrize("fmt", ["json", "xml", "php"])
def test_errors_in_every_format(call, fmt):
    status, _ = call("GET", "clients/get", fmt=fmt, key="bad")
    assert status == 401
