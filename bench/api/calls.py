"""The API calls the benchmark measures, as HTTP request templates for both doors.

A template may hold two placeholders that the load generators fill per request so writes
never collide: ``{n}`` (unique within a run: worker number and a counter) and ``{unpaid}``
(an unpaid invoice id, cycling over the generated clients; see
:meth:`bench.api.datagen.Generator._invoice_plan`: each client's 9th invoice is unpaid).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from .datagen import IDENTIFIER, SECRET

WHMCS_PATH = "/includes/api.php"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Call:
    """One measured call: how to send it and whether it reads or writes."""

    name: str
    method: str
    path: str
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    write: bool = False

    def render(self, n: str, unpaid: int) -> tuple[str, str]:
        """(path, body) with the placeholders filled."""
        return (self.path.replace("{n}", n).replace("{unpaid}", str(unpaid)),
                self.body.replace("{n}", n).replace("{unpaid}", str(unpaid)))


def _whmcs(name: str, action: str, params: dict[str, str], *, write: bool = False) -> Call:
    form = {"action": action, "identifier": IDENTIFIER, "secret": SECRET,
            "responsetype": "json", **params}
    # urlencode would escape the braces of the placeholders; they are restored after
    body = urlencode(form).replace("%7Bn%7D", "{n}").replace("%7Bunpaid%7D", "{unpaid}")
    return Call(name, "POST", WHMCS_PATH, body, {"Content-Type": FORM}, write)


def _blesta(name: str, path: str, params: dict[str, str] | None = None, *,
            write: bool = False) -> Call:
    headers = {"BLESTA-API-USER": IDENTIFIER, "BLESTA-API-KEY": SECRET}
    if write:
        body = urlencode(params or {}).replace("%7Bn%7D", "{n}")
        return Call(name, "POST", path, body, {**headers, "Content-Type": FORM}, True)
    query = f"?{urlencode(params)}" if params else ""
    return Call(name, "GET", path + query, "", headers)


def calls(clients: int) -> list[Call]:
    """Every measured call for a database of ``clients`` clients (ids 1..clients)."""
    mid = max(1, clients // 2)
    invoice = (mid - 1) * 10 + 3  # a paid invoice of client ``mid`` with 3 lines
    return [
        _whmcs("whmcs GetClients", "GetClients", {"limitstart": str(mid), "limitnum": "25"}),
        _whmcs("whmcs GetClients search", "GetClients", {"search": "Grace", "limitnum": "25"}),
        _whmcs("whmcs GetClientsDetails", "GetClientsDetails", {"clientid": str(mid),
                                                                 "stats": "false"}),
        _whmcs("whmcs GetInvoices status", "GetInvoices", {"status": "Unpaid",
                                                            "limitnum": "25"}),
        _whmcs("whmcs GetInvoices client", "GetInvoices", {"userid": str(mid),
                                                            "limitnum": "25"}),
        _whmcs("whmcs GetInvoice", "GetInvoice", {"invoiceid": str(invoice)}),
        _blesta("blesta clients/get", "/api/clients/get.json", {"client_id": str(mid)}),
        _blesta("blesta clients/getList", "/api/clients/getList.json",
                {"status": "active", "page": "3"}),
        _blesta("blesta invoices/getList", "/api/invoices/getList.json",
                {"client_id": str(mid), "status": "active"}),
        _whmcs("whmcs AddInvoicePayment", "AddInvoicePayment",
               {"invoiceid": "{unpaid}", "transid": "BENCH-PAY-{n}", "amount": "0.01",
                "gateway": "offline"}, write=True),
        _whmcs("whmcs AddClient", "AddClient",
               {"firstname": "Load", "lastname": "Test", "email": "load{n}@example.org",
                "address1": "1 Bench Road", "city": "Springfield", "state": "IL",
                "postcode": "62701", "country": "US", "phonenumber": "+1.5550100",
                "skipvalidation": "true"}, write=True),
        _blesta("blesta invoices/add", "/api/invoices/add.json",
                {"vars[client_id]": str(mid), "vars[date_billed]": "2026-11-01",
                 "vars[date_due]": "2026-11-15",
                 "vars[lines][0][description]": "Bench line {n}",
                 "vars[lines][0][qty]": "1", "vars[lines][0][amount]": "5.00"}, write=True),
    ]


def unpaid_invoice(k: int, clients: int) -> int:
    """The k-th unpaid invoice id: the 9th invoice of client ``k % clients + 1``."""
    return (k % clients) * 10 + 9
