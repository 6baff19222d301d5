"""Webhook deliveries against a real loopback HTTP receiver (see conftest.py).

The plugin is registered with a pluggy manager that has the real ``hooks.events`` specs, so
the hook signature is checked the way the host will call it.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pluggy
import pytest

import hooks.events
import plugins.webhooks as webhooks_module
from hooks import PROJECT
from plugins.webhooks import WebhooksPlugin, make_plugin, verify_signature

SECRET = "whsec-test-0123"


def endpoint(url: str, events: list[str] | None = None, secret: str = SECRET) -> dict[str, Any]:
    ep: dict[str, Any] = {"url": url, "secret": secret}
    if events is not None:
        ep["events"] = events
    return ep


@pytest.fixture
def make(request: pytest.FixtureRequest):
    """Build a plugin registered with a pluggy manager; closed after the test."""
    made: list[WebhooksPlugin] = []

    def build(endpoints: list[dict[str, Any]], **settings: Any):
        settings.setdefault("backoff", 0.01)
        plugin = make_plugin({"endpoints": endpoints, **settings})
        pm = pluggy.PluginManager(PROJECT)
        pm.add_hookspecs(hooks.events)
        pm.register(plugin, name="webhooks")
        pm.check_pending()
        made.append(plugin)
        return plugin, pm

    yield build
    for plugin in made:
        plugin.close(timeout=2)


def test_delivery_is_signed_json_with_the_documented_headers(receiver, make):
    plugin, pm = make([endpoint(receiver.url("/ok"))])
    payload = {
        "invoice_id": 7,
        "total": Decimal("15.9500"),
        "due": date(2024, 1, 31),
        "paid_at": datetime(2024, 2, 1, 14, 30, tzinfo=timezone(timedelta(hours=2))),
    }
    pm.hook.bridge_event(name="invoice_paid", payload=payload)
    assert plugin.flush(timeout=5)

    [got] = receiver.to("/ok")
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["x-hostbridge-event"] == "invoice_paid"
    body = json.loads(got.body)
    assert body["id"] == headers["x-hostbridge-delivery"]
    assert body["event"] == "invoice_paid"
    assert body["payload"] == {
        "invoice_id": 7,
        "total": "15.9500",
        "due": "2024-01-31",
        "paid_at": "2024-02-01T12:30:00+00:00",
    }
    occurred = datetime.fromisoformat(body["occurred_at"].replace("Z", "+00:00"))
    assert occurred.utcoffset() == timedelta(0)
    assert abs((datetime.now(UTC) - occurred).total_seconds()) < 60
    assert abs(int(headers["x-hostbridge-timestamp"]) - time.time()) < 60

    ts, sig = headers["x-hostbridge-timestamp"], headers["x-hostbridge-signature"]
    assert sig.startswith("sha256=")
    assert verify_signature(SECRET, ts, got.body, sig)
    assert verify_signature(SECRET, ts, got.body.decode(), sig)
    assert not verify_signature("other-secret", ts, got.body, sig)
    assert not verify_signature(SECRET, ts, got.body.replace(b"15.9500", b"1.0000"), sig)
    assert not verify_signature(SECRET, int(ts) + 1, got.body, sig)


def test_signature_timestamp_tolerance(receiver, make):
    plugin, pm = make([endpoint(receiver.url("/ok"))])
    pm.hook.bridge_event(name="client_added", payload={"client_id": 1})
    assert plugin.flush(timeout=5)
    [got] = receiver.to("/ok")
    ts = got.headers["X-Hostbridge-Timestamp"]
    sig = got.headers["X-Hostbridge-Signature"]
    later = int(ts) + 301
    assert not verify_signature(SECRET, ts, got.body, sig, now=later)
    assert verify_signature(SECRET, ts, got.body, sig, tolerance=600, now=later)
    assert verify_signature(SECRET, ts, got.body, sig, tolerance=None, now=later + 10**6)
    assert not verify_signature(SECRET, "not-a-number", got.body, sig)
    assert not verify_signature(SECRET, ts, got.body, "md5=" + sig[7:])


def test_server_errors_are_retried_with_exponential_backoff(receiver, make):
    plugin, pm = make([endpoint(receiver.url("/flaky/2"))], backoff=0.1, max_attempts=5)
    pm.hook.bridge_event(name="service_suspended", payload={"service_id": 3, "client_id": 1})
    assert plugin.flush(timeout=10)

    got = receiver.to("/flaky/2")
    assert len(got) == 3
    assert len({r.headers["X-Hostbridge-Delivery"] for r in got}) == 1
    assert len({r.body for r in got}) == 1
    # attempt n waits backoff * 2**(n-1) scaled by a jitter factor in [0.5, 1]
    first_gap, second_gap = got[1].at - got[0].at, got[2].at - got[1].at
    assert 0.05 <= first_gap < 1.0
    assert 0.1 <= second_gap < 1.5
    log = plugin.deliveries
    assert [(e["attempt"], e["status_code"], e["outcome"]) for e in log] == [
        (1, 500, "retrying"), (2, 500, "retrying"), (3, 200, "delivered"),
    ]
    assert all(e["event"] == "service_suspended" for e in log)
    assert all(e["duration_ms"] >= 0 for e in log)


def test_gives_up_after_max_attempts(receiver, make):
    plugin, pm = make([endpoint(receiver.url("/down"))], max_attempts=3)
    pm.hook.bridge_event(name="ticket_opened", payload={"ticket_id": 1, "number": "ABC-1"})
    assert plugin.flush(timeout=5)
    assert len(receiver.to("/down")) == 3
    assert [e["outcome"] for e in plugin.deliveries] == ["retrying", "retrying", "failed"]


def test_client_errors_are_not_retried(receiver, make):
    plugin, pm = make([endpoint(receiver.url("/bad"))], max_attempts=5)
    pm.hook.bridge_event(name="client_added", payload={"client_id": 9})
    assert plugin.flush(timeout=5)
    assert len(receiver.to("/bad")) == 1
    [entry] = plugin.deliveries
    assert (entry["status_code"], entry["outcome"], entry["attempt"]) == (400, "failed", 1)


def test_too_many_requests_is_retried(receiver, make):
    plugin, pm = make([endpoint(receiver.url("/limited"))])
    pm.hook.bridge_event(name="client_added", payload={"client_id": 9})
    assert plugin.flush(timeout=5)
    assert [e["status_code"] for e in plugin.deliveries] == [429, 200]


def test_connection_errors_are_retried_and_logged(closed_port_url, make):
    plugin, pm = make([endpoint(closed_port_url)], max_attempts=2)
    pm.hook.bridge_event(name="client_added", payload={"client_id": 9})
    assert plugin.flush(timeout=5)
    log = plugin.deliveries
    assert [e["outcome"] for e in log] == ["retrying", "failed"]
    assert all(e["status_code"] is None and "ConnectionError" in e["error"] for e in log)


def test_timeouts_are_retried(receiver, make):
    plugin, pm = make([endpoint(receiver.url("/slow"))], timeout=0.1, max_attempts=2)
    pm.hook.bridge_event(name="client_added", payload={"client_id": 9})
    assert plugin.flush(timeout=5)
    log = plugin.deliveries
    assert [e["outcome"] for e in log] == ["retrying", "failed"]
    assert all(e["error"] == "timed out after 0.1s" for e in log)


def test_the_hook_never_waits_for_the_network(receiver, make):
    plugin, pm = make([endpoint(receiver.url("/slow"))])
    started = time.monotonic()
    for n in range(2):
        pm.hook.bridge_event(name="client_added", payload={"client_id": n})
    assert time.monotonic() - started < 0.2
    assert not plugin.flush(timeout=0.05)  # still sending
    assert plugin.flush(timeout=5)
    assert len(receiver.to("/slow")) == 2


def test_endpoints_receive_only_their_events(receiver, make):
    plugin, pm = make([
        endpoint(receiver.url("/ok?who=paid"), ["invoice_paid"]),
        endpoint(receiver.url("/ok?who=all"), ["*"]),
        endpoint(receiver.url("/ok?who=clients"), ["client_added"]),
        endpoint(receiver.url("/ok?who=default")),
    ])
    pm.hook.bridge_event(name="invoice_paid", payload={"invoice_id": 1, "client_id": 2})
    pm.hook.bridge_event(name="ticket_opened", payload={"ticket_id": 5, "number": "X"})
    assert plugin.flush(timeout=5)

    def events(who: str) -> list[str]:
        return sorted(r.headers["X-Hostbridge-Event"] for r in receiver.to(f"/ok?who={who}"))

    assert events("paid") == ["invoice_paid"]
    assert events("all") == ["invoice_paid", "ticket_opened"]
    assert events("default") == ["invoice_paid", "ticket_opened"]
    assert events("clients") == []
    assert plugin.sender.submit("product_added", {"product_id": 1}) is not None
    assert make([endpoint(receiver.url("/ok"), ["invoice_paid"])])[0].sender.submit(
        "product_added", {"product_id": 1}) is None


def test_delivery_log_file_has_one_json_line_per_attempt(receiver, make, tmp_path):
    path = tmp_path / "webhooks.jsonl"
    plugin, pm = make([endpoint(receiver.url("/flaky/1"))], log_path=str(path))
    pm.hook.bridge_event(name="order_placed",
                         payload={"order_id": 1, "client_id": 2, "invoice_id": None})
    assert plugin.flush(timeout=5)
    text = path.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines == plugin.deliveries
    assert [(e["attempt"], e["status_code"], e["outcome"]) for e in lines] == [
        (1, 500, "retrying"), (2, 200, "delivered"),
    ]
    assert {e["url"] for e in lines} == {receiver.url("/flaky/1")}
    assert SECRET not in text


def test_memory_log_is_a_ring_buffer(receiver, make):
    plugin, pm = make([endpoint(receiver.url("/ok"))], log_size=3)
    for n in range(5):
        pm.hook.bridge_event(name="client_added", payload={"client_id": n})
    assert plugin.flush(timeout=5)
    assert len(receiver.to("/ok")) == 5
    assert len(plugin.deliveries) == 3


def test_close_drains_then_refuses_new_events(receiver, make):
    plugin, pm = make([endpoint(receiver.url("/ok"))])
    pm.hook.bridge_event(name="client_added", payload={"client_id": 1})
    assert plugin.close(timeout=5) is True
    assert len(receiver.to("/ok")) == 1
    pm.hook.bridge_event(name="client_added", payload={"client_id": 2})
    time.sleep(0.1)
    assert len(receiver.to("/ok")) == 1
    assert plugin.sender._thread is not None and not plugin.sender._thread.is_alive()


def test_close_abandons_retries_that_cannot_finish(receiver, make):
    plugin, pm = make([endpoint(receiver.url("/down"))], backoff=30, max_attempts=5)
    pm.hook.bridge_event(name="client_added", payload={"client_id": 1})
    deadline = time.monotonic() + 5
    while not plugin.deliveries and time.monotonic() < deadline:
        time.sleep(0.01)
    assert plugin.close(timeout=0.1) is False
    assert [e["outcome"] for e in plugin.deliveries] == ["retrying", "abandoned"]


def test_no_endpoints_means_no_worker(make):
    plugin, pm = make([])
    pm.hook.bridge_event(name="client_added", payload={"client_id": 1})
    assert plugin.sender._thread is None
    assert plugin.flush(timeout=0.1)


def test_module_itself_registers_no_hooks():
    # Only the object from make_plugin() implements hooks; registering the module (as a host
    # unaware of make_plugin would) must not add a settings-less bridge_event.
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hooks.events)
    pm.register(webhooks_module, name="webhooks-module")
    assert not pm.hook.bridge_event.get_hookimpls()
    assert isinstance(make_plugin({}), WebhooksPlugin)


def test_close_at_exit_is_registered_once_and_removed_by_close(receiver, make, monkeypatch):
    registered: list[object] = []
    monkeypatch.setattr("atexit.register", lambda fn, *a: registered.append((fn, a)))
    monkeypatch.setattr("atexit.unregister", lambda fn: registered.remove(
        next(r for r in registered if r[0] == fn)))
    plugin, pm = make([endpoint(receiver.url("/ok"))], shutdown_timeout=2)
    for n in range(2):
        pm.hook.bridge_event(name="client_added", payload={"client_id": n})
    assert registered == [(plugin.sender.close, (2.0,))]
    assert plugin.close(timeout=5)
    assert registered == []
