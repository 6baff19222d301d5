"""The manual registrar: every write is "queued for staff" with a to-do text; reads answer
from the stored context; syncs cannot tell."""

from __future__ import annotations

import pluggy
import pytest

import hooks.registrar
import plugins.manual_registrar as manual
from hooks import PROJECT, ActionResult, ClientInfo, DomainContext, RegistrarModule
from plugins.manual_registrar import QUEUED, ManualRegistrar

CLIENT = ClientInfo(id=42, first_name="Ada", last_name="Lovelace", email="ada@example.test")


def ctx(**kw) -> DomainContext:
    base = dict(domain_id=7, name="example.com", sld="example", tld="com", client=CLIENT)
    base.update(kw)
    return DomainContext(**base)


def assert_queued(result: ActionResult) -> str:
    assert result.ok is True
    assert result.message == QUEUED == "queued for staff"
    assert set(result.data) == {"todo"}
    todo = result.data["todo"]
    assert isinstance(todo, str) and todo.strip()
    return todo


def test_registered_through_the_hook():
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hooks.registrar)
    pm.register(manual)
    pm.check_pending()
    [[cls]] = pm.hook.register_registrar_modules()
    assert cls is ManualRegistrar and issubclass(cls, RegistrarModule)
    assert cls.name == "manual"


def test_register_todo_names_everything_staff_need():
    todo = assert_queued(ManualRegistrar().register(ctx(
        years=2, nameservers=("ns1.host.test", "ns2.host.test"), id_protection=True,
        contacts={"registrant": {"first_name": "Ada", "last_name": "Lovelace",
                                 "email": "ada@example.test", "country": "GB"}},
        extra_fields={"Nexus Category": "C11"},
    )))
    for fragment in ("Register example.com for 2 years", "client #42", "Ada Lovelace",
                     "<ada@example.test>", "ns1.host.test, ns2.host.test", "ID protection",
                     "registrant: Ada Lovelace, ada@example.test, GB", "Nexus Category: C11",
                     "expiry date"):
        assert fragment in todo, fragment
    assert "expiry_date" not in ManualRegistrar().register(ctx()).data


def test_register_without_nameservers_and_one_year():
    todo = assert_queued(ManualRegistrar().register(ctx()))
    assert "for 1 year " in todo and "registrar's defaults" in todo


def test_transfer_never_copies_the_epp_code_into_the_todo():
    with_code = assert_queued(ManualRegistrar().transfer(ctx(epp_code="s3cr3t-EPP")))
    assert "Transfer example.com in" in with_code
    assert "s3cr3t-EPP" not in with_code
    assert "on the domain record" in with_code
    without = assert_queued(ManualRegistrar().transfer(ctx()))
    assert "ask the client" in without


def test_renew():
    todo = assert_queued(ManualRegistrar().renew(ctx(years=3)))
    assert "Renew example.com for 3 years" in todo


def test_save_nameservers_lists_old_and_new():
    todo = assert_queued(ManualRegistrar().save_nameservers(
        ctx(nameservers=("old1.test", "old2.test")), ["new1.test", "new2.test"]))
    assert "to new1.test, new2.test" in todo and "currently old1.test, old2.test" in todo


def test_save_contacts():
    todo = assert_queued(ManualRegistrar().save_contacts(ctx(), {
        "registrant": {"first_name": "Grace", "last_name": "Hopper", "email": "g@h.test"},
        "tech": {},
    }))
    assert "registrant: Grace Hopper, g@h.test" in todo
    assert "tech: (no details)" in todo


@pytest.mark.parametrize(("locked", "word"), [(True, "Lock example.com"),
                                              (False, "Unlock example.com")])
def test_set_lock(locked, word):
    assert word in assert_queued(ManualRegistrar().set_lock(ctx(), locked))


@pytest.mark.parametrize(("enabled", "word"), [(True, "on"), (False, "off")])
def test_set_id_protection(enabled, word):
    todo = assert_queued(ManualRegistrar().set_id_protection(ctx(), enabled))
    assert f"ID protection (WHOIS privacy) {word} for example.com" in todo


def test_get_epp_code_asks_staff_to_send_it():
    result = ManualRegistrar().get_epp_code(ctx(epp_code="known"))
    todo = assert_queued(result)
    assert "send it to client #42" in todo
    assert "epp_code" not in result.data


def test_reads_answer_from_the_stored_context_without_a_todo():
    stored = ctx(nameservers=("a.test", "b.test"),
                 contacts={"admin": {"first_name": "Ada", "email": "ada@example.test"}})
    ns = ManualRegistrar().get_nameservers(stored)
    assert ns.ok and ns.data == {"nameservers": ["a.test", "b.test"]}
    contacts = ManualRegistrar().get_contacts(stored)
    assert contacts.ok and contacts.data == {
        "contacts": {"admin": {"first_name": "Ada", "email": "ada@example.test"}}}


def test_syncs_cannot_tell():
    assert ManualRegistrar().sync(ctx()) is None
    assert ManualRegistrar().transfer_sync(ctx()) is None


def test_client_label_falls_back_to_company_then_id():
    company = ClientInfo(id=5, company_name="Acme Ltd")
    assert "client #5 (Acme Ltd)" in ManualRegistrar().renew(ctx(client=company)).data["todo"]
    bare = ClientInfo(id=6)
    todo = ManualRegistrar().renew(ctx(client=bare)).data["todo"]
    assert "for client #6," in todo
