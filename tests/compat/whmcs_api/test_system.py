"""System group over /includes/api.php."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

import bridge.models.blocklists  # noqa: F401  (tables in the schema template)
import bridge.models.content  # noqa: F401
import bridge.models.mail  # noqa: F401
from bridge.db import utcnow
from bridge.models import (
    ActivityLog,
    Admin,
    AdminRole,
    Currency,
    Order,
    TodoItem,
    Transaction,
)
from bridge.models.blocklists import BannedIp
from bridge.models.mail import OutboxMessage
from bridge.services.blocklists import is_ip_banned
from bridge.services.mail import add_email_template
from bridge.services.modules import save_module_settings
from bridge.services.settings import add_currency, get_setting, set_setting
from bridge.services.staff import add_todo_item
from bridge.services.tickets import open_ticket
from bridge.testing import make_client, make_department
from compat.whmcs.api.render import API_VERSION
from hooks import hookimpl

IDENTIFIER = "whmcs-test-id"  # the credential tests/compat/whmcs_api/conftest.py creates


def test_configuration_values_map_onto_core_settings(call, seed):
    assert call("GetConfigurationValue", setting="TicketMask")[1] == {
        "result": "success", "setting": "TicketMask", "value": "%A%A%A-%n%n%n%n%n%n"}
    assert call("SetConfigurationValue", setting="TaxType", value="Inclusive")[1] == {
        "result": "success", "value_changed": "true"}
    assert seed(lambda s: get_setting(s, "tax.inclusive")) == "1"
    assert call("GetConfigurationValue", setting="TaxType")[1]["value"] == "Inclusive"
    call("SetConfigurationValue", setting="TaxEnabled", value="")
    assert seed(lambda s: get_setting(s, "tax.enabled")) == "0"
    assert call("GetConfigurationValue", setting="TaxEnabled")[1]["value"] == ""
    assert call("SetConfigurationValue", setting="SystemURL",
                value="https://billing.example.com/")[1]["value_changed"] == "true"
    assert call("SetConfigurationValue", setting="SystemURL",
                value="https://billing.example.com/")[1]["value_changed"] == "false"
    assert seed(lambda s: get_setting(s, "SystemURL")) == "https://billing.example.com/"
    assert call("GetConfigurationValue", setting="Version")[1]["value"].startswith(API_VERSION)


@pytest.mark.parametrize(("action", "params", "message"), [
    ("GetConfigurationValue", {}, "Parameter setting is required"),
    ("GetConfigurationValue", {"setting": "api.access_key"},
     "Invalid name for parameter setting"),
    ("SetConfigurationValue", {"setting": "SystemURL"}, "Parameter value is required"),
    ("SetConfigurationValue", {"setting": "Version", "value": "1"},
     "Invalid name for parameter setting"),
])
def test_configuration_errors(call, action, params, message):
    assert call(action, **params)[1] == {"result": "error", "message": message}


def test_encrypt_decrypt_round_trip(call):
    _, first = call("EncryptPassword", password2="teststring")
    _, second = call("EncryptPassword", password2="teststring")
    assert first["password"] != second["password"]  # randomised as WHMCS's is
    assert call("DecryptPassword", password2=first["password"])[1] == {
        "result": "success", "password": "teststring"}
    assert call("DecryptPassword", password2="garbage")[1]["result"] == "error"
    assert call("EncryptPassword")[1]["message"] == "password2 is required"


def test_activity_log_filters_and_shape(call, seed):
    client = seed(lambda s: make_client(s, email="ada@example.com").id)
    assert call("LogActivity", description="Ran a report", clientid=client) == (
        200, {"result": "success"})
    assert call("LogActivity", description="x", clientid=999)[1]["message"] == (
        "Client ID Not Found")
    _, body = call("GetActivityLog", clientid=client)
    assert set(body) == {"result", "totalresults", "startnumber", "activity"}
    entry = body["activity"]["entry"][0]
    assert (entry["description"], entry["clientId"], entry["userid"]) == (
        "Ran a report", client, client)
    assert entry["adminId"] == 1 and entry["username"] == IDENTIFIER
    today = utcnow().strftime("%d/%m/%Y")
    assert call("GetActivityLog", date=today, description="report")[1]["totalresults"] == 1
    assert call("GetActivityLog", date="01/01/2001")[1]["totalresults"] == 0
    assert call("GetActivityLog", user="ada@example.com")[1]["totalresults"] == 1
    seed(lambda s: set_setting(s, "DateFormat", "YYYY/MM/DD"))
    assert call("GetActivityLog", date=utcnow().strftime("%Y/%m/%d"),
                description="report")[1]["totalresults"] == 1
    _, page = call("GetActivityLog", limitnum=1, limitstart=1)
    assert page["startnumber"] == 1 and len(page["activity"]["entry"]) == 1


def test_automation_log_counts_cron_entries(call, seed):
    def populate(s):
        for action in ("invoices.created", "invoices.created", "services.suspended"):
            s.add(ActivityLog(source="cron", action=action, description=action))
        s.add(ActivityLog(source="api:whmcs", action="invoices.created"))
    seed(populate)
    _, body = call("GetAutomationLog")
    day = utcnow().date().isoformat()
    assert body["statistics"] == {day: {"invoices": 2, "services": 1}}
    assert body["lastDailyCronInvocationTime"].startswith(day)
    _, only = call("GetAutomationLog", namespace="services")
    assert only["statistics"] == {day: {"services": 1}}


def test_currencies_and_payment_methods(call, seed):
    seed(lambda s: add_currency(s, "EUR", prefix="€", suffix=" EUR", rate=Decimal("0.91"),
                                format=3))
    _, body = call("GetCurrencies")
    assert body["totalresults"] == 2
    assert body["currencies"]["currency"][1] == {"id": 2, "code": "EUR", "prefix": "€",
                                                 "suffix": " EUR", "format": "3",
                                                 "rate": "0.91000"}
    assert call("GetPaymentMethods")[1] == {"result": "success", "totalresults": 0,
                                            "paymentmethods": {"paymentmethod": []}}
    seed(lambda s: save_module_settings(s, "gateway", "banktransfer",
                                        {"account_holder": "Example Ltd"},
                                        display_name="Bank Transfer"))
    assert call("GetPaymentMethods")[1]["paymentmethods"]["paymentmethod"] == [
        {"module": "banktransfer", "displayname": "Bank Transfer"}]


def test_whmcs_details_and_admin_details(call, seed):
    assert call("WhmcsDetails")[1] == {"result": "success", "whmcs": {
        "version": API_VERSION, "canonicalversion": f"{API_VERSION}-release.1"}}

    def setup(s):
        role = AdminRole(name="Support", permissions=["API Access", "List Support Tickets"])
        s.add(role)
        s.flush()
        admin = s.get(Admin, 1)
        admin.role_id, admin.support_department_ids = role.id, [1, 2]
        admin.first_name, admin.last_name, admin.signature = "Demo", "Admin", "-- Demo"
    seed(setup)
    _, body = call("GetAdminDetails")
    assert (body["adminid"], body["name"], body["signature"], body["departments"]) == (
        "1", "Demo Admin", "-- Demo", ",1,2,")
    assert body["allowedpermissions"] == "API Access,List Support Tickets"
    assert body["whmcs"]["version"] == API_VERSION
    no_admin = {"identifier": "remote-id", "secret": "remote-secret-01234"}
    assert call("GetAdminDetails", auth=no_admin, ip="10.9.8.7")[1]["result"] == "error"
    assert call("UpdateAdminNotes", notes="Remember the milk") == (200, {"result": "success"})
    assert seed(lambda s: s.get(Admin, 1).notes) == "Remember the milk"


def test_admin_users_and_staff_online(call, seed, api_app):
    from bridge.services.access import add_admin

    def setup(s):
        add_admin(s, "georgina", "pass-word-12", email="georgina@example.com",
                  first_name="Georgina")
        off = add_admin(s, "gone", "pass-word-12", email="gone@example.com")
        off.disabled = True
        s.get(Admin, 1).last_login_at = utcnow() - timedelta(minutes=5)
    seed(setup)
    _, body = call("GetAdminUsers")
    assert body["count"] == 2 and [u["username"] for u in body["admin_users"]] == [
        "apiadmin", "georgina"]
    assert "password" not in str(body["admin_users"][0]).lower().replace("password_", "")
    assert call("GetAdminUsers", include_disabled="1")[1]["count"] == 3
    assert call("GetAdminUsers", email="georg")[1]["admin_users"][0]["fullName"] == "Georgina"
    _, online = call("GetStaffOnline")
    assert online["totalresults"] == 1
    assert online["staffonline"]["staff"][0]["adminusername"] == "apiadmin"


def test_todo_items(call, seed):
    def populate(s):
        late = add_todo_item(s, "Renew SSL", admin_id=1,
                             due_date=utcnow() - timedelta(days=1))
        add_todo_item(s, "Write docs")
        return late.id
    late = seed(populate)
    _, statuses = call("GetToDoItemStatuses")
    by_type = {row["type"]: row for row in statuses["todoitemstatuses"]["status"]}
    assert by_type["New"] == {"type": "New", "count": 2, "overdue": 1}
    assert by_type["Completed"]["count"] == 0
    assert call("UpdateToDoItem", itemid=late, adminid=1, status="Completed",
                duedate="2030-01-01") == (200, {"result": "success", "itemid": str(late)})
    item = seed(lambda s: s.get(TodoItem, late))
    assert (item.status, item.completed_at is not None, item.due_date.year) == (
        "done", True, 2030)
    _, open_items = call("GetToDoItems", status="Incomplete")
    assert [i["title"] for i in open_items["items"]["item"]] == ["Write docs"]
    _, done = call("GetToDoItems", status="Completed")
    assert done["items"]["item"][0]["status"] == "Completed"
    assert call("UpdateToDoItem", itemid=late, adminid=99)[1]["message"] == "Admin ID Not Found"
    assert call("UpdateToDoItem", itemid=999, adminid=1)[1]["message"] == (
        "To-Do Item ID Not Found")
    assert call("UpdateToDoItem", itemid=late, adminid=1, status="Nope")[1]["result"] == "error"


def test_add_banned_ip(post, seed):
    """AddBannedIp's ``ip`` clashes with the call fixture's own ``ip``: post a dict."""

    def add_ban(**params):
        return post("AddBannedIp", params)[1]

    body = add_ban(ip="203.0.113.9", reason="Abuse", days="3")
    assert body["result"] == "success" and body["banid"].isdigit()
    ban = seed(lambda s: s.get(BannedIp, int(body["banid"])))
    assert ban.expires_at - utcnow() > timedelta(days=2, hours=23)
    assert seed(lambda s: is_ip_banned(s, "203.0.113.9"))
    assert add_ban(ip="999.1.1.1", reason="x", days="1")["result"] == "error"
    assert add_ban(ip="203.0.113.11", reason="x", days="99999999")["message"] == (
        "days must be 0 (permanent) to 36500")
    permanent = add_ban(ip="203.0.113.12", reason="x", days="0")
    assert seed(lambda s: s.get(BannedIp, int(permanent["banid"])).expires_at) is None
    assert add_ban(ip="203.0.113.10", reason="x", expires="2030-01-01 00:00:00")["result"] == (
        "success")


def test_get_stats(call, seed):
    def populate(s):
        s.get(Admin, 1).last_login_at = utcnow()
        client = make_client(s)
        today = utcnow()
        for status in ("pending", "active", "fraud"):
            s.add(Order(client_id=client.id, currency="USD", status=status, created_at=today))
        s.add(Order(client_id=client.id, currency="USD", status="cancelled",
                    created_at=today - timedelta(days=1)))
        s.add(Transaction(client_id=client.id, currency="USD", gateway="bank",
                          amount_in=Decimal("1234.50"), fees=Decimal("0.50"), date=today))
        s.add(Transaction(client_id=client.id, currency="USD", gateway="bank",
                          amount_out=Decimal("4.00"), kind="refund",
                          date=datetime(2001, 1, 1, tzinfo=UTC)))
        dept = make_department(s)
        open_ticket(s, {"department_id": dept.id, "client_id": client.id, "subject": "s",
                        "message": "m"})
        currency = s.scalar(select(Currency))
        currency.suffix, currency.format = " USD", 2
    seed(populate)
    _, body = call("GetStats", timeline_days=2)
    assert (body["income_today"], body["income_alltime"]) == ("$1,234.00 USD", "$1,230.00 USD")
    assert (body["orders_pending"], body["orders_today_total"], body["orders_today_fraud"],
            body["orders_yesterday_cancelled"]) == (1, 3, 1, 1)
    assert (body["tickets_open"], body["tickets_allactive"], body["tickets_awaitingreply"]) == (
        1, 1, 1)
    assert (body["staff_online"], body["quotes_valid"]) == (1, 0)
    today = utcnow().date().isoformat()
    timeline = body["timeline_data"]
    assert timeline["new_orders"][today] == 3 and len(timeline["income"]) == 2
    assert timeline["income"][today] == "1234.00" and timeline["new_tickets"][today] == 1
    assert call("GetStats")[1]["timeline_data"] == {}


def test_email_templates_and_send_email(call, seed):
    def populate(s):
        client = make_client(s, first_name="Ada", email="ada@example.com")
        add_email_template(s, "general", "Welcome", "Hi {$client_first_name}",
                           "Welcome {$client_name} to {$company_name} {$extra}", custom=False)
        add_email_template(s, "general", "Old", "x", "y", disabled=True)
        add_email_template(s, "admin", "Staff Alert", "Alert", "Ticket {$ticket}")
        set_setting(s, "CompanyName", "Example Ltd")
        return client.id
    client = seed(populate)
    _, templates = call("GetEmailTemplates", type="general")
    assert [t["name"] for t in templates["emailtemplates"]["emailtemplate"]] == ["Old",
                                                                                 "Welcome"]
    assert templates["emailtemplates"]["emailtemplate"][1]["custom"] == "0"
    assert call("SendEmail", messagename="Welcome", id=client,
                **{"customvars[extra]": "today"}) == (200, {"result": "success"})
    message = seed(lambda s: s.scalar(select(OutboxMessage)))
    assert (message.recipients, message.subject, message.status) == (
        ["ada@example.com"], "Hi Ada", "queued")
    assert message.body.startswith("Welcome Ada Client")
    assert message.body.endswith(" to Example Ltd today")
    for params, error in (
            ({"messagename": "Nope", "id": client}, "Email Template not found"),
            ({"messagename": "Old", "id": client}, "Email Template is disabled"),
            ({"messagename": "Welcome"}, "A related ID is required"),
            ({"messagename": "Welcome", "id": 999}, "Sending Failed. Please see documentation."),
            ({}, "You must provide either an existing email template name or a custom "
                 "message type"),
            ({"customtype": "weird"}, "Invalid message type provided"),
            ({"customtype": "general", "custommessage": "b"},
             "A subject is required for a custom message"),
            ({"customtype": "general", "customsubject": "s"},
             "A message body is required for a custom message")):
        assert call("SendEmail", **params)[1] == {"result": "error", "message": error}
    assert call("SendEmail", customtype="general", customsubject="Note", custommessage="Body",
                id=client)[1]["result"] == "success"
    assert call("SendAdminEmail", messagename="Staff Alert",
                **{"mergefields[ticket]": "#42"})[1] == {"result": "success"}
    staff = seed(lambda s: s.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
                 .first())
    assert (staff.recipients, staff.body) == (["admin@example.com"], "Ticket #42")
    assert call("SendAdminEmail", messagename="Nope")[1]["message"] == "Email Template not found"


def test_trigger_notification_event_reaches_plugins(call, register_plugin):
    seen: list[tuple[str, dict]] = []

    class Listener:
        @hookimpl
        def bridge_event(self, name, payload):
            seen.append((name, payload))

    register_plugin(Listener(), name="listener")
    assert call("TriggerNotificationEvent", notification_identifier="deploy", title="Deployed",
                message="v2 is live", statusStyle="success",
                **{"attributes[0][label]": "Version", "attributes[0][value]": "2"}) == (
        200, {"result": "success"})
    payload = next(p for n, p in seen if n == "notification_triggered")
    assert (payload["identifier"], payload["style"], payload["attributes"]) == (
        "deploy", "success", [{"label": "Version", "value": "2"}])
    assert call("TriggerNotificationEvent", title="t", message="m")[1]["message"] == (
        "API Notification Events require a identifier string to be passed.")


def test_currencies_xml(call):
    status, text = call("GetCurrencies", fmt="xml")
    root = ET.fromstring(text.encode())
    assert root.findtext("currencies/currency/code") == "USD"
    assert root.findtext("totalresults") == "1"
