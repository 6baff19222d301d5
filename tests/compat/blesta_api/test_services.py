"""Blesta services over the API door: reads, add (with provisioning), edit, suspend, cancel."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bridge.models import CancellationRequest, Company, Price, Service
from hooks import ActionResult, ServerModule, hookimpl


class SvcPanel(ServerModule):
    """Records calls; ``mode = "refuse"`` makes every call fail."""

    name = "svcpanel"
    label = "Service panel"
    requires_server = False
    calls: list[str] = []
    mode = "ok"

    def _answer(self, op, **data):
        if SvcPanel.mode == "refuse":
            return ActionResult.failure(f"{op} refused by panel")
        SvcPanel.calls.append(op)
        return ActionResult.success(**data)

    def create(self, ctx):
        return self._answer(f"create:{ctx.domain}", username=f"user{ctx.service_id}",
                            password="s3cret")

    def suspend(self, ctx, reason=""):
        return self._answer(f"suspend:{reason}")

    def unsuspend(self, ctx):
        return self._answer("unsuspend")

    def terminate(self, ctx):
        return self._answer("terminate")

    def change_package(self, ctx):
        return self._answer(f"change_package:{ctx.product_id}")


class SvcPlugin:
    @hookimpl
    def register_server_modules(self):
        return [SvcPanel]


@pytest.fixture
def panel(register_plugin):
    SvcPanel.calls = []
    SvcPanel.mode = "ok"
    register_plugin(SvcPlugin(), name="svcpanel-plugin")
    return SvcPanel


@pytest.fixture
def shop(db, factories):
    """A client and a module product priced monthly and yearly; price ids by cycle."""
    client = factories.client()
    product = factories.product(prices={"1M": "10.00", "1Y": "100.00"}, module="svcpanel")
    plain = factories.product(prices={"1M": "5.00"})
    prices = {(p.owner_id, p.cycle): p.id for p in db.scalars(select(Price))}
    db.commit()
    return {"client": client, "product": product, "plain": plain, "prices": prices,
            "monthly": prices[(product.id, "1M")], "yearly": prices[(product.id, "1Y")]}


def _add(call, shop, **extra):
    params = {"vars[pricing_id]": str(shop["monthly"]),
              "vars[client_id]": str(shop["client"].id), **extra}
    return call("POST", "services/add", **params)


def _count_services(db):
    count = db.scalar(select(func.count()).select_from(Service))
    db.commit()
    return count


def test_add_pending_without_module_then_get(call, shop, panel):
    status, body = _add(call, shop, **{"vars[use_module]": "false",
                                       "vars[svcpanel_domain]": "site.test"})
    assert status == 200 and isinstance(body["response"], str)
    service = call("GET", "services/get", service_id=body["response"])[1]["response"]
    assert service["status"] == "pending" and service["client_id"] == shop["client"].id
    assert service["pricing_id"] == shop["monthly"]
    assert service["package_pricing"]["term"] == 1
    assert service["package_pricing"]["period"] == "month"
    assert service["package"]["id"] == shop["product"].id
    assert service["name"] == "site.test"
    assert {"key": "svcpanel_domain", "value": "site.test"}.items() <= \
        service["fields"][0].items()
    assert panel.calls == []


def test_add_active_provisions_through_the_module(call, shop, panel):
    status, body = _add(call, shop, **{"vars[status]": "active",
                                       "vars[svcpanel_domain]": "shop.test"})
    assert status == 200
    assert panel.calls == ["create:shop.test"]
    service = call("GET", "services/get", service_id=body["response"])[1]["response"]
    assert service["status"] == "active"
    fields = {f["key"]: f["value"] for f in service["fields"]}
    assert fields["svcpanel_username"] == f"user{body['response']}"
    assert fields["svcpanel_password"] == "s3cret"


def test_module_refusal_rolls_the_add_back(call, shop, panel, db):
    panel.mode = "refuse"
    before = _count_services(db)
    status, body = _add(call, shop, **{"vars[status]": "active"})
    assert status == 400
    assert "refused by panel" in body["errors"]["module"]["error"]
    assert _count_services(db) == before


def test_add_with_use_module_false_activates_directly(call, shop, panel):
    status, body = _add(call, shop, **{"vars[status]": "active", "vars[use_module]": "0"})
    assert status == 200 and panel.calls == []
    got = call("GET", "services/get", service_id=body["response"])[1]["response"]
    assert got["status"] == "active"


def test_add_refuses_unknown_pricing_and_client(call, shop):
    status, body = call("POST", "services/add", **{"vars[pricing_id]": "99999",
                                                   "vars[client_id]": str(shop["client"].id)})
    assert status == 400 and "pricing_id" in body["errors"]
    status, body = call("POST", "services/add", **{"vars[pricing_id]": str(shop["monthly"]),
                                                   "vars[client_id]": "4242"})
    assert status == 400 and "client_id" in body["errors"]


def test_override_price_is_the_recurring_amount(call, shop, db):
    status, body = _add(call, shop, **{"vars[use_module]": "false",
                                       "vars[override_price]": "7.25"})
    assert status == 200
    got = call("GET", "services/get", service_id=body["response"])[1]["response"]
    assert got["override_price"] == "7.2500" and got["override_currency"] == "USD"
    assert db.get(Service, int(body["response"])).recurring_amount == Decimal("7.25")
    db.commit()


def test_lists_follow_blesta_statuses(call, shop, factories, db):
    client = shop["client"]
    factories.service(client=client, product=shop["plain"], status="active")
    factories.service(client=client, product=shop["plain"], status="terminated")
    factories.service(client=client, product=shop["plain"], status="pending")
    other = factories.client()
    factories.service(client=other, product=shop["plain"], status="active")
    db.commit()
    assert call("GET", "services/getListCount", client_id=client.id)[1]["response"] == 1
    assert call("GET", "services/getListCount", client_id=client.id,
                status="canceled")[1]["response"] == 1
    assert call("GET", "services/getListCount", status="all")[1]["response"] == 4
    listed = call("GET", "services/getList", client_id=client.id, status="all")[1]["response"]
    assert sorted(s["status"] for s in listed) == ["active", "canceled", "pending"]
    by_client = call("GET", "services/getAllByClient", client_id=client.id)[1]["response"]
    assert [s["status"] for s in by_client] == ["active"]
    assert by_client[0]["package"]["pricing"][0]["price"] == "5.0000"
    assert call("GET", "services/getStatusCount", client_id=client.id,
                status="pending")[1]["response"] == 1


def test_suspend_and_unsuspend_through_the_module(call, shop, panel):
    service_id = _add(call, shop, **{"vars[status]": "active"})[1]["response"]
    status, body = call("POST", "services/suspend", service_id=service_id,
                        **{"vars[suspension_reason]": "abuse"})
    assert status == 200 and body["response"] is None
    got = call("GET", "services/get", service_id=service_id)[1]["response"]
    assert got["status"] == "suspended" and got["suspension_reason"] == "abuse"
    assert got["date_suspended"] is not None
    assert call("POST", "services/unsuspend", service_id=service_id)[0] == 200
    assert call("GET", "services/get", service_id=service_id)[1]["response"]["status"] \
        == "active"
    assert panel.calls[1:] == ["suspend:abuse", "unsuspend"]


def test_suspending_a_pending_service_is_refused(call, shop):
    service_id = _add(call, shop, **{"vars[use_module]": "false"})[1]["response"]
    status, body = call("POST", "services/suspend", service_id=service_id)
    assert status == 400 and "pending" in body["errors"]["_"]["conflict"]


def test_cancel_at_end_of_term_then_now(call, shop, panel, db):
    service_id = _add(call, shop, **{"vars[status]": "active"})[1]["response"]
    status, _ = call("POST", "services/cancel", service_id=service_id,
                     **{"vars[date_canceled]": "end_of_term",
                        "vars[cancellation_reason]": "moving"})
    assert status == 200
    got = call("GET", "services/get", service_id=service_id)[1]["response"]
    assert got["status"] == "active" and got["date_canceled"] == got["date_renews"]
    assert call("GET", "services/getListCount",
                status="scheduled_cancellation")[1]["response"] == 1
    assert db.scalar(select(CancellationRequest.kind)) == "end_of_period"
    db.commit()
    other_id = _add(call, shop, **{"vars[status]": "active"})[1]["response"]
    # vars is a required argument of Services::cancel: without it Blesta answers 500
    assert call("POST", "services/cancel", service_id=other_id)[0] == 500
    assert call("POST", "services/cancel", service_id=other_id,
                **{"vars[use_module]": "true"})[0] == 200
    got = call("GET", "services/get", service_id=other_id)[1]["response"]
    assert got["status"] == "canceled" and got["date_canceled"] is not None
    assert panel.calls[-1] == "terminate"


def test_un_cancel_withdraws_a_scheduled_cancellation(call, shop, panel, db):
    service_id = _add(call, shop, **{"vars[status]": "active"})[1]["response"]
    status, body = call("POST", "services/unCancel", service_id=service_id)
    assert status == 400 and "scheduled" in body["errors"]["service_id"], body
    call("POST", "services/cancel", service_id=service_id,
         **{"vars[date_canceled]": "end_of_term"})
    assert call("POST", "services/unCancel", service_id=service_id) == (200, {"response": None})
    got = call("GET", "services/get", service_id=service_id)[1]["response"]
    assert got["status"] == "active" and got["date_canceled"] is None
    assert call("GET", "services/getListCount",
                status="scheduled_cancellation")[1]["response"] == 0
    assert db.scalar(select(CancellationRequest.id)) is None
    db.commit()


def test_cancel_now_keeps_the_reason(call, shop, panel):
    service_id = _add(call, shop, **{"vars[status]": "active"})[1]["response"]
    call("POST", "services/cancel", service_id=service_id,
         **{"vars[use_module]": "false", "vars[cancellation_reason]": "too slow"})
    got = call("GET", "services/get", service_id=service_id)[1]["response"]
    assert got["status"] == "canceled" and got["cancellation_reason"] == "too slow"


def test_edit_changes_term_renew_date_and_status(call, shop, panel):
    service_id = _add(call, shop, **{"vars[status]": "active"})[1]["response"]
    status, body = call("POST", "services/edit", service_id=service_id,
                        **{"vars[pricing_id]": str(shop["yearly"]),
                           "vars[date_renews]": "2031-05-06 00:00:00",
                           "vars[status]": "suspended", "vars[suspension_reason]": "late"})
    assert status == 200 and body["response"] == int(service_id)
    got = call("GET", "services/get", service_id=service_id)[1]["response"]
    assert got["pricing_id"] == shop["yearly"]
    assert got["package_pricing"]["period"] == "year"
    assert got["date_renews"] == "2031-05-06 00:00:00"
    assert got["status"] == "suspended"
    assert panel.calls[-1] == "suspend:late"


def test_edit_to_another_package_goes_through_the_module(call, shop, panel, factories, db):
    bigger = factories.product(prices={"1M": "20.00"}, module="svcpanel")
    price_id = db.scalar(select(Price.id).where(Price.owner_id == bigger.id))
    db.commit()
    service_id = _add(call, shop, **{"vars[status]": "active"})[1]["response"]
    status, _ = call("POST", "services/edit", service_id=service_id,
                     **{"vars[pricing_id]": str(price_id)})
    assert status == 200
    assert panel.calls[-1] == f"change_package:{bigger.id}"
    got = call("GET", "services/get", service_id=service_id)[1]["response"]
    assert got["package"]["id"] == bigger.id and got["pricing_id"] == price_id


def test_other_companies_services_are_invisible(call, factories, db):
    db.add(Company(id=2, name="Other Co"))
    db.flush()
    service = factories.service(client=factories.client(company_id=2))
    db.commit()
    assert call("GET", "services/get", service_id=service.id)[1] == {"response": False}
    status, body = call("POST", "services/suspend", service_id=service.id)
    assert status == 400 and "service_id" in body["errors"]


def test_static_and_computed_helpers(call):
    assert call("GET", "services/getStatusTypes")[1]["response"]["in_review"] == "In Review"
    renew = call("GET", "services/getNextRenewDate", last_renew_date="2024-01-31 10:00:00",
                 term=1, period="month")[1]["response"]
    assert renew == "2024-02-29 10:00:00"
    assert call("GET", "services/getNextRenewDate", last_renew_date="2024-01-31",
                term=1, period="onetime")[1]["response"] is None


def test_service_changes_only_lists_statuses(call):
    assert call("GET", "service_changes/getStatuses")[1]["response"]["pending"] == "Pending"
    status, body = call("GET", "service_changes/get", service_change_id=1)
    assert status == 400 and "unsupported" in body["errors"]["method"]
