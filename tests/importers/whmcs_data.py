"""Generate WHMCS 8.4 test data into a scratch database, and remember what it contains.

The data is small but covers what an importer meets in the wild: gaps in ids, orphans (rows
whose client/ticket does not exist), ``0000-00-00`` dates, mojibake kept as stored, emoji
stored as HTML entities (WHMCS tables are 3-byte ``utf8``), a non-UTC source timezone, legacy
``md5:salt`` and bcrypt password hashes, and server/service passwords encrypted with the
WHMCS cipher.  :class:`Facts` lists the expectations the tests check.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import bcrypt

from bridge.security import whmcs_legacy_encrypt

CC_HASH = "Xq0f3VhZ4m2cc-encryption-hash-for-tests"
TIMEZONE = "Europe/Berlin"


@dataclass
class Facts:
    """What the generated source holds (expected results of an import)."""

    client_ids: list[int] = field(default_factory=list)
    quarantined: dict[str, set[str]] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)  # email -> plain password
    service_passwords: dict[int, str] = field(default_factory=dict)
    server_password: str = ""
    invoice_totals: dict[str, Decimal] = field(default_factory=dict)  # currency -> sum


def _md5_salt(password: str, salt: str) -> str:
    return hashlib.md5((salt + password).encode()).hexdigest() + ":" + salt


def _bcrypt(password: str) -> str:
    # PHP writes $2y$; the core verifies $2y$ like $2b$
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode().replace("$2b$", "$2y$", 1)


def _insert(src: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    quoted = ", ".join(f"`{c}`" for c in cols)
    params = ", ".join(f":{c}" for c in cols)
    src.execute(f"INSERT INTO `{table}` ({quoted}) VALUES ({params})", rows)


def _client(cid: int, **over: Any) -> dict[str, Any]:
    row = {
        "id": cid, "uuid": f"uuid-{cid}", "firstname": f"First{cid}", "lastname": f"Last{cid}",
        "companyname": "", "email": f"client{cid}@example.test", "address1": f"{cid} Main St",
        "address2": "", "city": "Springfield", "state": "IL", "postcode": "62701",
        "country": "US", "phonenumber": "+1.5550100", "tax_id": "", "password": "",
        "authmodule": "", "authdata": "", "currency": 1, "defaultgateway": "paypal",
        "credit": "0.00", "taxexempt": 0, "latefeeoveride": 0, "overideduenotices": 0,
        "separateinvoices": 0, "disableautocc": 0, "datecreated": "2021-03-04", "notes": "",
        "billingcid": 0, "securityqid": 0, "securityqans": "", "groupid": 0, "cardtype": "",
        "cardlastfour": "", "bankname": "", "banktype": "", "gatewayid": "",
        "lastlogin": "2024-07-01 12:00:00", "ip": "192.0.2.1", "host": "", "status": "Active",
        "language": "", "pwresetkey": "", "emailoptout": 0, "marketing_emails_opt_in": 0,
        "overrideautoclose": 0, "allow_sso": 1, "email_verified": 0, "email_preferences": "",
        "created_at": "2021-03-04 10:00:00", "updated_at": "2021-03-04 10:00:00",
    }
    row.update(over)
    return row


def generate(src: Any, n_clients: int = 12) -> Facts:
    """Fill ``src`` (a loaded whmcs-8.4 SourceDB) and return the facts about it."""
    facts = Facts()
    q = facts.quarantined
    src.execute("INSERT INTO tblconfiguration (setting, value) VALUES"
                " ('Version', '8.4.0-release.1'), ('CompanyName', 'Test Host')")
    _insert(src, "tblcurrencies", [
        {"id": 1, "code": "USD", "prefix": "$", "suffix": " USD", "format": 1, "rate": "1.00000",
         "default": 1},
        {"id": 2, "code": "EUR", "prefix": "€", "suffix": " EUR", "format": 3, "rate": "0.91230",
         "default": 0}])
    _insert(src, "tbltax", [{"id": 1, "level": 1, "name": "VAT", "state": "", "country": "DE",
                             "taxrate": "19.000"}])
    _insert(src, "tblclientgroups", [{"id": 1, "groupname": "Resellers &amp; Friends",
                                      "groupcolour": "#ff0000", "discountpercent": "5.00",
                                      "susptermexempt": "on", "separateinvoices": ""}])
    _insert(src, "tbladminroles", [{"id": 1, "name": "Full Administrator", "widgets": "",
                                    "reports": "", "systememails": 1, "accountemails": 1,
                                    "supportemails": 1}])
    _insert(src, "tbladmins", [{
        "id": 1, "uuid": "a1", "roleid": 1, "username": "ada", "password": _bcrypt("admin-pw"),
        "passwordhash": _bcrypt("admin-pw"), "authmodule": "", "authdata": "",
        "firstname": "Ada", "lastname": "Admin", "email": "ada@example.test", "signature": "",
        "notes": "", "template": "blend", "language": "english", "disabled": 0,
        "loginattempts": 0, "supportdepts": ",1,", "ticketnotifications": "", "homewidgets": "",
        "password_reset_key": "", "password_reset_data": "", "hidden_widgets": "",
        "widget_order": "", "user_preferences": ""}])

    clients = []
    for cid in range(1, n_clients + 1):
        if cid == 4:
            continue  # a gap: ids must be kept, not renumbered
        clients.append(_client(cid))
        facts.client_ids.append(cid)
    clients[0].update(firstname="J\u00c3\u00bcrgen", lastname="M\u00fcller",  # mojibake + real ü
                      companyname="Smile &#128512; GmbH", groupid=1, credit="12.50",
                      country="DE", currency=2)
    clients[1].update(datecreated="0000-00-00", created_at="0000-00-00 00:00:00",
                      lastlogin="0000-00-00 00:00:00", status="Inactive")
    clients[2].update(country="Germany")  # impossible: not an ISO-2 code -> quarantine
    q["tblclients"] = {str(clients[2]["id"])}
    _insert(src, "tblclients", clients)
    bad_client = clients[2]["id"]
    good = [c for c in facts.client_ids if c != bad_client]

    users = [
        {"id": 1, "email": "client1@example.test", "password": _bcrypt("bcrypt-secret")},
        {"id": 2, "email": "client2@example.test", "password": _md5_salt("md5-secret", "e93h2")},
    ]
    facts.passwords = {"client1@example.test": "bcrypt-secret",
                       "client2@example.test": "md5-secret"}
    _insert(src, "tblusers", [{**u, "first_name": f"U{u['id']}", "last_name": "User",
                               "language": "", "second_factor": "", "second_factor_config": "",
                               "remember_token": "", "reset_token": "",
                               "security_question_id": 0, "security_question_answer": "",
                               "last_ip": "192.0.2.9", "last_hostname": "",
                               "last_login": "2024-01-02 03:04:05",
                               "email_verification_token": "",
                               "created_at": "2020-01-01 00:00:00",
                               "updated_at": "2020-01-01 00:00:00"} for u in users])
    _insert(src, "tblusers_clients", [
        {"id": 1, "auth_user_id": 1, "client_id": good[0], "invite_id": 0, "owner": 1,
         "permissions": "", "created_at": "2020-01-01 00:00:00"},
        {"id": 2, "auth_user_id": 2, "client_id": good[1], "invite_id": 0, "owner": 1,
         "permissions": "", "created_at": "2020-01-01 00:00:00"},
        {"id": 3, "auth_user_id": 2, "client_id": 999, "invite_id": 0, "owner": 0,
         "permissions": "invoices", "created_at": "2020-01-01 00:00:00"}])
    q["tblusers_clients"] = {"3"}

    contact = {"firstname": "Con", "lastname": "Tact", "companyname": "", "email": "c@x.test",
               "address1": "", "address2": "", "city": "", "state": "", "postcode": "",
               "country": "US", "phonenumber": "", "tax_id": "", "subaccount": 0,
               "password": "", "permissions": "", "domainemails": 1, "generalemails": 0,
               "invoiceemails": 1, "productemails": 0, "supportemails": 0, "affiliateemails": 0,
               "pwresetkey": ""}
    _insert(src, "tblcontacts", [{"id": 1, "userid": good[0], **contact},
                                 {"id": 2, "userid": 999, **contact}])
    q["tblcontacts"] = {"2"}
    _insert(src, "tblnotes", [{"id": 1, "userid": good[0], "adminid": 1,
                               "created": "2022-02-02 02:02:02", "modified": "2022-02-02 02:02:02",
                               "note": "VIP", "sticky": 1}])

    _catalogue(src, facts)
    _services(src, facts, good)
    _billing(src, facts, good)
    _support(src, facts, good)
    _extras(src, facts, good)
    return facts


def _catalogue(src: Any, facts: Facts) -> None:
    _insert(src, "tblproductgroups", [{"id": 1, "name": "Shared Hosting", "slug": "shared",
                                       "headline": "", "tagline": "", "orderfrmtpl": "",
                                       "disabledgateways": "", "hidden": 0, "order": 1}])
    product = {"type": "hostingaccount", "gid": 1, "slug": "", "description": "", "hidden": 0,
               "showdomainoptions": 1, "welcomeemail": 0, "stockcontrol": 0, "qty": 0,
               "proratabilling": 0, "proratadate": 0, "proratachargenextmonth": 0,
               "allowqty": 0, "subdomain": "", "autosetup": "payment", "servertype": "cpanel",
               "servergroup": 1, "freedomain": "", "freedomainpaymentterms": "",
               "freedomaintlds": "", "recurringcycles": 0, "autoterminatedays": 0,
               "autoterminateemail": 0, "configoptionsupgrade": 0, "billingcycleupgrade": "",
               "upgradeemail": 0, "overagesenabled": "", "overagesdisklimit": 0,
               "overagesbwlimit": 0, "overagesdiskprice": 0, "overagesbwprice": 0, "tax": 1,
               "affiliateonetime": 0, "affiliatepaytype": "", "affiliatepayamount": 0,
               "order": 0, "retired": 0, "is_featured": 0,
               **{f"configoption{i}": "" for i in range(1, 25)}}
    _insert(src, "tblproducts", [
        {**product, "id": 1, "name": "Starter", "paytype": "recurring", "configoption1": "pkg1"},
        {**product, "id": 2, "name": "Setup Help", "paytype": "onetime", "servertype": ""}])
    price = {"msetupfee": "0.00", "qsetupfee": "0.00", "ssetupfee": "0.00", "asetupfee": "0.00",
             "bsetupfee": "0.00", "tsetupfee": "0.00", "monthly": "-1.00", "quarterly": "-1.00",
             "semiannually": "-1.00", "annually": "-1.00", "biennially": "-1.00",
             "triennially": "-1.00"}
    _insert(src, "tblpricing", [
        {**price, "id": 1, "type": "product", "currency": 1, "relid": 1, "monthly": "4.99",
         "msetupfee": "1.00", "annually": "49.90"},
        {**price, "id": 2, "type": "product", "currency": 2, "relid": 1, "monthly": "4.59"},
        {**price, "id": 3, "type": "product", "currency": 1, "relid": 2, "monthly": "25.00"},
        {**price, "id": 4, "type": "product", "currency": 1, "relid": 77, "monthly": "1.00"}])
    facts.quarantined["tblpricing"] = {"4"}
    _insert(src, "tblservergroups", [{"id": 1, "name": "Main", "filltype": 1}])
    facts.server_password = "s3rv€r-pass"
    server = {"id": 1, "name": "web1", "ipaddress": "203.0.113.5", "assignedips": "",
              "hostname": "web1.example.test", "monthlycost": "0", "noc": "",
              "statusaddress": "", "maxaccounts": 200, "type": "cpanel", "username": "root",
              "password": whmcs_legacy_encrypt(facts.server_password, CC_HASH),
              "accesshash": "", "secure": "on", "port": 2087, "active": 1, "disabled": 0,
              **{f"nameserver{i}": "" for i in range(1, 6)},
              **{f"nameserver{i}ip": "" for i in range(1, 6)}}
    server["nameserver1"] = "ns1.example.test"
    _insert(src, "tblservers", [server])
    _insert(src, "tblservergroupsrel", [{"id": 1, "groupid": 1, "serverid": 1}])


def _services(src: Any, facts: Facts, good: list[int]) -> None:
    rows = []
    base = {"orderid": 0, "packageid": 1, "server": 1, "regdate": "2023-01-15",
            "paymentmethod": "paypal", "qty": 1, "firstpaymentamount": "4.99", "amount": "4.99",
            "billingcycle": "Monthly", "nextduedate": "2024-08-15", "nextinvoicedate": "2024-08-15",
            "termination_date": "0000-00-00", "completed_date": "0000-00-00",
            "domainstatus": "Active", "notes": "", "subscriptionid": "", "promoid": 0,
            "promocount": 0, "suspendreason": "", "overideautosuspend": 0,
            "overidesuspenduntil": "0000-00-00", "dedicatedip": "", "assignedips": "",
            "ns1": "", "ns2": "", "diskusage": 0, "disklimit": 0, "bwusage": 0, "bwlimit": 0,
            "lastupdate": "0000-00-00 00:00:00", "created_at": "2023-01-15 09:30:00"}
    for i, cid in enumerate(good, start=1):
        password = f"pw-{i}-ß"
        facts.service_passwords[i] = password
        rows.append({**base, "id": i, "userid": cid, "domain": f"site{i}.example",
                     "username": f"user{i}", "password": whmcs_legacy_encrypt(password, CC_HASH)})
    orphan = len(good) + 1
    rows.append({**base, "id": orphan, "userid": 999, "domain": "ghost.example",
                 "username": "ghost", "password": ""})
    rows.append({**base, "id": orphan + 1, "userid": good[0], "packageid": 55,
                 "domain": "noproduct.example", "username": "np", "password": ""})
    rows.append({**base, "id": orphan + 2, "userid": good[0], "billingcycle": "Fortnightly",
                 "domain": "oddcycle.example", "username": "odd", "password": ""})
    facts.quarantined["tblhosting"] = {str(orphan), str(orphan + 1), str(orphan + 2)}
    _insert(src, "tblhosting", rows)
    _insert(src, "tbldomains", [{
        "id": 1, "userid": good[0], "orderid": 0, "type": "Register",
        "registrationdate": "2023-01-15", "domain": "Example-One.COM",
        "firstpaymentamount": "10.00", "recurringamount": "12.00", "registrar": "enom",
        "registrationperiod": 1, "expirydate": "2025-01-15", "subscriptionid": "", "promoid": 0,
        "status": "Active", "nextduedate": "2025-01-15", "nextinvoicedate": "2025-01-01",
        "additionalnotes": "", "paymentmethod": "paypal", "dnsmanagement": 1,
        "emailforwarding": 0, "idprotection": 0, "is_premium": 0, "donotrenew": 0,
        "reminders": "", "synced": 0}])


def _billing(src: Any, facts: Facts, good: list[int]) -> None:
    invoices, items, accounts = [], [], []
    totals: dict[str, Decimal] = {}
    inv_id = 100
    for n, cid in enumerate(good):
        for k, status in enumerate(("Paid", "Unpaid", "Cancelled")):
            inv_id += 1
            sub = Decimal("10.00") + n + k
            tax = (sub * Decimal("0.19")).quantize(Decimal("0.01"))
            credit = Decimal("2.00") if (n, k) == (0, 0) else Decimal(0)
            total = sub + tax - credit
            invoices.append({
                "id": inv_id, "userid": cid, "invoicenum": "", "date": "2024-06-30",
                "duedate": "2024-07-14", "datepaid": "2024-07-01 00:30:00" if status == "Paid"
                else "0000-00-00 00:00:00", "subtotal": str(sub), "credit": str(credit),
                "tax": str(tax), "tax2": "0.00", "total": str(total), "taxrate": "19.000",
                "taxrate2": "0.000", "status": status, "paymentmethod": "paypal",
                "paymethodid": None, "notes": "", "created_at": "2024-06-30 08:00:00",
                "updated_at": "2024-06-30 08:00:00"})
            currency = "EUR" if n == 0 else "USD"
            totals[f"{currency} {status.lower()}"] = totals.get(
                f"{currency} {status.lower()}", Decimal(0)) + total
            items.append({"id": inv_id * 10, "invoiceid": inv_id, "userid": cid,
                          "type": "Hosting", "relid": n + 1, "description": "Starter hosting",
                          "amount": str(sub), "taxed": 1, "duedate": "2024-07-14",
                          "paymentmethod": "paypal", "notes": ""})
            if status == "Paid":
                accounts.append({"id": inv_id, "userid": cid, "currency": 0, "gateway": "paypal",
                                 "date": "2024-07-01 00:30:00", "description": "Invoice Payment",
                                 "amountin": str(total), "fees": "0.30", "amountout": "0.00",
                                 "rate": "1.00000", "transid": f"TX{inv_id}",
                                 "invoiceid": inv_id, "refundid": 0})
    invoices.append({**invoices[-1], "id": 900, "userid": 999, "total": "7.77",
                     "subtotal": "7.77", "tax": "0.00", "credit": "0.00", "status": "Unpaid"})
    invoices.append({**invoices[-2], "id": 901, "date": "0000-00-00", "duedate": "0000-00-00"})
    facts.quarantined["tblinvoices"] = {"900", "901"}
    items.append({**items[-1], "id": 9999, "invoiceid": 900})
    facts.quarantined["tblinvoiceitems"] = {"9999"}
    first_paid = accounts[0]
    accounts.append({**first_paid, "id": 5000, "date": "2024-07-02 10:00:00",
                     "description": "Refund", "amountin": "0.00", "amountout": "3.00",
                     "fees": "0.00", "transid": "RF1", "refundid": first_paid["id"]})
    accounts.append({**first_paid, "id": 5001, "date": "0000-00-00 00:00:00",
                     "amountin": "1.00", "transid": "TXZERO", "invoiceid": 0})
    accounts.append({**first_paid, "id": 5002, "amountin": "2.00", "invoiceid": 0,
                     "description": "duplicate gateway id"})  # same transid as first_paid
    facts.quarantined["tblaccounts"] = {"5001"}
    facts.invoice_totals = totals
    _insert(src, "tblinvoices", invoices)
    _insert(src, "tblinvoiceitems", items)
    _insert(src, "tblaccounts", accounts)
    _insert(src, "tblcredit", [
        {"id": 1, "clientid": good[0], "admin_id": 1, "date": "2024-05-05",
         "description": "Goodwill", "amount": "14.50", "relid": 0},
        {"id": 2, "clientid": good[0], "admin_id": 0, "date": "2024-06-30",
         "description": "Credit Applied to Invoice #101", "amount": "-2.00", "relid": 101},
        {"id": 3, "clientid": 999, "admin_id": 0, "date": "2024-06-30",
         "description": "orphan", "amount": "5.00", "relid": 0}])
    facts.quarantined["tblcredit"] = {"3"}


def _support(src: Any, facts: Facts, good: list[int]) -> None:
    _insert(src, "tblticketdepartments", [{
        "id": 1, "name": "Support", "description": "", "email": "support@example.test",
        "clientsonly": "", "piperepliesonly": "", "noautoresponder": "", "hidden": "",
        "order": 1, "host": "", "port": "", "login": "", "password": "",
        "mail_auth_config": "", "feedback_request": 0}])
    ticket = {"did": 1, "contactid": 0, "requestor_id": 1, "name": "", "email": "", "cc": "",
              "c": "abcd1234", "ipaddress": "192.0.2.7", "date": "2024-07-01 12:00:00",
              "urgency": "High", "admin": "", "attachments_removed": 0,
              "lastreply": "2024-07-01 13:00:00", "flag": 1, "clientunread": 0,
              "adminunread": "", "replyingadmin": 0, "replyingtime": "0000-00-00 00:00:00",
              "service": "S1", "merged_ticket_id": 0, "editor": "plain"}
    _insert(src, "tbltickets", [
        {**ticket, "id": 1, "tid": "ABC-123456", "userid": good[0],
         "title": "Site down &#128561;", "message": "My site is down", "status": "Open",
         "attachment": "123456_screenshot.png|654321_log.txt"},
        {**ticket, "id": 2, "tid": "DEF-654321", "userid": good[1], "title": "Billing",
         "message": "Question", "status": "Customer-Reply", "attachment": "", "service": ""}])
    reply = {"userid": 0, "contactid": 0, "requestor_id": 0, "name": "", "email": "",
             "attachment": "", "attachments_removed": 0, "rating": 0, "editor": "plain"}
    _insert(src, "tblticketreplies", [
        {**reply, "id": 1, "tid": 1, "date": "2024-07-01 13:00:00", "message": "Looking now",
         "admin": "Ada Admin", "attachment": "999_fix.diff"},
        {**reply, "id": 2, "tid": 1, "userid": good[0], "date": "2024-07-01 14:00:00",
         "message": "Thanks!", "admin": ""},
        {**reply, "id": 3, "tid": 404, "date": "2024-07-01 14:00:00", "message": "lost",
         "admin": ""}])
    facts.quarantined["tblticketreplies"] = {"3"}
    _insert(src, "tblticketnotes", [{"id": 1, "ticketid": 1, "admin": "Ada Admin",
                                     "date": "2024-07-01 12:30:00", "message": "internal",
                                     "attachments": "", "attachments_removed": 0,
                                     "editor": "plain"}])
    _insert(src, "tblactivitylog", [{"id": 1, "date": "2024-07-01 12:00:00",
                                     "description": "Client logged in", "user": "Client",
                                     "userid": good[0], "user_id": 1, "admin_id": 0,
                                     "ipaddr": "192.0.2.1"}])


def _extras(src: Any, facts: Facts, good: list[int]) -> None:
    """Cancellation requests, domain extra fields, billable items, quotes and affiliates."""
    q = facts.quarantined
    src.execute("INSERT INTO tblhosting (id, userid, packageid, server, regdate, domain,"
                " paymentmethod, billingcycle, domainstatus, termination_date, nextduedate)"
                f" VALUES (50, {good[0]}, 1, 1, '2023-01-15', 'ended.example', 'paypal',"
                " 'Monthly', 'Terminated', '2024-03-01', '2024-03-01')")
    request = {"date": "2024-07-01 10:00:00", "reason": "Too expensive",
               "created_at": "2024-07-01 10:00:00", "updated_at": "2024-07-01 10:00:00"}
    _insert(src, "tblcancelrequests", [
        {**request, "id": 1, "relid": 1, "type": "End of Billing Period"},
        {**request, "id": 2, "relid": 50, "type": "Immediate"},
        {**request, "id": 3, "relid": 999, "type": "Immediate"},
        {**request, "id": 4, "relid": 1, "type": "Whenever"}])
    q["tblcancelrequests"] = {"3", "4"}
    stamp = {"created_at": "2024-01-01 00:00:00", "updated_at": "2024-01-01 00:00:00"}
    _insert(src, "tbldomainsadditionalfields", [
        {**stamp, "id": 1, "domainid": 1, "name": "Nexus Category", "value": "C11"},
        {**stamp, "id": 2, "domainid": 77, "name": "Nexus Category", "value": "C12"},
        {**stamp, "id": 3, "domainid": 1, "name": "Nexus Category", "value": "C31"}])
    q["tbldomainsadditionalfields"] = {"2", "3"}  # orphan; same field twice for one domain
    item = {"description": "Consulting", "recur": 0, "recurcycle": "", "recurfor": 0,
            "invoiceaction": 0, "unit": 0, "duedate": "2024-08-01", "invoicecount": 0}
    _insert(src, "tblbillableitems", [
        {**item, "id": 1, "userid": good[0], "hours": "2.5", "amount": "100.00"},
        {**item, "id": 2, "userid": good[1], "hours": "3.0", "amount": "10.00",
         "invoiceaction": 4, "recur": 1, "recurcycle": "Months", "recurfor": 12,
         "invoicecount": 2},
        {**item, "id": 3, "userid": 999, "hours": "1.0", "amount": "7.00"},
        {**item, "id": 4, "userid": good[0], "hours": "1.0", "amount": "8.00",
         "invoiceaction": 9}])
    q["tblbillableitems"] = {"3", "4"}
    quote = {"subject": "New site &amp; mail", "validuntil": "2024-09-30", "firstname": "Pro",
             "lastname": "Spect", "companyname": "", "email": "p@example.test",
             "address1": "", "address2": "", "city": "", "state": "", "postcode": "",
             "country": "US", "phonenumber": "", "tax_id": "", "currency": 0,
             "subtotal": "115.00", "tax1": "0.00", "tax2": "0.00", "total": "115.00",
             "proposal": "", "customernotes": "", "adminnotes": "", "datecreated": "2024-09-01",
             "lastmodified": "2024-09-02", "datesent": "0000-00-00",
             "dateaccepted": "0000-00-00"}
    _insert(src, "tblquotes", [
        {**quote, "id": 1, "userid": good[0], "stage": "On Hold"},
        {**quote, "id": 2, "userid": 0, "stage": "Accepted", "currency": 1,
         "validuntil": "0000-00-00", "total": "20.00", "subtotal": "20.00"},
        {**quote, "id": 3, "userid": good[0], "stage": "Draft", "datecreated": "0000-00-00",
         "validuntil": "0000-00-00", "total": "1.00"}])
    q["tblquotes"] = {"3"}  # no date at all: the core needs a creation date
    line = {"discount": "0.00", "taxable": 1, **stamp}
    _insert(src, "tblquoteitems", [
        {**line, "id": 1, "quoteid": 1, "description": "Site", "quantity": "2",
         "unitprice": "50.00"},
        {**line, "id": 2, "quoteid": 1, "description": "Mail", "quantity": "1.5",
         "unitprice": "10.00", "discount": "10.00"},
        {**line, "id": 3, "quoteid": 3, "description": "lost", "quantity": "1",
         "unitprice": "1.00"}])
    q["tblquoteitems"] = {"3"}
    _insert(src, "tblaffiliates", [
        {**stamp, "id": 1, "date": "2024-02-01", "clientid": good[0], "visitors": 42,
         "paytype": "percentage", "payamount": "10.00", "onetime": 0, "balance": "25.50",
         "withdrawn": "5.00"},
        {**stamp, "id": 2, "date": None, "clientid": 999, "visitors": 0, "paytype": "",
         "payamount": "0.00", "onetime": 0, "balance": "3.00", "withdrawn": "0.00"}])
    q["tblaffiliates"] = {"2"}
    _pay_methods(src, facts, good)
    status = {"showactive": 1, "showawaiting": 0, "autoclose": 0}
    _insert(src, "tblticketstatuses", [
        {**status, "id": 1, "title": "Open", "color": "#779500", "sortorder": 1,
         "showawaiting": 1},
        {**status, "id": 2, "title": "Customer-Reply", "color": "#ff6600", "sortorder": 2},
        {**status, "id": 3, "title": "Closed", "color": "#888888", "sortorder": 3,
         "showactive": 0},
        {**status, "id": 4, "title": "Awaiting Vendor", "color": "#123456", "sortorder": 7,
         "showawaiting": 1, "autoclose": 1}])


def _pay_methods(src: Any, facts: Facts, good: list[int]) -> None:
    """Stored cards/bank accounts, their details encrypted the WHMCS 7.8+ way."""
    from importers.whmcs.paymethods import encrypt_details

    stamp = {"created_at": "2024-01-01 00:00:00", "updated_at": "2024-01-01 00:00:00",
             "deleted_at": None}
    stripe = json.dumps({"customer": "cus_A1", "method": "pm_B2"})
    _insert(src, "tblcreditcards", [
        {**stamp, "id": 1, "pay_method_id": 1, "card_type": "Visa", "last_four": "4242",
         "expiry_date": "2027-08-31 00:00:00",
         "card_data": encrypt_details({"cardNumber": "4242424242424242"}, CC_HASH, good[0])},
        {**stamp, "id": 2, "pay_method_id": 2, "card_type": "MasterCard", "last_four": "4444",
         "expiry_date": "2026-01-31 00:00:00",
         "card_data": encrypt_details({"remoteToken": stripe}, CC_HASH, good[1])},
        {**stamp, "id": 3, "pay_method_id": 4, "card_type": "Visa", "last_four": "1111",
         "expiry_date": "2026-01-31 00:00:00",  # encrypted for another client: wrong key
         "card_data": encrypt_details({"cardNumber": "4111111111111111"}, CC_HASH, good[0])},
        {**stamp, "id": 4, "pay_method_id": 5, "card_type": "Visa", "last_four": "1111",
         "expiry_date": "2026-01-31 00:00:00",
         "card_data": encrypt_details({"cardNumber": "4111111111111111"}, CC_HASH, 999)}])
    _insert(src, "tblbankaccts", [
        {**stamp, "id": 1, "pay_method_id": 3, "bank_name": "First Bank", "acct_type": "Checking",
         "bank_data": encrypt_details({"accountNumber": "000123456789",
                                       "routingNumber": "110000000"}, CC_HASH, good[0])}])
    method = {"description": "", "contact_id": 0, "contact_type": "Client",
              "gateway_name": "stripe", "order_preference": 0, **stamp}
    _insert(src, "tblpaymethods", [
        {**method, "id": 1, "userid": good[0], "payment_id": 1, "payment_type": "CreditCard",
         "gateway_name": "offlinecc", "description": "Office card"},
        {**method, "id": 2, "userid": good[1], "payment_id": 2,
         "payment_type": "RemoteCreditCard", "order_preference": 1},
        {**method, "id": 3, "userid": good[0], "payment_id": 1, "payment_type": "BankAccount",
         "gateway_name": "banktransfer", "contact_id": 1, "contact_type": "Contact",
         "deleted_at": "2024-05-01 12:00:00"},
        {**method, "id": 4, "userid": good[1], "payment_id": 3, "payment_type": "CreditCard"},
        {**method, "id": 5, "userid": 999, "payment_id": 4, "payment_type": "CreditCard"}])
    facts.quarantined["tblpaymethods"] = {"4", "5"}


def add_bulk_invoices(src: Any, start_id: int, count: int, client_id: int) -> None:
    """``count`` plain unpaid invoices with one line each (for resume and delta tests)."""
    invoices, items = [], []
    for inv_id in range(start_id, start_id + count):
        invoices.append({
            "id": inv_id, "userid": client_id, "invoicenum": f"B{inv_id}", "date": "2024-08-01",
            "duedate": "2024-08-15", "datepaid": None, "subtotal": "3.33", "credit": "0.00",
            "tax": "0.00", "tax2": "0.00", "total": "3.33", "taxrate": "0.000",
            "taxrate2": "0.000", "status": "Unpaid", "paymentmethod": "paypal",
            "paymethodid": None, "notes": "bulk", "created_at": "2024-08-01 08:00:00",
            "updated_at": "2024-08-01 08:00:00"})
        items.append({"id": inv_id * 10, "invoiceid": inv_id, "userid": client_id,
                      "type": "Item", "relid": 0, "description": "bulk line", "amount": "3.33",
                      "taxed": 0, "duedate": "2024-08-15", "paymentmethod": "paypal",
                      "notes": ""})
    _insert(src, "tblinvoices", invoices)
    _insert(src, "tblinvoiceitems", items)
