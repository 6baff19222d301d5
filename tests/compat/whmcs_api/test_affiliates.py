"""WHMCS Affiliates group: AffiliateActivate, GetAffiliates."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import bridge.models.affiliates  # noqa: F401  (tables in the test schema)
import bridge.models.sso  # noqa: F401
from bridge.models.affiliates import Affiliate
from bridge.testing import make_client


@pytest.fixture
def clients(seed):
    return seed(lambda s: [make_client(s).id for _ in range(3)])


def test_activate_is_idempotent(call, clients, seed):
    assert call("AffiliateActivate", userid=clients[0]) == (200, {"result": "success"})
    assert call("AffiliateActivate", userid=clients[0])[1] == {"result": "success"}
    assert seed(lambda s: s.scalar(select(func.count(Affiliate.id)))) == 1
    assert call("AffiliateActivate", userid=999)[1] == {"result": "error",
                                                        "message": "Client ID not found"}
    assert call("AffiliateActivate")[1]["message"] == "Client ID not found"


def test_get_affiliates_shape_filters_and_paging(call, clients, seed):
    for client_id in clients:
        call("AffiliateActivate", userid=client_id)

    def tune(session):
        first = session.scalar(select(Affiliate).where(Affiliate.client_id == clients[0]))
        first.visitors, first.balance = 145, Decimal("15")
        first.commission_type, first.commission_amount = "fixed", Decimal("2.5")
    seed(tune)
    _, body = call("GetAffiliates")
    assert (body["totalresults"], body["startnumber"], body["numreturned"]) == (3, 0, 3)
    row = body["affiliates"]["affiliate"][0]
    assert list(row) == ["id", "date", "clientid", "visitors", "paytype", "payamount",
                         "onetime", "balance", "withdrawn", "created_at", "updated_at"]
    assert (row["clientid"], row["visitors"], row["balance"]) == (str(clients[0]), "145", 15)
    assert (row["paytype"], row["payamount"], row["withdrawn"]) == ("fixedamount", 2.5, 0)
    assert isinstance(row["balance"], float)  # a JSON number: whmcs-api-client needs one
    assert len(row["date"]) == 10 and row["onetime"] == "0"
    assert call("GetAffiliates", userid=clients[1])[1]["affiliates"]["affiliate"][0][
        "clientid"] == str(clients[1])
    assert call("GetAffiliates", paytype="fixedamount")[1]["totalresults"] == 1
    assert call("GetAffiliates", balance="15.00")[1]["totalresults"] == 1
    assert call("GetAffiliates", visitors=0)[1]["totalresults"] == 2
    _, page = call("GetAffiliates", limitstart=2, limitnum=2)
    assert (page["numreturned"], page["startnumber"]) == (1, 2)
    _, none = call("GetAffiliates", userid=999)
    assert none["numreturned"] == 0 and none["affiliates"] == {"affiliate": []}


def test_is_affiliate_in_client_stats(call, clients):
    assert call("GetClientsDetails", clientid=clients[0], stats=1)[1]["stats"][
        "isAffiliate"] is False
    call("AffiliateActivate", userid=clients[0])
    assert call("GetClientsDetails", clientid=clients[0], stats=1)[1]["stats"][
        "isAffiliate"] is True


def test_get_affiliates_xml(call, clients):
    call("AffiliateActivate", userid=clients[2])
    _, text = call("GetAffiliates", fmt="xml")
    root = ET.fromstring(text.encode())
    assert root.findtext("affiliates/affiliate/clientid") == str(clients[2])
    assert root.findtext("numreturned") == "1"
    assert root.findtext("affiliates/affiliate/balance") == "0.00"


def test_whmcs_api_client_model_accepts_the_listing(call, clients):
    from whmcs_client.models.get_affiliates_response import GetAffiliatesResponse

    call("AffiliateActivate", userid=clients[0])
    parsed = GetAffiliatesResponse.from_dict(call("GetAffiliates")[1])
    assert parsed.affiliates.affiliate[0].clientid == clients[0]
    assert parsed.affiliates.affiliate[0].balance == 0


def test_deleting_a_client_removes_its_affiliate_account(call, clients, seed):
    call("AffiliateActivate", userid=clients[0])
    call("AffiliateActivate", userid=clients[1])
    assert call("DeleteClient", clientid=clients[0])[1]["result"] == "success"
    left = seed(lambda s: list(s.scalars(select(Affiliate.client_id))))
    assert left == [clients[1]]
