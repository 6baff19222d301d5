"""Fuzzing every implemented Blesta method with random parameters: the envelope never breaks.

For each registered method that hostbridge implements (fully or partly), hypothesis sends
random parameters - the method's own parameter names (Appendix A), PHP bracket arrays under
them (``vars[lines][0][amount]``), junk names; values that are text, small ids hitting seeded
rows, huge and negative numbers, decimals, booleans, dates, unicode, empty - as a GET query, a
POST form or a POST JSON body (as blesta-sdk sends), and checks what any Blesta client relies
on (blesta.md §1.4):

- the status is 200, 400, 401, 403, 404 or 415; a 500 only for the documented "Failed to
  retrieve the default value" of a required argument left out (§1.2), never a handler crash;
- the body is Blesta's envelope: an object with ``response``, and ``message`` on non-200.

Two deterministic companions send each argument in turn as text and as a PHP array (per
method), and past 64 bits (all methods in one test: one shared cause). Crashes found and not
fixed yet are strict expected failures (``_FUZZ_FOUND``, ``_SWEEP_FOUND``), so a fix shows.

Bounded: 8 examples per method, derandomized (the same examples every run), no shrinking, no
example database, one app for the file on a database without fsync.
"""

from __future__ import annotations

import json
import logging
import shutil
import traceback
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

import compat.blesta.api.views  # noqa: F401  (registers every method and the fallbacks)
from bridge import create_app
from bridge.context import Actor
from bridge.models import Admin, Company, TicketDepartment
from bridge.services.access import add_api_credential
from bridge.testing import ensure_currency
from compat.blesta.api.registry import METHODS

USER = "fuzz-user"
KEY = "fuzz-key-0123456789abcdef"
HEADERS = {"BLESTA-API-USER": USER, "BLESTA-API-KEY": KEY}
ALLOWED = {200, 400, 401, 403, 404, 415}
MISSING_ARGUMENT = "Failed to retrieve the default value"
T = "support_manager.support_manager_tickets"

IMPLEMENTED = sorted((spec.model, spec.name, spec.params) for spec in METHODS.values()
                     if spec.status != "not_supported")

# -- crashes found by this file and not fixed yet ------------------------------------------------
# Each is an expected failure of its method (strict: fixing one makes the test say so, and the
# entry goes). The causes, with their sites, are in the report of the change that added this.
CAUSES = {
    "int": "a bare int() of a text or array argument raises ValueError/TypeError (500) instead "
           "of a 400 naming the field",
    "array": "an array argument where text is expected (gateway_manager: currency.upper() on "
             "a dict)",
    "64": "an integer past 64 bits reaches the database (OverflowError): the integer readers "
          "(_people.opt_int/req_int, billing_shared.as_int/optional_int, bare int()) do not "
          "bound ids, pages and counts to 64 bits",
}
_FUZZ_FOUND: dict[str, str] = {}  # none left: every argument passes the readers of args.py
_SWEEP_FOUND: dict[str, str] = {}

def _known(found: dict[str, str]) -> dict[tuple[str, str], str]:
    known = {}
    for codes, methods in found.items():
        for ident in methods.split():
            model, _, name = ident.rpartition("/")
            known[(model, name)] = "; ".join(CAUSES[c] for c in codes.split())
    return known


KNOWN_CRASHES = _known(_FUZZ_FOUND)
KNOWN_SWEEP_CRASHES = _known(_SWEEP_FOUND)

# -- strategies ---------------------------------------------------------------------------------

# field names found inside Blesta's array arguments (vars, filters, order_by ...), §2
FIELDS = (
    "client_id first_name last_name email status name type currency amount qty price term "
    "period pricing_id package_id service_id invoice_id ticket_id contact_id user_id staff_id "
    "department_id company_id module_id module_row_id client_group_id coupon_id code key value "
    "summary details priority use_module new_password confirm_password username description "
    "date_added date_due date_billed date_renews start_date end_date lines amounts pricing "
    "names groups numbers settings meta values packages configoptions tax setup_fee "
    "override_price transaction_id transaction_type_id gateway_id note_public contact_type "
    "title country state zip id id_code tld label number expiration account routing").split()

SAFE_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
SCALARS = st.one_of(
    SAFE_TEXT,
    st.integers(min_value=0, max_value=4).map(str),  # ids that hit seeded rows
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
    st.sampled_from(["", " ", "0", "1", "-1", "true", "false", "null", "[]", "{}",
                     "0000-00-00", "2026-02-30", "2026-01-01 10:00:00", "2026-01-01T10:00:00Z",
                     "active", "open", "month", "year", "onetime", "USD", "EUR", "en_us",
                     "ASC", "desc", "1.5", "1e400", "NaN", "0x10", "٣", "<x>&amp;</x>",
                     "' OR 1=1 --", "\x00", "Ünïcødé ✓ 🚀 中文", "9" * 40, "x" * 5000]),
)
JSON_VALUES = st.recursive(
    st.one_of(SCALARS, st.integers(min_value=-(2**70), max_value=2**70), st.booleans(),
              st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4)),
    max_leaves=8)
JUNK_KEYS = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12),
    st.sampled_from(["page", "order_by", "filters", "vars", "__proto__", "x[", "]", "a[b",
                     "[]", "[0]", "vars[", "vars]["]),
)


def _bracketed(name: str) -> st.SearchStrategy[str]:
    """``name`` as sent: plain, or a PHP array element one or three levels deep."""
    field = st.sampled_from(FIELDS)
    return st.one_of(
        st.just(name),
        field.map(lambda f: f"{name}[{f}]"),
        st.sampled_from(["0", "1", ""]).map(lambda i: f"{name}[{i}]"),
        st.tuples(field, st.sampled_from(["0", "1"]), field).map(
            lambda t: f"{name}[{t[0]}][{t[1]}][{t[2]}]"),
    )


def form_pairs(names: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Random (key, value) pairs: mostly the method's parameter names, some junk."""
    named = st.sampled_from(names).flatmap(_bracketed) if names else JUNK_KEYS
    return st.lists(st.tuples(st.one_of(named, named, JUNK_KEYS), SCALARS), max_size=8)


def json_body(names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object body: the method's parameter names (and junk) to nested values."""
    keys = st.one_of(st.sampled_from(names), JUNK_KEYS) if names else JUNK_KEYS
    return st.dictionaries(keys, JSON_VALUES, max_size=6)


# -- fixtures -----------------------------------------------------------------------------------

def _no_fsync(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA synchronous=OFF")  # a throw-away database


@pytest.fixture(scope="module")
def fuzz_app(schema_template, tmp_path_factory):
    """One app for the whole file (examples share its state, as callers of a real install
    do), with rows of most kinds at ids 1-2 for random small ids to hit."""
    from argon2 import PasswordHasher

    import bridge.security.passwords as passwords

    folder = tmp_path_factory.mktemp("blesta-fuzz")
    shutil.copyfile(schema_template, folder / "bridge.db")
    app = create_app({"instance_path": str(folder / "instance"),
                      "database_url": f"sqlite:///{folder / 'bridge.db'}",
                      "secret_key": "fuzz-install-key-0123456789", "testing": True})
    state = app.extensions["bridge"]
    event.listen(state.db.engine, "connect", _no_fsync)
    state.db.engine.dispose()
    # passwords sent to clients/create, users/add ... are hashed: cheaply, in this file
    original = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    try:
        with state.transaction(Actor(source="test")) as session:
            ensure_currency(session)
            ensure_currency(session, "EUR", "0.9")
            add_api_credential(session, USER, KEY)
            session.add_all([
                Company(id=1, name="Main", hostname="billing.example.com"),
                TicketDepartment(name="Help", email="help@example.com"),
                Admin(username="staff1", first_name="Sam", last_name="Ops",
                      email="sam@example.com")])
        _seed(app.test_client())
        yield app
    finally:
        passwords._hasher = original
        state.db.dispose()


def _seed(web: Any) -> None:
    def ok(path: str, **params: Any) -> Any:
        response = web.post(f"/api/{path}.json", headers=HEADERS, data=params)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        return response.get_json()["response"]

    for n in (1, 2):
        ok("clients/create", **{"vars[first_name]": f"Fuzz{n}", "vars[last_name]": "Target",
                                "vars[email]": f"fuzz{n}@example.com", "vars[country]": "US"})
        ok("contacts/add", **{"vars[client_id]": n, "vars[contact_type]": "billing",
                              "vars[first_name]": "Con", "vars[last_name]": "Tact",
                              "vars[email]": f"con{n}@example.com"})
        ok("clients/addNote", client_id=n, staff_id=1, **{"vars[title]": "Note",
                                                          "vars[description]": "Text"})
        ok("client_groups/add", **{"vars[name]": f"Group{n}", "vars[company_id]": 1})
        ok("package_groups/add", **{"vars[names][0][lang]": "en_us",
                                    "vars[names][0][name]": f"Plans{n}"})
        ok("packages/add", **{
            "vars[names][0][lang]": "en_us", "vars[names][0][name]": f"Plan{n}",
            "vars[groups][0]": n, "vars[pricing][0][term]": "1",
            "vars[pricing][0][period]": "month", "vars[pricing][0][currency]": "USD",
            "vars[pricing][0][price]": "10", "vars[pricing][1][term]": "1",
            "vars[pricing][1][period]": "year", "vars[pricing][1][currency]": "USD",
            "vars[pricing][1][price]": "100"})
        ok("services/add", **{"vars[pricing_id]": 1, "vars[client_id]": n,
                              "vars[status]": "active", "vars[use_module]": "false",
                              "vars[x_domain]": f"fuzz{n}.example"})
        ok("invoices/add", **{"vars[client_id]": n, "vars[lines][0][description]": "Line",
                              "vars[lines][0][amount]": "20", "vars[lines][0][qty]": "1"})
        ok("transactions/add", **{"vars[client_id]": n, "vars[amount]": "50"})
        ok(f"{T}/add", **{"vars[department_id]": 1, "vars[client_id]": n,
                          "vars[summary]": "Fuzz", "vars[details]": "Fuzzing"})
        ok("package_option_groups/add", **{"vars[company_id]": 1, "vars[name]": f"Opt{n}"})
        ok("package_options/add", **{
            "vars[company_id]": 1, "vars[label]": "RAM", "vars[name]": f"ram{n}",
            "vars[type]": "select", "vars[groups][0]": n, "vars[values][0][name]": "1GB",
            "vars[values][0][value]": "1", "vars[values][0][pricing][0][term]": "1",
            "vars[values][0][pricing][0][period]": "month",
            "vars[values][0][pricing][0][price]": "2"})
    ok("transactions/apply", transaction_id=1, **{"vars[amounts][0][invoice_id]": 1,
                                                  "vars[amounts][0][amount]": "20"})
    ok("coupons/add", **{"vars[code]": "FUZZ", "vars[company_id]": 1, "vars[packages][0]": 1,
                         "vars[amounts][0][currency]": "USD", "vars[amounts][0][amount]": "5",
                         "vars[amounts][0][type]": "amount"})
    ok("taxes/add", **{"vars[company_id]": 1, "vars[level]": 1, "vars[name]": "VAT",
                       "vars[amount]": "20", "vars[type]": "exclusive"})


# -- the test -----------------------------------------------------------------------------------

def _crash_detail(records: list[logging.LogRecord]) -> str:
    """The project's frames of each logged exception (not the libraries'), then the error."""
    lines: list[str] = []
    for record in records:
        if not record.exc_info:
            continue
        kind, error, tb = record.exc_info
        frames = [f for f in traceback.extract_tb(tb) if "site-packages" not in f.filename]
        lines += [f"  {f.filename}:{f.lineno} in {f.name}: {f.line}" for f in frames[-4:]]
        lines.append(f"{kind.__name__ if kind else '?'}: {error}")
    return "\n".join(lines) or "(no exception was logged)"


def _short(value: Any) -> Any:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) < 60 else text[:40] + f"...({len(text)} chars)"


def _params():
    out = []
    for model, name, params in IMPLEMENTED:
        marks = []
        if (model, name) in KNOWN_CRASHES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_CRASHES[(model, name)]))
        out.append(pytest.param(model, name, [p for p, _ in params],
                                id=f"{model}/{name}", marks=marks))
    return out


@pytest.mark.parametrize(("model", "name", "names"), _params())
# no shrinking: the failing example is printed as drawn, and a known crash (an expected
# failure) must not cost minutes of shrinking on every run
@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_random_parameters_keep_the_envelope(model, name, names, fuzz_app, caplog, data):
    verb = data.draw(st.sampled_from(["GET", "POST", "POST-json"]), label="verb")
    url = f"/api/{model}/{name}.json"
    web = fuzz_app.test_client()
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="compat.blesta.api.views"):
        if verb == "POST-json":
            body = data.draw(json_body(names), label="json")
            sent: Any = {k: _short(v) for k, v in body.items()}
            response = web.post(url, headers=HEADERS, json=body)
        else:
            pairs = data.draw(form_pairs(names), label="params")
            sent = [(k, _short(v)) for k, v in pairs]
            where = "query_string" if verb == "GET" else "data"
            response = web.open(url, method=verb, headers=HEADERS,
                                **{where: MultiDict(pairs)})
    status, text = response.status_code, response.get_data(as_text=True)
    try:
        envelope = json.loads(text)
    except ValueError:
        pytest.fail(f"{model}/{name} {verb} {sent!r}: HTTP {status}, not JSON: {text[:300]}")
    assert isinstance(envelope, dict) and "response" in envelope, \
        f"{model}/{name}: no envelope: {text[:300]}"
    if status != 200:
        assert isinstance(envelope.get("message"), str), f"{model}/{name}: no message"
    if status == 500 and envelope["response"] == MISSING_ARGUMENT:
        return  # a required argument left out, as Blesta answers it
    if status not in ALLOWED:
        pytest.fail(f"{model}/{name} crashed (HTTP {status}) on {verb} {sent!r}:\n"
                    f"{_crash_detail(caplog.records)}")


# -- deterministic companions: malformed values in every argument ------------------------------

MALFORMED = {"text": "abc", "array": None}  # None: sent as name[0]=1&name[x]=1
PAST_64_BITS = {"past-64-bits": "9" * 25, "negative-huge": "-" + "9" * 25}
# integer fields inside ``vars``-style arrays (one request sets all of them, nested ones too)
INT_FIELDS = (
    "client_id qty max_qty client_group_id module_row_id module_group pricing_id package_id "
    "service_id invoice_id contact_id user_id staff_id department_id company_id module_id "
    "coupon_id term transaction_type_id gateway_id option_group_id category_id parent_id "
    "account_id ticket_id package_group_id prorata_day level precision used_qty").split()
NESTED = ("lines][0][service_id", "lines][0][qty", "amounts][0][invoice_id", "groups][0",
          "pricing][0][term", "packages][0", "configoptions][1", "values][0][min")


def _crashed(status: int, text: str) -> str | None:
    """Why an answer breaks the contract, or None."""
    try:
        envelope = json.loads(text)
    except ValueError:
        return f"HTTP {status}, not JSON"
    if not isinstance(envelope, dict) or "response" not in envelope:
        return "no envelope"
    if status == 500 and envelope["response"] == MISSING_ARGUMENT:
        return None
    return None if status in ALLOWED else f"HTTP {status}"


def _attempts(names: list[str], values: dict[str, str | None]
              ) -> list[tuple[str, list[tuple[str, str]]]]:
    """(label, form pairs): each argument in turn malformed, the others 1 (ids that exist);
    for ``vars``/``filters`` also every integer field inside them at once (as the value), or
    every known field inside them as an array."""
    attempts = []
    for target in names:
        others = [(p, "1") for p in names if p != target]
        for label, value in values.items():
            bad = [(f"{target}[0]", "1"), (f"{target}[x]", "1")] if value is None \
                else [(target, value)]
            attempts.append((f"{target}={label}", [*others, *bad]))
            if target in ("vars", "filters") and value is not None:
                fields = [(f"{target}[{f}]", value) for f in (*INT_FIELDS, *NESTED)]
                attempts.append((f"{target}[int fields]={label}", [*others, *fields]))
            elif target in ("vars", "filters"):  # every known field as an array at once
                fields = [(f"{target}[{f}][{i}]", "1") for f in (*FIELDS, *INT_FIELDS)
                          for i in ("0", "x")]
                attempts.append((f"{target}[every field]=array", [*others, *fields]))
    return attempts


def _offenders(app: Any, caplog: Any, model: str, name: str,
               attempts: list[tuple[str, list[tuple[str, str]]]]) -> list[str]:
    web = app.test_client()
    found = []
    for label, pairs in attempts:
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="compat.blesta.api.views"):
            response = web.post(f"/api/{model}/{name}.json", headers=HEADERS,
                                data=MultiDict(pairs))
        why = _crashed(response.status_code, response.get_data(as_text=True))
        if why:
            found.append(f"{model}/{name} {label}: {why}\n{_crash_detail(caplog.records)}")
    return found


def _sweep_params():
    out = []
    for model, name, params in IMPLEMENTED:
        marks = []
        if (model, name) in KNOWN_SWEEP_CRASHES:
            marks.append(pytest.mark.xfail(strict=True,
                                           reason=KNOWN_SWEEP_CRASHES[(model, name)]))
        out.append(pytest.param(model, name, [p for p, _ in params], id=f"{model}/{name}",
                                marks=marks))
    return out


@pytest.mark.parametrize(("model", "name", "names"), _sweep_params())
def test_malformed_arguments_are_answered_not_crashed(model, name, names, fuzz_app, caplog):
    """Each argument in turn as text and as a PHP array (a dict), the integer fields of
    ``vars`` as text: every answer keeps the contract."""
    offenders = _offenders(fuzz_app, caplog, model, name, _attempts(names, MALFORMED))
    assert not offenders, "\n".join(offenders)


def test_integers_past_64_bits_are_answered_not_crashed(fuzz_app, caplog):
    """Every argument of every method, and every integer field of ``vars``, past 64 bits:
    an answer, never a crash (SQLite and MariaDB cannot bind such integers). One test for
    all methods: the cause is shared (the integer readers), so one list of offenders is more
    useful than 180 failures."""
    offenders: dict[str, list[str]] = {}
    for model, name, params in IMPLEMENTED:
        names = [p for p, _ in params]
        for crash in _offenders(fuzz_app, caplog, model, name, _attempts(names, PAST_64_BITS)):
            site = crash.splitlines()[-2].strip() if crash.count("\n") > 1 else crash
            offenders.setdefault(site, []).append(crash.split(" ", 1)[0])
    assert not offenders, f"{sum(map(len, offenders.values()))} crashes:\n" + "\n".join(
        f"{site}\n    <- {', '.join(sorted(set(methods)))}" for site, methods in offenders.items())


def test_every_implemented_method_is_fuzzed():
    """The parametrization follows the registry (a method added later is fuzzed too)."""
    assert len(IMPLEMENTED) >= 300
    assert {(m, n) for m, n, _ in IMPLEMENTED} >= {("clients", "create"), ("services", "add"),
                                                   (T, "addReply"), ("invoices", "add")}
