"""WHMCS Client group: clients, details and stats, groups, passwords, emails."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

import bridge.models.affiliates  # noqa: F401  (tables in the test schema)
import bridge.models.mail  # noqa: F401
import bridge.models.sso  # noqa: F401
from bridge.db import utcnow
from bridge.models import (
    Client,
    ClientGroup,
    Contact,
    Currency,
    CustomField,
    Invoice,
    Service,
    User,
)
from bridge.models.mail import OutboxMessage
from bridge.testing import make_client, make_product, make_service
from compat.whmcs.api.params import encode_serialized_b64

CLIENT = {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com",
          "address1": "1 Engine St", "city": "London", "state": "London",
          "postcode": "N1", "country": "GB", "phonenumber": "020 7000 0000"}


@pytest.fixture
def ada(call):
    status, body = call("AddClient", password2="pw-ada-123", **CLIENT)
    assert body["result"] == "success", body
    return int(body["clientid"])


def details(call, **params):
    status, body = call("GetClientsDetails", **params)
    assert status == 200
    return body


# -- AddClient ---------------------------------------------------------------------------------


def test_add_client_stores_custom_fields_and_checks_required_ones(call, seed):
    ids = seed(lambda s: [_field(s, "Referrer", required=True), _field(s, "VAT")])
    status, body = call("AddClient", **CLIENT)
    assert body == {"result": "error",
                    "message": "You did not provide required custom field value for Referrer"}
    fields = encode_serialized_b64({str(ids[0]): "search", str(ids[1]): "GB123"})
    _, body = call("AddClient", customfields=fields, **CLIENT)
    client = details(call, clientid=body["clientid"])["client"]
    assert client["customfields"] == [{"id": ids[0], "value": "search"},
                                      {"id": ids[1], "value": "GB123"}]
    assert (client["customfields1"], client["customfields2"]) == ("search", "GB123")


def _field(session, name, **kw):
    field = CustomField(owner_type="client", name=name, **kw)
    session.add(field)
    session.flush()
    return field.id


def test_add_client_rejects_an_unknown_owner_user(call):
    assert call("AddClient", owner_user_id=999, **CLIENT)[1] == {
        "result": "error", "message": "Invalid Owner User ID"}


# -- GetClientsDetails -------------------------------------------------------------------------


def test_details_shape_types_and_legacy_duplication(call, ada):
    body = details(call, clientid=ada)
    client = body["client"]
    assert body["result"] == "success" and "stats" not in body
    assert client["id"] == client["userid"] == client["client_id"] == ada
    assert client["owner_user_id"] == client["users"]["user"][0]["id"] > 0
    assert client["users"]["user"][0] == {"id": client["owner_user_id"], "name": "Ada Lovelace",
                                          "email": "ada@example.com", "is_owner": True}
    assert client["fullname"] == "Ada Lovelace" and client["status"] == "Active"
    assert client["countryname"] == "United Kingdom" and client["phonecc"] == "44"
    assert client["phonenumberformatted"] == "+44.2070000000"
    assert client["credit"] == "0.00" and client["currency_code"] == "USD"
    assert isinstance(client["currency"], int) and client["currency"] > 0
    for flag in ("taxexempt", "latefeeoveride", "overideduenotices", "separateinvoices",
                 "disableautocc", "emailoptout", "email_verified", "isOptedInToMarketingEmails"):
        assert client[flag] is False, flag
    assert client["email_preferences"] == {k: "1" for k in (
        "general", "invoice", "support", "product", "domain", "affiliate")}
    assert client["lastlogin"] == "No Login Logged"
    # the deprecated copy of every client key at the top level
    for key, value in client.items():
        assert body[key] == value, key


def test_details_by_email_and_errors(call, ada):
    assert details(call, email="ADA@example.com")["client"]["id"] == ada
    assert details(call) == {"result": "error", "message": "Either clientid Or email Is Required"}
    assert details(call, clientid=999) == {"result": "error", "message": "Client Not Found"}
    assert details(call, email="nobody@example.com")["message"] == "Client Not Found"


def test_details_stats(call, ada, seed):
    today = utcnow().date()

    def fill(session):
        session.scalar(select(Currency).where(Currency.code == "USD")).suffix = " USD"
        for status, total, due in (("unpaid", "100.00", today - timedelta(days=3)),
                                   ("unpaid", "20.50", today + timedelta(days=9)),
                                   ("paid", "15.00", today)):
            session.add(Invoice(client_id=ada, status=status, currency="USD", date=today,
                                due_date=due, subtotal=Decimal(total), total=Decimal(total),
                                amount_paid=Decimal(total) if status == "paid" else 0))
        client = session.get(Client, ada)
        hosting = make_product(session, type="hosting")
        make_service(session, client=client, product=hosting)
        make_service(session, client=client, product=hosting, status="suspended")
        make_service(session, client=client, product=make_product(session, type="other"))
    seed(fill)
    stats = details(call, clientid=ada, stats="true")["stats"]
    assert stats["numunpaidinvoices"] == stats["numdueinvoices"] == 2
    assert stats["unpaidinvoicesamount"] == "$120.50 USD"
    assert stats["dueinvoicesbalance"] == "$120.50 USD"
    assert (stats["numoverdueinvoices"], stats["overdueinvoicesbalance"]) == (1, "$100.00 USD")
    assert (stats["numpaidinvoices"], stats["paidinvoicesamount"]) == (1, "$15.00 USD")
    assert stats["numDraftInvoices"] == 0 and stats["draftInvoicesBalance"] == "$0.00 USD"
    assert (stats["productsnumhosting"], stats["productsnumactivehosting"]) == (2, 1)
    assert (stats["productsnumother"], stats["productsnumactiveother"]) == (1, 1)
    assert (stats["productsnumtotal"], stats["productsnumactive"]) == (3, 2)
    assert stats["incredit"] is False and stats["isAffiliate"] is False
    assert stats["numdomains"] == 0 and stats["numtickets"] == 0


# -- UpdateClient ------------------------------------------------------------------------------


def test_update_client_maps_fields_flags_and_status(call, ada, seed):
    group = seed(lambda s: _group(s))
    status, body = call("UpdateClient", clientid=ada, firstname="Augusta", taxexempt="true",
                        groupid=group, status="Inactive", paymentmethod="paypal",
                        **{"email_preferences[invoice]": "0"})
    assert body == {"result": "success", "clientid": str(ada)}
    client = details(call, clientid=ada)["client"]
    assert client["firstname"] == "Augusta" and client["lastname"] == "Lovelace"
    assert client["taxexempt"] is True and client["groupid"] == group
    assert client["status"] == "Inactive" and client["defaultgateway"] == "paypal"
    assert client["email_preferences"]["invoice"] == "0"
    assert client["email_preferences"]["general"] == "1"


def _group(session):
    group = ClientGroup(name="VIP", color="#28C99B", discount_percent=Decimal("10"),
                        exempt_suspend_terminate=True)
    session.add(group)
    session.flush()
    return group.id


def test_update_client_errors(call, ada):
    call("AddClient", **dict(CLIENT, email="other@example.com"))
    assert call("UpdateClient", clientid=999, firstname="x")[1]["message"] == \
        "Client ID Not Found"
    assert call("UpdateClient", firstname="x")[1]["message"] == "Client ID Not Found"
    assert call("UpdateClient", clientid=ada, email="other@example.com")[1]["message"] == \
        "Duplicate Email Address"
    assert call("UpdateClient", clientid=ada, email="not-an-email")[1]["message"] == \
        "The email address entered is not valid"
    _, body = call("UpdateClient", clientid=ada, **{"email_preferences[domain]": "0"})
    assert body["message"].startswith("You must have at least one email address enabled")


def test_update_client_by_email(call, ada):
    _, body = call("UpdateClient", clientemail="ada@example.com", city="Paris")
    assert body["clientid"] == str(ada)
    assert details(call, clientid=ada)["client"]["city"] == "Paris"


# -- CloseClient / DeleteClient ----------------------------------------------------------------


def test_close_client_cancels_services(call, ada, seed):
    service_id = seed(lambda s: make_service(s, client=s.get(Client, ada)).id)
    assert call("CloseClient", clientid=ada)[1] == {"result": "success", "clientid": str(ada)}
    assert details(call, clientid=ada)["client"]["status"] == "Closed"
    assert seed(lambda s: s.get(Service, service_id).status) == "cancelled"
    assert call("CloseClient", clientid=999)[1]["message"] == "Client ID Not Found"


def test_delete_client_and_its_users(call, ada, seed):
    seed(lambda s: make_service(s, client=s.get(Client, ada)))
    assert call("DeleteClient", clientid=ada, deleteusers=1)[1] == {
        "result": "success", "clientid": str(ada)}
    assert details(call, clientid=ada)["message"] == "Client Not Found"
    assert seed(lambda s: s.scalar(select(User).where(User.email == "ada@example.com"))) is None
    assert call("DeleteClient", clientid=ada)[1]["message"] == "Client ID Not Found"


def test_delete_client_keeps_users_by_default(call, ada, seed):
    call("DeleteClient", clientid=ada)
    assert seed(lambda s: s.scalar(select(User.id).where(User.email == "ada@example.com")))


# -- groups, password, emails ------------------------------------------------------------------


def test_get_client_groups(call, seed):
    group = seed(_group)
    _, body = call("GetClientGroups")
    assert body == {"result": "success", "totalresults": 1, "groups": {"group": [
        {"id": group, "groupname": "VIP", "groupcolour": "#28C99B", "discountpercent": "10.00",
         "susptermexempt": "on", "separateinvoices": ""}]}}


def test_get_client_password_returns_the_owner_hash(call, ada, seed):
    stored = seed(lambda s: s.scalar(select(User.password_hash).where(
        User.email == "ada@example.com")))
    assert call("GetClientPassword", userid=ada)[1] == {"result": "success",
                                                        "password": stored}
    assert call("GetClientPassword", email="ada@example.com")[1]["password"].startswith(
        "$argon2")
    assert call("GetClientPassword", userid=999)[1]["message"] == "Client ID Not Found"


def test_get_emails_lists_the_clients_outbox(call, ada, seed):
    def fill(session):
        other = make_client(session)
        for client_id, subject, status in ((ada, "Welcome aboard", "sent"),
                                           (ada, "Invoice 7", "queued"),
                                           (other.id, "Not for ada", "sent")):
            session.add(OutboxMessage(client_id=client_id, recipients=["ada@example.com"],
                                      subject=subject, body="<p>Hi</p>", status=status))
    seed(fill)
    _, body = call("GetEmails", clientid=ada)
    assert (body["totalresults"], body["numreturned"]) == (2, 2)
    newest = body["emails"]["email"][0]
    assert newest["subject"] == "Invoice 7" and newest["pending"] == 1
    assert newest["userid"] == ada and newest["to"] == "ada@example.com"
    assert newest["message"] == "<p>Hi</p>" and newest["failed"] == 0
    _, found = call("GetEmails", clientid=ada, subject="come")
    assert [e["subject"] for e in found["emails"]["email"]] == ["Welcome aboard"]
    _, paged = call("GetEmails", clientid=ada, limitstart=1, limitnum=1)
    assert paged["numreturned"] == 1 and paged["startnumber"] == 1
    assert call("GetEmails", clientid=999)[1]["message"] == "Client ID Not Found"


def test_details_xml(call, ada):
    _, text = call("GetClientsDetails", clientid=ada, fmt="xml")
    root = ET.fromstring(text.encode())
    assert root.findtext("result") == "success"
    assert root.findtext("client/email") == "ada@example.com"
    assert root.findtext("client/users/user/email") == "ada@example.com"
    assert root.findtext("email") == "ada@example.com"  # the legacy top-level copy


def test_contact_counts_do_not_leak_between_clients(call, ada, seed):
    seed(lambda s: s.add(Contact(client_id=make_client(s).id, email="x@example.com",
                                 email_preferences=["domain"])))
    _, body = call("UpdateClient", clientid=ada, **{"email_preferences[domain]": "0"})
    assert body["result"] == "error"  # another client's contact does not receive ada's mail


def test_stats_dates_are_not_naive(call, ada, seed):
    seed(lambda s: s.add(Invoice(client_id=ada, status="unpaid", currency="USD",
                                 date=date(2020, 1, 1), due_date=date(2020, 1, 2),
                                 total=Decimal("5.00"))))
    stats = details(call, clientid=ada, stats=1)["stats"]
    assert stats["numoverdueinvoices"] == 1


# -- contacts ----------------------------------------------------------------------------------


def test_contacts_add_list_update_delete(call, ada):
    _, body = call("AddContact", clientid=ada, firstname="Charles", lastname="Babbage",
                   email="charles@example.com", country="gb",
                   **{"email_preferences[invoice]": "1", "email_preferences[domain]": "1"})
    assert body == {"result": "success", "contactid": body["contactid"]}
    contact_id = int(body["contactid"])
    _, listing = call("GetContacts", userid=ada)
    assert (listing["totalresults"], listing["numreturned"]) == (1, 1)
    row = listing["contacts"]["contact"][0]
    assert row["id"] == contact_id and row["userid"] == ada and row["country"] == "GB"
    assert row["invoiceemails"] is True and row["domainemails"] is True
    assert row["generalemails"] is False and row["created_at"] != "0000-00-00 00:00:00"
    _, body = call("UpdateContact", contactid=contact_id, city="Cambridge",
                   **{"email_preferences[general]": "1"})
    assert body == {"result": "success", "contactid": str(contact_id)}
    row = call("GetContacts", email="charles@example.com")[1]["contacts"]["contact"][0]
    assert row["city"] == "Cambridge" and row["lastname"] == "Babbage"
    assert (row["generalemails"], row["invoiceemails"]) == (True, True)  # merged, not replaced
    assert call("GetContacts", firstname="Nobody")[1]["numreturned"] == 0
    assert call("DeleteContact", contactid=contact_id)[1] == {"result": "success",
                                                              "contactid": str(contact_id)}
    assert call("GetContacts", userid=ada)[1]["totalresults"] == 0


def test_contact_errors_and_subaccount_warning(call, ada):
    assert call("AddContact", clientid=999, firstname="x")[1]["message"] == "Client ID Not Found"
    assert call("UpdateContact", contactid=999)[1]["message"] == "Contact ID Not Found"
    assert call("DeleteContact", contactid=999)[1]["message"] == "Contact ID Not Found"
    _, body = call("AddContact", clientid=ada, email="c@example.com", password2="pw")
    assert body["result"] == "success"
    assert body["warning"] == ("Sub Accounts are no longer supported. Please use AddUser and "
                               "CreateClientInvite")
    assert call("AddContact", clientid=ada, email="C@example.com")[1]["message"] == \
        "Duplicate Email Address"


# -- GetClientsProducts ------------------------------------------------------------------------

PRODUCT_KEYS = [
    "id", "qty", "clientid", "orderid", "ordernumber", "pid", "regdate", "name",
    "translated_name", "groupname", "translated_groupname", "domain", "dedicatedip", "serverid",
    "servername", "serverip", "serverhostname", "suspensionreason", "firstpaymentamount",
    "recurringamount", "paymentmethod", "paymentmethodname", "billingcycle", "nextduedate",
    "status", "username", "password", "subscriptionid", "promoid", "overideautosuspend",
    "overidesuspenduntil", "ns1", "ns2", "assignedips", "notes", "diskusage", "disklimit",
    "bwusage", "bwlimit", "lastupdate", "customfields", "configoptions"]


def _full_service(session, client_id):
    from bridge.models import (
        ConfigOption,
        ConfigOptionGroup,
        ConfigOptionValue,
        CustomFieldValue,
        ModuleSetting,
        Order,
        Server,
        ServiceConfigOption,
    )
    from bridge.services.common import secret_box

    product = make_product(session, prices={"3M": "30.00"}, name="Starter")
    server = Server(name="Saturn", ip_address="1.2.3.4", hostname="saturn.example.com")
    order = Order(client_id=client_id, number="456789", currency="USD")
    session.add_all([server, order])
    if session.scalar(select(ModuleSetting.id).where(ModuleSetting.module == "paypal")) is None:
        session.add(ModuleSetting(kind="gateway", module="paypal", display_name="PayPal"))
    session.flush()
    service = make_service(
        session, client=session.get(Client, client_id), product=product, server_id=server.id,
        order_id=order.id, billing_cycle="3M", status="suspended", domain="ada.example",
        username="ada1", password_enc=secret_box(session).encrypt("s3cret!"),
        payment_method="paypal", recurring_amount=Decimal("30.5"),
        assigned_ips=["10.0.0.1", "10.0.0.2"], suspend_reason="Overdue")
    group = ConfigOptionGroup(name="Extras")
    disk = ConfigOption(group=group, name="Disk", option_type="select")
    big = ConfigOptionValue(option=disk, name="50 GB")
    ips = ConfigOption(group=group, name="IPs", option_type="quantity", sort_order=1)
    field = CustomField(owner_type="product", owner_id=product.id, name="Hostname")
    session.add_all([group, disk, big, ips, field])
    session.flush()
    session.add_all([ServiceConfigOption(service_id=service.id, option_id=disk.id,
                                         value_id=big.id),
                     ServiceConfigOption(service_id=service.id, option_id=ips.id, quantity=3),
                     CustomFieldValue(field_id=field.id, entity_id=service.id, value="web1")])
    session.flush()
    return {"service": service.id, "product": product.id, "server": server.id,
            "order": order.id, "disk": disk.id, "ips": ips.id, "field": field.id}


def test_clients_products_full_row(call, ada, seed):
    ids = seed(lambda s: _full_service(s, ada))
    _, body = call("GetClientsProducts", clientid=ada)
    assert (body["clientid"], body["serviceid"], body["pid"], body["domain"]) == (
        str(ada), None, None, None)
    assert (body["totalresults"], body["startnumber"], body["numreturned"]) == (1, 0, 1)
    row = body["products"]["product"][0]
    assert list(row) == PRODUCT_KEYS
    assert row["id"] == str(ids["service"]) and row["pid"] == str(ids["product"])
    assert (row["orderid"], row["ordernumber"]) == (str(ids["order"]), "456789")
    assert (row["name"], row["groupname"]) == ("Starter", "Hosting")
    assert (row["servername"], row["serverip"], row["serverhostname"]) == (
        "Saturn", "1.2.3.4", "saturn.example.com")
    assert row["password"] == "s3cret!" and row["username"] == "ada1"
    assert (row["status"], row["billingcycle"]) == ("Suspended", "Quarterly")
    assert (row["recurringamount"], row["firstpaymentamount"]) == ("30.50", "10.00")
    assert (row["paymentmethod"], row["paymentmethodname"]) == ("paypal", "PayPal")
    assert (row["regdate"], row["nextduedate"]) == ("2026-01-01", "2026-02-01")
    assert row["overidesuspenduntil"] == "0000-00-00"
    assert row["lastupdate"] == "0000-00-00 00:00:00"
    assert row["assignedips"] == "10.0.0.1\n10.0.0.2"
    assert row["suspensionreason"] == "Overdue"
    assert row["configoptions"] == {"configoption": [
        {"id": str(ids["disk"]), "option": "Disk", "type": "dropdown", "value": "50 GB"},
        {"id": str(ids["ips"]), "option": "IPs", "type": "quantity", "value": "3"}]}
    assert row["customfields"] == {"customfield": [
        {"id": str(ids["field"]), "name": "Hostname", "translated_name": "Hostname",
         "value": "web1"}]}


def test_clients_products_filters_and_paging(call, ada, seed):
    def fill(session):
        client = session.get(Client, ada)
        return [make_service(session, client=client, domain=f"s{n}.example").id
                for n in range(3)] + [make_service(session).id]
    ids = seed(fill)
    assert call("GetClientsProducts")[1]["totalresults"] == 4
    _, page = call("GetClientsProducts", clientid=ada, limitstart=2, limitnum=2)
    assert (page["totalresults"], page["numreturned"]) == (3, 1)
    assert page["products"]["product"][0]["id"] == str(ids[2])
    _, one = call("GetClientsProducts", serviceid=ids[1])
    assert [p["domain"] for p in one["products"]["product"]] == ["s1.example"]
    assert one["serviceid"] == str(ids[1])
    assert call("GetClientsProducts", domain="s2.example")[1]["numreturned"] == 1
    _, none = call("GetClientsProducts", clientid=999)
    assert none["numreturned"] == 0 and none["products"] == {"product": []}


def test_clients_products_statement_count_does_not_grow(call, ada, seed, sql_log):
    seed(lambda s: _full_service(s, ada))

    def statements():
        with sql_log() as counted:
            assert call("GetClientsProducts", limitnum=25)[1]["result"] == "success"
        return len(counted)

    few = statements()
    seed(lambda s: [_full_service(s, ada) for _ in range(24)])
    assert statements() == few


def test_clients_products_xml(call, ada, seed):
    seed(lambda s: _full_service(s, ada))
    _, text = call("GetClientsProducts", fmt="xml")
    root = ET.fromstring(text.encode())
    product = root.find("products/product")
    assert product.findtext("status") == "Suspended"
    assert product.findtext("configoptions/configoption/option") == "Disk"
    assert product.findtext("customfields/customfield/value") == "web1"


# -- addons, domains, cancellation requests ----------------------------------------------------


def test_clients_addons(call, ada, seed):
    from bridge.models import ServiceAddon

    def fill(session):
        service = make_service(session, client=session.get(Client, ada))
        addon = ServiceAddon(service_id=service.id, client_id=ada, name="Backups",
                             status="active", billing_cycle="1M", currency="USD",
                             recurring_amount=Decimal("5"), registration_date=date(2026, 1, 3))
        session.add(addon)
        session.flush()
        return service.id, addon.id
    service_id, addon_id = seed(fill)
    _, body = call("GetClientsAddons", clientid=ada)
    assert body["totalresults"] == 1 and body["clientid"] == str(ada)
    row = body["addons"]["addon"][0]
    assert row["id"] == str(addon_id) and row["serviceid"] == str(service_id)
    assert (row["name"], row["recurring"], row["setupfee"]) == ("Backups", "5.00", "0.00")
    assert (row["status"], row["billingcycle"], row["regdate"]) == (
        "Active", "Monthly", "2026-01-03")
    assert row["nextduedate"] == "0000-00-00"
    assert call("GetClientsAddons", serviceid=f"{service_id},999")[1]["totalresults"] == 1
    assert call("GetClientsAddons", serviceid=999)[1]["addons"] == {"addon": []}


def test_clients_domains(call, ada, seed):
    from bridge.models import Domain

    def fill(session):
        domain = Domain(client_id=ada, name="ada.example", kind="transfer",
                        status="pending_transfer", registrar="enom", currency="USD",
                        recurring_amount=Decimal("12.95"), do_not_renew=True,
                        expiry_date=date(2027, 5, 1))
        session.add(domain)
        session.flush()
        return domain.id
    domain_id = seed(fill)
    _, body = call("GetClientsDomains", clientid=ada)
    assert (body["clientid"], body["domainid"], body["totalresults"]) == (str(ada), "", 1)
    row = body["domains"]["domain"][0]
    assert row["id"] == str(domain_id) and row["domainname"] == "ada.example"
    assert (row["regtype"], row["status"]) == ("Transfer", "Pending Transfer")
    assert (row["recurringamount"], row["expirydate"]) == ("12.95", "2027-05-01")
    assert (row["donotrenew"], row["dnsmanagement"]) == ("1", "0")
    assert row["regdate"] != "0000-00-00"
    assert call("GetClientsDomains", domain="ADA.example")[1]["numreturned"] == 1
    assert call("GetClientsDomains", domainid=999)[1]["domains"] == {"domain": []}


def test_cancelled_packages(call, ada, seed):
    from bridge.models import CancellationRequest

    def fill(session):
        service = make_service(session, client=session.get(Client, ada))
        session.add_all([CancellationRequest(service_id=service.id, reason="Too slow"),
                         CancellationRequest(service_id=service.id, kind="immediate")])
        return service.id
    service_id = seed(fill)
    _, body = call("GetCancelledPackages", limitnum=1)
    assert (body["totalresults"], body["numreturned"]) == (2, 1)
    row = body["packages"]["package"][0]
    assert (row["relid"], row["reason"], row["type"]) == (str(service_id), "Too slow",
                                                          "End of Billing Period")
    _, rest = call("GetCancelledPackages", limitstart=1)
    assert rest["packages"]["package"][0]["type"] == "Immediate"


def test_whmcs_api_client_models_accept_the_responses(call, ada, seed):
    from whmcs_client.models.get_clients_details_response import GetClientsDetailsResponse
    from whmcs_client.models.get_clients_domains_response import GetClientsDomainsResponse
    from whmcs_client.models.update_client_response import UpdateClientResponse

    from bridge.models import Domain

    seed(lambda s: s.add(Domain(client_id=ada, name="ada.example", status="active",
                                currency="USD", dns_management=True)))
    details_body = call("GetClientsDetails", clientid=ada, stats="True")[1]
    assert GetClientsDetailsResponse.from_dict(details_body).client.email == "ada@example.com"
    assert UpdateClientResponse.from_dict(
        call("UpdateClient", clientid=ada, city="Bath")[1]).clientid == str(ada)
    domains = GetClientsDomainsResponse.from_dict(call("GetClientsDomains", clientid=ada)[1])
    assert domains.domains[0].domainname == "ada.example"
    assert domains.domains[0].dnsmanagement is True
