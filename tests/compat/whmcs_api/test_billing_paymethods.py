"""WHMCS Billing group, stored pay methods: AddPayMethod, GetPayMethods, UpdatePayMethod,
DeletePayMethod."""

from __future__ import annotations

import pytest

import bridge.models.quotes  # noqa: F401  (tables in the test schema)
from bridge.models import PayMethod
from bridge.services.modules import save_module_settings
from bridge.testing import make_client
from hooks import GatewayModule, StoredMethod

VISA = "4111111111111111"


class Vault(GatewayModule):
    """A tokenising gateway; deleting token "stuck" is refused."""

    name = "vault"
    label = "Vault"
    kind = "merchant"

    def store_method(self, ctx, details):
        number = details["card_number"]
        return StoredMethod(token=f"tok_{number[-4:]}", last_four=number[-4:],
                            card_type="Visa", expiry="01/2031", description="Vault card")

    def delete_method(self, ctx, token):
        return token != "tok_5556"


@pytest.fixture
def vault(seed, install_modules):
    install_modules(Vault, name="vault-plugin")
    seed(lambda s: save_module_settings(s, "gateway", "vault", {}))
    seed(lambda s: save_module_settings(s, "gateway", "banktransfer",
                                        {"account_holder": "Example Ltd"}))


def methods(call, client_id, **params):
    return call.ok("GetPayMethods", clientid=client_id, **params)["paymethods"]


def test_add_local_card_and_list_it(call, seed, client_id):
    body = call.ok("AddPayMethod", clientid=client_id, type="CreditCard",
                   description="Office card", card_number=VISA, card_expiry="0430",
                   card_start="0121", card_issue_number="2")
    assert body == {"result": "success", "clientid": str(client_id),
                    "paymethodid": body["paymethodid"]}
    [row] = methods(call, client_id)
    assert row["id"] == int(body["paymethodid"])
    assert {k: row[k] for k in ("type", "description", "gateway_name", "contact_type",
                                "contact_id", "card_last_four", "expiry_date", "start_date",
                                "issue_number", "card_type", "remote_token")} == {
        "type": "CreditCard", "description": "Office card", "gateway_name": "",
        "contact_type": "Client", "contact_id": client_id, "card_last_four": "1111",
        "expiry_date": "04/30", "start_date": "01/21", "issue_number": "2",
        "card_type": "Visa", "remote_token": ""}
    stored = seed(lambda s: s.get(PayMethod, row["id"]))
    assert VISA not in stored.token_enc and stored.expiry == "04/2030"


@pytest.mark.parametrize(("params", "message"), [
    ({"clientid": ""}, "Client ID Is Required"),
    ({"clientid": 999}, "Invalid Client ID"),
    ({"type": "Cheque"}, "Invalid Pay Method Type. Type should be one of 'BankAccount', "
                         "'CreditCard', or 'RemoteCreditCard'"),
    ({"card_expiry": "0430"}, "Card Number is required for 'CreditCard' or 'RemoteCreditCard' "
                              "type"),
    ({"card_number": VISA}, "Expiry Date is required for 'CreditCard' or 'RemoteCreditCard' "
                            "type"),
    ({"card_number": VISA, "card_expiry": "1330"}, "Expiry Date is invalid"),
    ({"card_number": VISA, "card_expiry": "0430", "card_start": "99"}, "Start Date is invalid"),
    ({"card_number": VISA, "card_expiry": "0430", "card_issue_number": "x"},
     "Issue Number is invalid"),
    ({"card_number": "4111111111111112", "card_expiry": "0430"}, "Invalid Card Number"),
    ({"type": "BankAccount", "bank_account": "12345678"}, "Routing number is required"),
    ({"type": "BankAccount", "bank_code": "110000000"}, "Account number is required"),
    ({"type": "RemoteCreditCard", "card_number": VISA, "card_expiry": "0430"},
     "Gateway is Required for RemoteCreditCard type"),
])
def test_add_pay_method_errors(call, client_id, params, message):
    assert call.error("AddPayMethod", **{"clientid": client_id, **params}) == message


def test_bank_account_and_type_filter(call, client_id):
    call.ok("AddPayMethod", clientid=client_id, card_number=VISA, card_expiry="0430")
    call.ok("AddPayMethod", clientid=client_id, type="BankAccount", bank_name="First Bank",
            bank_code="110000000", bank_account="000123456789", bank_account_type="checking")
    [bank] = methods(call, client_id, type="BankAccount")
    assert (bank["type"], bank["bank_name"], bank["remote_token"]) == (
        "BankAccount", "First Bank", "")
    assert "card_last_four" not in bank
    assert [m["type"] for m in methods(call, client_id, type="CreditCard")] == ["CreditCard"]
    assert call.error("GetPayMethods", clientid=client_id, type="Paypal") == (
        "Invalid Pay Method Type. Should be 'BankAccount' or 'CreditCard'")
    assert call.error("GetPayMethods", clientid=999) == "Client Not Found"
    assert call.error("GetPayMethods") == "Client ID Is Required"


def test_set_as_default_puts_the_method_first(call, client_id):
    first = call.ok("AddPayMethod", clientid=client_id, card_number=VISA, card_expiry="0430")
    second = call.ok("AddPayMethod", clientid=client_id, card_number="5555555555554444",
                     card_expiry="0531", set_as_default=1)
    assert [m["id"] for m in methods(call, client_id)] == [
        int(second["paymethodid"]), int(first["paymethodid"])]
    assert methods(call, client_id)[0]["card_type"] == "MasterCard"
    call.ok("UpdatePayMethod", clientid=client_id, paymethodid=first["paymethodid"],
            set_as_default=1)
    assert methods(call, client_id)[0]["id"] == int(first["paymethodid"])


def test_remote_card_through_a_gateway(call, client_id, vault):
    body = call.ok("AddPayMethod", clientid=client_id, type="RemoteCreditCard",
                   gateway_module_name="vault", card_number=VISA, card_expiry="0131",
                   description="Stored at vault")
    [row] = methods(call, client_id)
    assert (row["id"], row["type"], row["gateway_name"], row["remote_token"]) == (
        int(body["paymethodid"]), "RemoteCreditCard", "vault", "tok_1111")
    assert row["description"] == "Stored at vault"
    assert call.error("AddPayMethod", clientid=client_id, type="RemoteCreditCard",
                      gateway_module_name="nosuch", card_number=VISA,
                      card_expiry="0131") == (
        "Invalid Gateway Module Name. Must be one of: banktransfer, vault")
    assert call.error("AddPayMethod", clientid=client_id, type="RemoteCreditCard",
                      gateway_module_name="banktransfer", card_number=VISA,
                      card_expiry="0131") == "Unsupported Gateway Type for Storage"
    assert call.error("UpdatePayMethod", clientid=client_id, paymethodid=row["id"],
                      card_number=VISA) == "Unable to Update Card Number for Assisted Gateway"
    assert call.error("UpdatePayMethod", clientid=client_id, paymethodid=row["id"],
                      card_expiry="0232") == "Unsupported Gateway Type for Update"


def test_update_local_card(call, seed, client_id):
    other = seed(lambda s: make_client(s).id)
    method_id = call.ok("AddPayMethod", clientid=client_id, card_number=VISA,
                        card_expiry="0430")["paymethodid"]
    assert call.ok("UpdatePayMethod", clientid=client_id, paymethodid=method_id,
                   card_expiry="0632", card_number="5555555555554444") == {
        "result": "success", "paymethodid": method_id, "clientid": str(client_id)}
    [row] = methods(call, client_id)
    assert (row["expiry_date"], row["card_last_four"]) == ("06/32", "4444")
    assert call.error("UpdatePayMethod", clientid=client_id, paymethodid=method_id) == (
        "No Details Provided for Update")
    assert call.error("UpdatePayMethod", clientid=other, paymethodid=method_id,
                      card_expiry="0130") == "Pay Method does not belong to passed Client ID"
    assert call.error("UpdatePayMethod", clientid=client_id, paymethodid=999,
                      card_expiry="0130") == "Invalid Pay Method ID"
    assert call.error("UpdatePayMethod", clientid=client_id, paymethodid=method_id,
                      card_expiry="1399") == "Expiry Date is invalid"
    assert call.error("UpdatePayMethod", paymethodid=method_id) == "Client ID is Required"
    assert call.error("UpdatePayMethod", clientid=client_id) == "Pay Method ID is Required"


def test_delete_pay_methods(call, seed, client_id, vault):
    local = call.ok("AddPayMethod", clientid=client_id, card_number=VISA,
                    card_expiry="0430")["paymethodid"]
    assert call.ok("DeletePayMethod", clientid=client_id, paymethodid=local) == {
        "result": "success", "paymethodid": local}
    assert methods(call, client_id) == []
    assert call.error("DeletePayMethod", clientid=client_id, paymethodid=local) == (
        "Invalid Pay Method ID")
    stuck = call.ok("AddPayMethod", clientid=client_id, type="RemoteCreditCard",
                    gateway_module_name="vault", card_number="4000056655665556",
                    card_expiry="0131")["paymethodid"]
    message = call.error("DeletePayMethod", clientid=client_id, paymethodid=stuck,
                         failonremotefailure=1)
    assert message.startswith("Error Deleting Remote Pay Method:")
    assert len(methods(call, client_id)) == 1
    call.ok("DeletePayMethod", clientid=client_id, paymethodid=stuck)
    assert methods(call, client_id) == []
    assert seed(lambda s: s.get(PayMethod, int(stuck)).deleted_at) is not None
