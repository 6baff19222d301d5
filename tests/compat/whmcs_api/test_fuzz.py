"""Fuzzing every WHMCS action with random parameters: the door never breaks its envelope.

For each action of the catalogue, hypothesis sends random parameters (documented names of
that action, junk names, PHP bracket arrays; values that are text, numbers, empty, huge,
unicode, dates, small ids that hit seeded rows) and checks what any WHMCS client relies on:
HTTP 200 (or 403 for access problems), a WHMCS envelope (``result`` success or error, a
``message`` string on errors), no 5xx, no traceback in the body - and no handler crash
behind WHMCS's generic "An unexpected error occurred" (the logged exception is shown).

Bounded: 15 examples per action, derandomized (the same examples every run, so CI is
stable), no example database written, one app for the file. A deterministic companion sends
out-of-range and malformed values to every id parameter of every action.
"""

from __future__ import annotations

import importlib
import json
import logging
import pkgutil
import traceback
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

import bridge.models
import compat.whmcs.api.actions  # noqa: F401  (registers every action)
from bridge.context import Actor
from bridge.models import TicketDepartment
from bridge.services.catalog import add_product, add_product_group
from bridge.services.clients import add_client
from bridge.services.contacts import add_contact
from bridge.services.domains import add_domain
from bridge.services.invoices import create_invoice
from bridge.services.orders import place_order
from bridge.services.tickets import open_ticket
from bridge.testing import ensure_currency
from compat.whmcs.api.catalogue import CATALOGUE

# every model module (action groups add their own) is imported before the session's schema
# template is built, so their tables exist in the test databases
for _module in pkgutil.iter_modules(bridge.models.__path__):
    importlib.import_module(f"bridge.models.{_module.name}")

IDENTIFIER = "whmcs-fuzz-id"
SECRET = "whmcs-fuzz-secret-0123"
GENERIC_ERROR = "An unexpected error occurred"

# Every parameter WHMCS documents per action (whmcs.md §2.1, required and optional).
DOCUMENTED_PARAMS: dict[str, str] = {
    "AcceptOrder": (
        "orderid serverid serviceusername servicepassword registrar sendregistrar autosetup "
        "sendemail"),
    "AddOrder": (
        "clientid paymentmethod pid qty domain billingcycle domaintype regperiod idnlanguage "
        "eppcode nameserver1 nameserver2 nameserver3 nameserver4 nameserver5 customfields "
        "configoptions priceoverride promocode promooverride affid noinvoice noinvoiceemail "
        "noemail addons addonsqty hostname ns1prefix ns2prefix rootpw contactid dnsmanagement "
        "domainfields emailforwarding idprotection domainpriceoverride domainrenewoverride "
        "domainrenewals clientip addonid addonidqty serviceid addonids addonidsqty serviceids "
        "servicerenewals addonrenewals"),
    "CancelOrder": "orderid cancelsub noemail",
    "DeleteOrder": "orderid",
    "FraudOrder": "orderid cancelsub",
    "GetOrders": "limitstart limitnum id userid requestor_id status",
    "GetOrderStatuses": "",
    "GetProducts": "pid gid module",
    "GetPromotions": "code",
    "OrderFraudCheck": "orderid ipaddress",
    "PendingOrder": "orderid",
    "AcceptQuote": "quoteid",
    "AddBillableItem": (
        "clientid description amount unit quantity invoiceaction recur recurcycle recurfor "
        "duedate"),
    "AddCredit": "clientid description amount date adminid type",
    "AddInvoicePayment": "invoiceid transid gateway date amount fees noemail",
    "AddPayMethod": (
        "clientid type description gateway_module_name card_number card_expiry card_start "
        "card_issue_number bank_name bank_account_type bank_code bank_account set_as_default"),
    "AddTransaction": (
        "paymentmethod userid invoiceid transid date currencyid description amountin fees "
        "amountout rate credit allowduplicatetransid"),
    "ApplyCredit": "invoiceid amount noemail",
    "CapturePayment": "invoiceid cvv",
    "CreateInvoice": (
        "userid status draft sendinvoice paymentmethod taxrate taxrate2 date duedate notes "
        "itemdescription1 itemamount1 itemtaxed1 autoapplycredit"),
    "CreateQuote": (
        "subject stage validuntil datecreated lineitems lineitems[0][desc] lineitems[0][qty] "
        "lineitems[0][up] lineitems[0][discount] lineitems[0][taxable] userid firstname lastname "
        "companyname email address1 address2 city state postcode country phonenumber tax_id "
        "currency proposal customernotes adminnotes"),
    "DeletePayMethod": "clientid paymethodid failonremotefailure",
    "DeleteQuote": "quoteid",
    "GenInvoices": "noemails clientid serviceids domainids addonids",
    "GetCredits": "clientid",
    "GetInvoice": "invoiceid",
    "GetInvoices": "limitstart limitnum userid status orderby order",
    "GetPayMethods": "clientid paymethodid type",
    "GetQuotes": (
        "limitstart limitnum quoteid userid subject stage datecreated lastmodified validuntil"),
    "GetTransactions": "invoiceid clientid transid",
    "SendQuote": "quoteid",
    "UpdateInvoice": (
        "invoiceid status paymentmethod taxrate taxrate2 credit date duedate datepaid notes "
        "itemdescription itemamount itemtaxed newitemdescription newitemamount newitemtaxed "
        "deletelineids publish publishandsendemail"),
    "UpdatePayMethod": (
        "clientid paymethodid card_number card_expiry card_start card_issue_number bank_name "
        "bank_account_type bank_code bank_account set_as_default"),
    "UpdateQuote": (
        "quoteid subject stage validuntil datecreated lineitems lineitems[0][id] "
        "lineitems[0][desc] lineitems[0][qty] lineitems[0][up] lineitems[0][discount] "
        "lineitems[0][taxable] userid firstname lastname companyname email address1 address2 city "
        "state country phonenumber tax_id currency proposal customernotes adminnotes"),
    "UpdateTransaction": (
        "transactionid refundid userid invoiceid transid date gateway currency description "
        "amountin fees amountout rate credit"),
    "ActivateModule": "moduleType moduleName parameters",
    "DeactivateModule": "moduleType moduleName newGateway",
    "GetModuleConfigurationParameters": "moduleType moduleName",
    "GetModuleQueue": "relatedId serviceType moduleName moduleAction since",
    "UpdateModuleConfiguration": "moduleType moduleName parameters",
    "AddAnnouncement": "date title announcement published",
    "AddCancelRequest": "serviceid type reason",
    "AddClientNote": "userid notes sticky",
    "AddTicketNote": "message ticketnum ticketid markdown attachments created",
    "AddTicketReply": (
        "ticketid message markdown clientid contactid adminusername name email status noemail "
        "customfields attachments created"),
    "BlockTicketSender": "ticketid delete",
    "DeleteAnnouncement": "announcementid",
    "DeleteTicket": "ticketid",
    "DeleteTicketNote": "noteid",
    "DeleteTicketReply": "ticketid replyid",
    "GetAnnouncements": "limitstart limitnum",
    "MergeTicket": "ticketid mergeticketids newsubject",
    "OpenTicket": (
        "deptid subject message clientid userid contactid name email priority created serviceid "
        "domainid admin noemail markdown customfields attachments preventClientClosure"),
    "UpdateTicket": (
        "ticketid deptid status subject userid name email cc priority created flag removeFlag "
        "message markdown customfields preventClientClosure"),
    "UpdateTicketReply": "replyid message markdown created",
    "AddBannedIp": "ip reason days expires",
    "DecryptPassword": "password2",
    "EncryptPassword": "password2",
    "GetActivityLog": "limitstart limitnum clientid date user description ipaddress",
    "GetAdminDetails": "",
    "GetAdminUsers": "roleid email include_disabled",
    "GetAutomationLog": "startdate enddate namespace",
    "GetConfigurationValue": "setting",
    "GetCurrencies": "",
    "GetEmailTemplates": "type language",
    "GetPaymentMethods": "",
    "GetStaffOnline": "",
    "GetStats": "timeline_days",
    "GetToDoItems": "limitstart limitnum status",
    "GetToDoItemStatuses": "",
    "LogActivity": "description clientid",
    "SendAdminEmail": "messagename custommessage customsubject type deptid mergefields",
    "SendEmail": "messagename id customtype custommessage customsubject customvars",
    "SetConfigurationValue": "setting value",
    "TriggerNotificationEvent": (
        "notification_identifier title message url status statusStyle attributes"),
    "UpdateAdminNotes": "notes",
    "UpdateAnnouncement": "announcementid title announcement date published",
    "UpdateToDoItem": "itemid adminid status date title description duedate",
    "WhmcsDetails": "",
    "AddClient": (
        "firstname lastname email address1 city state postcode country phonenumber owner_user_id "
        "companyname address2 tax_id password2 securityqid securityqans currency groupid "
        "customfields language clientip notes marketingoptin noemail skipvalidation"),
    "AddContact": (
        "clientid firstname lastname companyname email address1 address2 city state postcode "
        "country phonenumber tax_id email_preferences[general] email_preferences[product] "
        "email_preferences[domain] email_preferences[invoice] email_preferences[support] "
        "email_preferences[affiliate]"),
    "CloseClient": "clientid",
    "DeleteClient": "clientid deleteusers deletetransactions",
    "DeleteContact": "contactid",
    "GetCancelledPackages": "limitstart limitnum",
    "GetClientGroups": "",
    "GetClientPassword": "userid email",
    "GetClients": "limitstart limitnum sorting status search orderby",
    "GetClientsAddons": "serviceid clientid addonid",
    "GetClientsDetails": "clientid email stats",
    "GetClientsDomains": "limitstart limitnum clientid domainid domain",
    "GetClientsProducts": "limitstart limitnum clientid serviceid pid domain username2",
    "GetContacts": (
        "limitstart limitnum userid firstname lastname companyname email address1 address2 city "
        "state postcode country phonenumber"),
    "GetEmails": "clientid limitstart limitnum date subject",
    "UpdateClient": (
        "clientid clientemail firstname lastname companyname email address1 address2 city state "
        "postcode country phonenumber tax_id currency groupid customfields language clientip "
        "notes status paymentmethod email_preferences[general] email_preferences[product] "
        "email_preferences[domain] email_preferences[invoice] email_preferences[support] "
        "email_preferences[affiliate] marketingoptin clearcreditcard skipvalidation "
        "latefeeoveride overideduenotices taxexempt separateinvoices disableautocc "
        "overrideautoclose"),
    "UpdateContact": (
        "contactid firstname lastname companyname email address1 address2 city state postcode "
        "country phonenumber email_preferences[general] email_preferences[product] "
        "email_preferences[domain] email_preferences[invoice] email_preferences[support] "
        "email_preferences[affiliate]"),
    "AddProduct": (
        "name gid slug type stockcontrol qty paytype hidden showdomainoptions tax isFeatured "
        "proratabilling description shortdescription tagline color welcomeemail proratadate "
        "proratachargenextmonth subdomain autosetup module servergroupid configoption1 "
        "configoption2 configoption3 configoption4 configoption5 configoption6 order pricing "
        "recommendations ondemandrenewalconfigurationoverride ondemandrenewalsenabled "
        "ondemandrenewalperiodmonthly ondemandrenewalperiodquarterly "
        "ondemandrenewalperiodsemiannually ondemandrenewalperiodannually "
        "ondemandrenewalperiodbiennially ondemandrenewalperiodtriennially"),
    "AddProjectMessage": "projectid message adminid",
    "AddProjectTask": "projectid duedate adminid task notes completed billed",
    "CreateProject": "title adminid userid status created duedate completed ticketids invoiceids",
    "DeleteProjectTask": "projectid taskid",
    "EndTaskTimer": "timerid projectid adminid end_time",
    "GetProject": "projectid",
    "GetProjects": (
        "limitstart limitnum userid title ticketids invoiceids notes adminid status created "
        "duedate completed lastmodified"),
    "StartTaskTimer": "timerid projectid adminid start_time end_time",
    "UpdateProject": (
        "projectid adminid userid status created duedate completed title ticketids invoiceids "
        "notes"),
    "UpdateProjectTask": "taskid projectid duedate adminid task notes completed",
    "AddUser": "firstname lastname email password2 language",
    "CreateClientInvite": "client_id email permissions",
    "DeleteUserClient": "user_id client_id",
    "GetPermissionsList": "",
    "GetUserPermissions": "user_id client_id",
    "GetUsers": "limitstart limitnum sorting search",
    "ResetPassword": "id email",
    "UpdateUser": "user_id firstname lastname email language",
    "UpdateUserPermissions": "user_id client_id permissions",
    "AffiliateActivate": "userid",
    "GetAffiliates": (
        "limitstart limitnum userid visitors paytype payamount onetime balance withdrawn"),
    "CreateOAuthCredential": "grantType scope name serviceId description logoUri redirectUri",
    "CreateSsoToken": "client_id user_id destination service_id domain_id sso_redirect_path",
    "DeleteOAuthCredential": "credentialId",
    "ListOAuthCredentials": "grantType sortField sortOrder limit",
    "UpdateOAuthCredential": (
        "credentialId clientApiIdentifier name description grantType scope serviceId logoUri "
        "redirectUri resetSecret"),
    "ValidateLogin": "email password2",
    "CreateOrUpdateTLD": (
        "extension id_protection dns_management email_forwarding epp_required auto_registrar "
        "group currency_code grace_period_days grace_period_fee redemption_period_days "
        "redemption_period_fee register renew transfer display_after"),
    "DomainGetLockingStatus": "domainid",
    "DomainGetNameservers": "domainid",
    "DomainGetWhoisInfo": "domainid",
    "DomainRegister": "domainid domain idnlanguage",
    "DomainRelease": "newtag domainid domain",
    "DomainRenew": "domainid domain regperiod",
    "DomainRequestEPP": "domainid",
    "DomainToggleIdProtect": "domainid idprotect",
    "DomainTransfer": "domainid domain eppcode",
    "DomainUpdateLockingStatus": "domainid lockstatus",
    "DomainUpdateNameservers": "ns1 ns2 domainid domain ns3 ns4 ns5",
    "DomainUpdateWhoisInfo": "domainid xml",
    "DomainWhois": "domain",
    "GetRegistrars": "",
    "GetTLDPricing": "currencyid clientid",
    "UpdateClientDomain": (
        "domainid dnsmanagement emailforwarding idprotection donotrenew type regdate nextduedate "
        "expirydate domain firstpaymentamount recurringamount registrar regperiod paymentmethod "
        "subscriptionid status notes promoid autorecalc updatens ns1 ns2 ns3 ns4 ns5"),
    "GetHealthStatus": "fetchStatus",
    "GetServers": "serviceId addonId fetchStatus",
    "GetSupportDepartments": "ignore_dept_assignments",
    "GetSupportStatuses": "deptid",
    "GetTicket": "ticketnum ticketid repliessort",
    "GetTicketAttachment": "relatedid type index",
    "GetTicketCounts": "ignoreDepartmentAssignments includeCountsByStatus",
    "GetTicketNotes": "ticketid",
    "GetTicketPredefinedCats": "",
    "GetTicketPredefinedReplies": "catid",
    "GetTickets": (
        "limitstart limitnum deptid clientid email status subject ignore_dept_assignments"),
    "ModuleChangePackage": "serviceid",
    "ModuleChangePw": "serviceid servicepassword",
    "ModuleCreate": "serviceid",
    "ModuleCustom": "serviceid func_name",
    "ModuleSuspend": "serviceid suspendreason",
    "ModuleTerminate": "serviceid",
    "ModuleUnsuspend": "serviceid",
    "UpdateClientProduct": (
        "serviceid pid serverid regdate nextduedate terminationdate domain firstpaymentamount "
        "recurringamount paymentmethod billingcycle subscriptionid status notes serviceusername "
        "servicepassword overideautosuspend overidesuspenduntil ns1 ns2 dedicatedip assignedips "
        "diskusage disklimit bwusage bwlimit suspendreason promoid unset autorecalc customfields "
        "configoptions"),
    "UpgradeProduct": (
        "serviceid paymentmethod type calconly newproductid newproductbillingcycle promocode "
        "configoptions"),
    "UpdateClientAddon": (
        "id status addonid name setupfee recurring billingcycle nextduedate terminationdate notes "
        "autorecalc"),
}


# -- strategies ---------------------------------------------------------------------------------

SAFE_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
VALUES = st.one_of(
    SAFE_TEXT,
    st.integers(min_value=0, max_value=6).map(str),  # ids that hit seeded rows
    st.integers(min_value=-(10**15), max_value=10**15).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
    st.sampled_from(["", " ", "0", "1", "-1", "true", "false", "on", "null", "[]", "{}",
                     "0000-00-00", "2026-02-30", "2026-01-01 10:00:00", "31/12/2026",
                     "Active", "Unpaid", "monthly", "banktransfer", "a,b,,c", "1,2,3",
                     "YToxOntpOjE7czo0OiJCbHVlIjt9", "a:1:{i:1;s:4:\"Blue\";}",
                     "<x>&amp;</x>", "' OR 1=1 --", "%00", "\x00", "Ünïcødé ✓ 🚀 中文",
                     "x" * 70000, "9" * 400]),
)
JUNK_KEYS = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12),
    st.sampled_from(["limitnum", "limitstart", "stats", "responsetype", "id", "userid",
                     "__proto__", "action ", "x[", "]", "a[b", "[]", "[0]"]),
)


def _key_forms(name: str) -> st.SearchStrategy[str]:
    """The key as sent: plain, or as a PHP bracket array element (indexed, appended, nested)."""
    return st.sampled_from([name, f"{name}[0]", f"{name}[1]", f"{name}[]", f"{name}[a][b]"])


def params_for(action: str) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Random (key, value) pairs: mostly the action's documented names, some junk."""
    documented = sorted(set(DOCUMENTED_PARAMS.get(action, "").split()) | REQUIRED[action])
    names = st.sampled_from(documented) if documented else JUNK_KEYS
    key = st.one_of(names.flatmap(_key_forms), names, JUNK_KEYS)
    return st.lists(st.tuples(key, VALUES), max_size=8)


REQUIRED = {name: set(required) for name, _group, required in CATALOGUE}


# -- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_app(scratch_app):
    """One API app for the whole file (examples share its state, as callers of a real install
    do), with an admin credential and a few rows of everything (ids 1-2) for random small ids
    to hit. Built here rather than from the function-scoped ``api_app``: 162 apps cost more
    than the examples themselves."""
    from argon2 import PasswordHasher

    import bridge.security.passwords as passwords
    from bridge.services.access import add_admin, add_api_credential

    # a throw-away database: no fsync of every commit (most of this file's wall time)
    app = scratch_app("whmcs-fuzz")
    state = app.extensions["bridge"]
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    original, passwords._hasher = passwords._hasher, cheap
    try:
        with state.transaction(Actor(source="test")) as s:
            _seed(s, add_admin, add_api_credential)
        yield app
    finally:
        passwords._hasher = original
        state.db.dispose()


def _seed(s: Any, add_admin: Any, add_api_credential: Any) -> None:
    ensure_currency(s)
    admin = add_admin(s, "fuzzadmin", "admin-password-1", email="admin@example.com")
    add_api_credential(s, IDENTIFIER, SECRET, admin_id=admin.id)
    client = add_client(s, {"first_name": "Fuzz", "last_name": "Target",
                            "email": "fuzz@example.com", "country": "US", "state": "CA"})
    add_contact(s, client.id, {"first_name": "Con", "email": "con@example.com"})
    group = add_product_group(s, {"name": "Plans"})
    product = add_product(s, {"name": "Basic", "group_id": group.id,
                              "prices": {"USD": {"1M": {"amount": "5.00"}}}})
    place_order(s, client.id, {"products": [{"product_id": product.id, "billing_cycle": "1M"}],
                               "payment_method": "banktransfer"})
    create_invoice(s, client.id, [{"description": "Thing", "unit_amount": Decimal("9.99")}])
    add_domain(s, client.id, "fuzz-target.com", recurring_amount=Decimal("10.00"))
    department = TicketDepartment(name="Support", email="support@example.com")
    s.add(department)
    s.flush()
    open_ticket(s, {"department_id": department.id, "client_id": client.id,
                    "subject": "Fuzz", "message": "Fuzzing"})


def _crash_detail(exc_infos: list[Any]) -> str:
    """The project's own frames of each logged exception (not the libraries'), then the error."""
    lines: list[str] = []
    for kind, error, tb in exc_infos:
        frames = [f for f in traceback.extract_tb(tb) if "site-packages" not in f.filename]
        lines += [f"  {f.filename}:{f.lineno} in {f.name}: {f.line}" for f in frames[-5:]]
        lines.append(f"{kind.__name__}: {error}")
    return "\n".join(lines) or "(no exception was logged)"


# -- the test -----------------------------------------------------------------------------------

def _envelope(action: str, status: int, text: str, fmt: str) -> tuple[str, str | None]:
    """(result, message) of a response, asserting the WHMCS envelope."""
    assert status in (200, 403), f"{action}: HTTP {status}: {text[:500]}"
    assert "Traceback (most recent call last)" not in text, f"{action}: traceback in body"
    if fmt == "xml":
        root = ET.fromstring(text.encode())
        assert root.tag == "whmcsapi", f"{action}: XML root {root.tag}"
        result, message = root.findtext("result"), root.findtext("message")
        assert result in ("success", "error"), f"{action}: result {result!r}"
        return result, message
    body = json.loads(text)
    assert isinstance(body, dict), f"{action}: body is not an object: {text[:300]}"
    result = body.get("result")
    assert result in ("success", "error"), f"{action}: result {result!r} in {text[:300]}"
    if result == "error":
        assert isinstance(body.get("message"), str), f"{action}: error without message: {body}"
    if status == 403:
        assert result == "error", f"{action}: HTTP 403 with result {result!r}"
    return result, body.get("message")


@pytest.mark.parametrize("action", [name for name, _group, _required in CATALOGUE])
@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_random_parameters_keep_the_envelope(action, fuzz_app, caplog, data):
    pairs = data.draw(params_for(action), label="params")
    fmt = data.draw(st.sampled_from(["json", "json", "json", "xml"]), label="responsetype")
    # credentials, format and action last: the body's last value of a name wins
    form = MultiDict([*pairs, ("identifier", IDENTIFIER), ("secret", SECRET),
                      ("responsetype", fmt), ("action", action)])
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="compat.whmcs.api.views"):
        response = fuzz_app.test_client().post("/includes/api.php", data=form)
    text = response.get_data(as_text=True)
    result, message = _envelope(action, response.status_code, text, fmt)
    if message == GENERIC_ERROR:
        detail = _crash_detail([r.exc_info for r in caplog.records if r.exc_info])
        sent = [(key, value if len(value) < 60 else value[:40] + f"...({len(value)} chars)")
                for key, value in pairs]
        pytest.fail(f"{action} crashed on {sent!r}:\n{detail}")


ID_PARAMS = {action: sorted(p for p in set(DOCUMENTED_PARAMS.get(action, "").split())
                            | REQUIRED[action]
                            if p.lower().endswith("id") and "[" not in p)
             for action, _group, _required in CATALOGUE}


def test_out_of_range_ids_are_business_errors(fuzz_app, caplog):
    """Every id parameter of every action at once, beyond 64 bits or malformed: an error
    answer, never a crash (SQLite and MariaDB cannot bind integers past 64 bits). One test
    for all actions: the usual cause is shared (the door's integer reader), so one list of
    offenders is more useful than 80 failures."""
    crashed: dict[str, list[str]] = {}
    web = fuzz_app.test_client()
    for action, names in ID_PARAMS.items():
        for value in ("9" * 25, "-1", "1e3", "0x10", "٣"):
            if not names:
                continue
            form = MultiDict([*((name, value) for name in names), ("identifier", IDENTIFIER),
                              ("secret", SECRET), ("action", action)])
            caplog.clear()
            with caplog.at_level(logging.ERROR, logger="compat.whmcs.api.views"):
                response = web.post("/includes/api.php", data=form)
            _result, message = _envelope(action, response.status_code,
                                         response.get_data(as_text=True), "json")
            if message == GENERIC_ERROR:
                errors = [f"{info[0].__name__}: {info[1]}" for info in
                          (r.exc_info for r in caplog.records if r.exc_info)]
                crashed.setdefault(f"{value[:12]!r}: {'; '.join(errors)}", []).append(action)
    assert not crashed, "handlers crashed on out-of-range ids:\n" + "\n".join(
        f"{cause} -> {len(actions)} actions: {', '.join(actions)}"
        for cause, actions in crashed.items())
