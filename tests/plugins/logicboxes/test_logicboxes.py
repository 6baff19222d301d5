"""The LogicBoxes registrar module against the fake LogicBoxes HTTP API in conftest.py
(built from the LogicBoxes / ResellerClub HTTP API knowledge base; see its docstring)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pluggy
import pytest

import hooks.registrar
import plugins.logicboxes as logicboxes
from bridge.errors import ModuleError
from hooks import PROJECT, ClientInfo, DomainContext, validate_config
from plugins.logicboxes import LIVE_URL, TEST_URL, LogicBoxesApi, LogicBoxesModule

# the fake's fixed values (conftest.FakeLogicBoxes); conftest is not importable in importlib mode
RESELLER_ID = "467890"
API_KEY = "k3y/with+chars"
YEAR = 365 * 86400

ADA = ClientInfo(id=42, first_name="Ada", last_name="Lovelace", email="ada@example.test")


def day(epoch: int) -> date:
    return datetime.fromtimestamp(epoch, UTC).date()


@pytest.fixture
def config(fake):
    state, root = fake
    assert (state.reseller_id, state.api_key, state.year) == (RESELLER_ID, API_KEY, YEAR)
    return {"reseller_id": RESELLER_ID, "api_key": API_KEY, "api_url": root}


@pytest.fixture
def ctx(config):
    def build(name: str = "example.com", **kw) -> DomainContext:
        sld, _, tld = name.partition(".")
        values = dict(domain_id=7, name=name, sld=sld, tld=tld, client=ADA, config=config)
        values["config"] = {**config, **kw.pop("config", {})}
        values.update(kw)
        return DomainContext(**values)
    return build


@pytest.fixture
def module():
    return LogicBoxesModule({"timeout": 5})


# -- registration with the host ---------------------------------------------------------------


def test_registered_through_the_hook_and_config_fields_validate():
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hooks.registrar)
    pm.register(logicboxes)
    pm.check_pending()
    assert pm.hook.register_registrar_modules() == [[LogicBoxesModule]]
    fields = LogicBoxesModule.config_fields
    clean, errors = validate_config(fields, {"reseller_id": "123", "api_key": "k",
                                             "admin_contact_id": "-1"})
    assert errors == {}
    assert clean["test_mode"] == "0" and clean["invoice_option"] == "NoInvoice"
    _, errors = validate_config(fields, {"reseller_id": "abc", "invoice_option": "Free"})
    assert set(errors) == {"reseller_id", "api_key", "invoice_option"}
    assert [f.name for f in fields if f.secret] == ["api_key"]


def test_api_root_follows_test_mode_and_override():
    base = {"reseller_id": "1", "api_key": "k"}
    assert LogicBoxesApi(base).root == LIVE_URL == "https://httpapi.com/api"
    assert LogicBoxesApi({**base, "test_mode": "1"}).root == TEST_URL
    assert LogicBoxesApi({**base, "test_mode": "1", "api_url": "http://x.test/api/"}).root == (
        "http://x.test/api")
    with pytest.raises(ModuleError, match="reseller_id and api_key"):
        LogicBoxesApi({"reseller_id": "1"})


# -- availability -----------------------------------------------------------------------------


def test_check_availability_groups_by_label_and_maps_statuses(fake, config, module):
    state, _ = fake
    state.add_order("taken.com")
    names = ["free.com", "Free.NET", "taken.com", "google.com", "free.xyz", "localhost",
             "flaky.com"]
    result = module.check_availability(names, config)
    assert [(a.name, a.status) for a in result] == [
        ("free.com", "available"), ("Free.NET", "available"), ("taken.com", "registered"),
        ("google.com", "registered"), ("free.xyz", "unsupported"),
        ("localhost", "unsupported"), ("flaky.com", "unsupported"),
    ]
    calls = [c for c in state.calls if c.path == "domains/available"]
    assert all(c.method == "GET" for c in calls)
    by_label = {c.params["domain-name"][0]: c.params["tlds"] for c in calls}
    assert by_label == {"free": ["com", "net", "xyz"], "taken": ["com"], "google": ["com"],
                        "flaky": ["com"]}


def test_check_availability_refused_is_a_module_error(fake, config, module):
    with pytest.raises(ModuleError, match="Invalid credentials"):
        module.check_availability(["a.com"], {**config, "api_key": "wrong"})


# -- register ---------------------------------------------------------------------------------


def test_register_finds_customer_by_email_and_uses_default_contacts(fake, ctx, module):
    state, _ = fake
    result = module.register(ctx(years=2, nameservers=("ns1.host.test", "ns2.host.test")))
    assert result.ok, result.message
    order = state.orders["example.com"]
    assert result.data == {"order_id": str(order.orderid), "expiry_date": day(state.now + 2 * YEAR)}
    assert result.message == "Registration of example.com completed"
    assert state.paths() == ["GET customers/details", "POST contacts/default",
                             "POST domains/register", "GET domains/details-by-name"]
    sent = state.calls[2].params
    assert sent["ns"] == ["ns1.host.test", "ns2.host.test"]
    assert sent["years"] == ["2"] and sent["customer-id"] == ["1001"]
    assert [sent[f"{p}-contact-id"][0] for p in ("reg", "admin", "tech", "billing")] == [
        "2001", "2002", "2003", "2004"]
    assert sent["invoice-option"] == ["NoInvoice"]
    assert "protect-privacy" not in sent
    assert state.calls[1].params["type"] == ["Contact"]


def test_register_with_configured_customer_and_contacts_asks_nothing_else(fake, ctx, module):
    state, _ = fake
    ids = {"customer_id": "1001", "registrant_contact_id": "3001", "admin_contact_id": "-1",
           "tech_contact_id": "2003", "billing_contact_id": "2004",
           "invoice_option": "KeepInvoice"}
    result = module.register(ctx(nameservers=("a.test", "b.test"), config=ids))
    assert result.ok, result.message
    assert state.paths() == ["POST domains/register", "GET domains/details-by-name"]
    sent = state.calls[0].params
    assert sent["reg-contact-id"] == ["3001"] and sent["admin-contact-id"] == ["-1"]
    assert sent["invoice-option"] == ["KeepInvoice"]


def test_register_with_privacy_and_default_nameservers(fake, ctx, module):
    state, _ = fake
    result = module.register(ctx(id_protection=True,
                                 config={"default_nameservers": "d1.test, d2.test"}))
    assert result.ok, result.message
    sent = state.calls[2].params
    assert sent["ns"] == ["d1.test", "d2.test"]
    assert sent["purchase-privacy"] == ["true"] and sent["protect-privacy"] == ["true"]
    assert state.orders["example.com"].privacy is True


def test_register_without_any_nameserver_is_refused_before_calling(fake, ctx, module):
    state, _ = fake
    result = module.register(ctx())
    assert not result.ok and "no nameservers" in result.message
    assert state.calls == []


def test_register_refusals_are_results(fake, ctx, module):
    state, _ = fake
    state.add_order("example.com")
    taken = module.register(ctx(nameservers=("a.test", "b.test")))
    assert not taken.ok and taken.message == "Domain example.com already registered"
    assert taken.raw["status"] == "ERROR"

    stranger = ClientInfo(id=9, email="nobody@example.test")
    unknown = module.register(ctx("new.com", client=stranger, nameservers=("a.test",)))
    assert not unknown.ok
    assert "no LogicBoxes customer with username nobody@example.test" in unknown.message

    bare = ClientInfo(id=10, email="nocontacts@example.test")
    no_contacts = module.register(ctx("new.com", client=bare, nameservers=("a.test",)))
    assert not no_contacts.ok and "has no default registrant, admin" in no_contacts.message

    no_email = module.register(ctx("new.com", client=ClientInfo(id=11), nameservers=("a",)))
    assert not no_email.ok and "no email address" in no_email.message
    assert "new.com" not in state.orders


def test_json_error_with_http_error_status_is_still_a_refusal(fake, ctx, module):
    state, _ = fake
    state.error_http_status = 500
    result = module.register(ctx(client=ClientInfo(id=9, email="nobody@example.test"),
                                 nameservers=("a.test",)))
    assert not result.ok and "Customer nobody@example.test not found" in result.message


# -- transfer ---------------------------------------------------------------------------------


def test_transfer_and_transfer_sync_follow_the_order(fake, ctx, module):
    state, _ = fake
    result = module.transfer(ctx("moving.net", epp_code="Auth#Code", nameservers=("a.test",)))
    assert result.ok, result.message
    order = state.orders["moving.net"]
    assert result.data == {"order_id": str(order.orderid)}
    sent = next(c for c in state.calls if c.path == "domains/transfer").params
    assert sent["auth-code"] == ["Auth#Code"] and sent["ns"] == ["a.test"]
    assert sent["protect-privacy"] == ["false"]

    pending = module.transfer_sync(ctx("moving.net"))
    assert pending is not None and pending.status == "pending_transfer"

    order.currentstatus, order.endtime = "Active", state.now + 400 * 86400
    done = module.transfer_sync(ctx("moving.net"))
    assert done is not None
    assert (done.status, done.expiry_date) == ("active", day(state.now + 400 * 86400))

    order.currentstatus = "Deleted"
    failed = module.transfer_sync(ctx("moving.net"))
    assert failed is not None and failed.status == "transfer_failed"
    assert str(order.orderid) in failed.message
    assert module.transfer_sync(ctx("unknown.net")) is None


def test_transfer_failed_action_is_a_result(fake, ctx, module):
    result = module.transfer(ctx("moving.net", epp_code="bad-code"))
    assert not result.ok and result.message == "Invalid Domain Secret (auth-code)"
    assert result.raw["actionstatus"] == "Failed"


# -- renew ------------------------------------------------------------------------------------


def test_renew_sends_the_current_expiry_and_returns_the_new_one(fake, ctx, module):
    state, _ = fake
    order = state.add_order("example.com", endtime=state.now + 30 * 86400)
    old_end = order.endtime
    result = module.renew(ctx(years=2))
    assert result.ok, result.message
    sent = next(c for c in state.calls if c.path == "domains/renew").params
    assert sent["order-id"] == [str(order.orderid)] and sent["exp-date"] == [str(old_end)]
    assert sent["years"] == ["2"] and sent["auto-renew"] == ["false"]
    assert result.data == {"expiry_date": day(old_end + 2 * YEAR)}
    assert day(old_end + 2 * YEAR) - day(old_end) >= timedelta(days=729)


def test_renew_of_an_unknown_domain_is_refused(fake, ctx, module):
    result = module.renew(ctx("nowhere.com"))
    assert not result.ok and "doesn't exist for nowhere.com" in result.message


# -- nameservers, lock, privacy, EPP ----------------------------------------------------------


def test_nameservers_read_and_write(fake, ctx, module):
    state, _ = fake
    state.add_order("example.com", ns=[f"ns{i}.seed.test" for i in range(1, 12)])
    got = module.get_nameservers(ctx())
    assert got.ok and got.data["nameservers"] == [f"ns{i}.seed.test" for i in range(1, 12)]
    saved = module.save_nameservers(ctx(), ["ns1.new.test", " ns2.new.test ", ""])
    assert saved.ok and saved.message == "Modification of Nameservers of example.com completed"
    assert state.orders["example.com"].ns == ["ns1.new.test", "ns2.new.test"]
    before = len(state.calls)
    assert not module.save_nameservers(ctx(), [" "]).ok
    assert len(state.calls) == before
    assert not module.get_nameservers(ctx("nowhere.com")).ok


def test_lock_and_unlock_use_theft_protection(fake, ctx, module):
    state, _ = fake
    state.add_order("example.com", orderstatus=set())
    assert module.set_lock(ctx(), True).ok
    assert "transferlock" in state.orders["example.com"].orderstatus
    assert module.sync(ctx()).locked is True
    assert module.set_lock(ctx(), False).ok
    assert module.sync(ctx()).locked is False
    assert [c.path for c in state.calls if "theft" in c.path] == [
        "domains/enable-theft-protection", "domains/disable-theft-protection"]
    assert not module.set_lock(ctx("nowhere.com"), True).ok


def test_id_protection(fake, ctx, module):
    state, _ = fake
    state.add_order("example.com")
    assert module.set_id_protection(ctx(), True).ok
    assert state.orders["example.com"].privacy is True
    assert module.set_id_protection(ctx(), False).ok
    assert state.orders["example.com"].privacy is False
    sent = [c.params for c in state.calls if c.path == "domains/modify-privacy-protection"]
    assert [p["protect-privacy"] for p in sent] == [["true"], ["false"]]
    assert all(p["reason"] for p in sent)


def test_epp_code_comes_from_domsecret_and_is_not_in_raw(fake, ctx, module):
    state, _ = fake
    state.add_order("example.com", domsecret="Xy9#code")
    result = module.get_epp_code(ctx())
    assert result.ok and result.data == {"epp_code": "Xy9#code"} and result.raw is None
    options = next(c for c in state.calls if c.path == "domains/details-by-name").params
    assert options["options"] == ["OrderDetails"]
    state.orders["example.com"].domsecret = ""
    assert not module.get_epp_code(ctx()).ok


# -- sync -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "end_offset", "status"), [
    ("Active", 100 * 86400, "active"),
    ("Active", -5 * 86400, "expired"),
    ("Suspended", 100 * 86400, "active"),
    ("Pending Delete Restorable", -40 * 86400, "expired"),
    ("Deleted", 100 * 86400, "cancelled"),
    ("Archived", 100 * 86400, "cancelled"),
])
def test_sync_maps_order_status(fake, ctx, module, current, end_offset, status):
    state, _ = fake
    state.add_order("example.com", currentstatus=current, endtime=state.now + end_offset)
    got = module.sync(ctx())
    assert got is not None
    assert got.status == status
    assert got.expiry_date == day(state.now + end_offset)
    assert got.nameservers == ("ns1.seed.test", "ns2.seed.test")


def test_sync_cannot_tell_for_inactive_or_unknown_orders(fake, ctx, module):
    state, _ = fake
    state.add_order("example.com", currentstatus="InActive")
    assert module.sync(ctx()) is None
    assert module.sync(ctx("nowhere.com")) is None


# -- could not even ask -----------------------------------------------------------------------


def test_connection_refused_is_a_module_error_without_the_key(ctx, module):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ModuleError) as caught:
        module.get_nameservers(ctx(config={"api_url": f"http://127.0.0.1:{port}/api"}))
    text = caught.value.message
    assert "could not reach 127.0.0.1" in text
    assert API_KEY not in text and "k3y%2Fwith%2Bchars" not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_timeout_is_a_module_error(fake, ctx):
    with pytest.raises(ModuleError, match="no answer from 127.0.0.1:[0-9]+ within 0.2s"):
        LogicBoxesModule({"timeout": 0.2}).sync(ctx("slow.com"))


@pytest.mark.parametrize(("domain", "text"), [
    ("garbage.com", "HTTP 200 with a body that is not JSON"),
    ("boom.com", "HTTP 502 with a body that is not JSON"),
])
def test_unreadable_answers_are_module_errors(fake, ctx, module, domain, text):
    with pytest.raises(ModuleError, match=text):
        module.get_epp_code(ctx(domain))


def test_bad_credentials_are_refusals_naming_the_cause(fake, ctx, module):
    result = module.get_nameservers(ctx(config={"api_key": "wrong"}))
    assert not result.ok and "Invalid credentials" in result.message
