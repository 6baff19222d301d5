"""Fixtures for the WHMCS API door: an app with a credential, the ``call`` helper, and the
seeding, plugin and speed helpers the test files share (test files cannot import each other)."""

from __future__ import annotations

import shutil
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from bridge import create_app
from bridge.context import Actor
from bridge.services.access import add_admin, add_api_credential, add_api_role
from bridge.testing import ensure_currency, make_client
from hooks import ActionResult, GatewayModule, RegistrarModule, ServerModule, hookimpl

IDENTIFIER = "whmcs-test-id"
SECRET = "whmcs-test-secret-0123"
INSTALL_KEY = "test-install-key-0123456789"


@pytest.fixture
def api_app(app):
    state = app.extensions["bridge"]
    with state.transaction(Actor(source="test")) as session:
        ensure_currency(session)
        admin = add_admin(session, "apiadmin", "admin-password-1", email="admin@example.com")
        add_api_credential(session, IDENTIFIER, SECRET, admin_id=admin.id)
        add_api_role(session, "readonly", ["GetClients", "GetClientsDetails"])
        add_api_credential(session, "limited-id", "limited-secret-0123", roles=["readonly"])
        add_api_credential(session, "remote-id", "remote-secret-01234", allowed_ips=["10.9.8.7"])
    return app


# -- calling the API ----------------------------------------------------------------------------


@pytest.fixture
def post(api_app) -> Callable[..., tuple[int, Any]]:
    """``post(action, params, fmt)`` -> (status, JSON dict or XML text). Parameters travel as a
    dict, so WHMCS names such as ``ip`` never meet a helper's keyword arguments."""
    web = api_app.test_client()

    def do(action: str, params: dict[str, Any], fmt: str = "json", *,
           auth: dict[str, str] | None = None, ip: str = "127.0.0.1") -> tuple[int, Any]:
        form = {"action": action, "responsetype": fmt,
                **(auth if auth is not None else {"identifier": IDENTIFIER, "secret": SECRET})}
        form.update({key: str(value) for key, value in params.items()})
        response = web.post("/includes/api.php", data=form, environ_base={"REMOTE_ADDR": ip})
        if fmt == "xml":
            return response.status_code, response.get_data(as_text=True)
        return response.status_code, response.get_json()

    return do


class ApiCall:
    """``call(action, **params)`` -> (HTTP status, parsed body); ``call.ok(...)`` -> the body of
    an answer that must succeed, ``call.error(...)`` -> the message of one that must fail as a
    business error (HTTP 200, result "error")."""

    def __init__(self, send: Callable[..., tuple[int, Any]]) -> None:
        self._send = send

    def __call__(self, action: str, **params: Any) -> tuple[int, Any]:
        return self._send(action, **params)

    def ok(self, action: str, **params: Any) -> Any:
        status, body = self(action, **params)
        assert status == 200 and body["result"] == "success", body
        return body

    def error(self, action: str, **params: Any) -> str:
        status, body = self(action, **params)
        assert status == 200 and body["result"] == "error", body
        return body["message"]


@pytest.fixture
def call(post) -> ApiCall:
    """``call(action, *, auth=None, fmt="json", ip="127.0.0.1", **params)``."""

    def do(action: str, *, auth: dict[str, str] | None = None, fmt: str = "json",
           ip: str = "127.0.0.1", **params: Any) -> tuple[int, Any]:
        return post(action, params, fmt, auth=auth, ip=ip)

    return ApiCall(do)


@pytest.fixture
def synced_call(call, db) -> ApiCall:
    """``call`` for tests that write through the ``db`` session: it first ends that session's
    transaction (SQLite would keep the API's writer waiting on its read lock) and afterwards
    lets it read the API's changes. A test file opts in with a ``call`` fixture returning it."""

    def do(*args: Any, **kwargs: Any) -> tuple[int, Any]:
        db.commit()
        answer = call(*args, **kwargs)
        db.expire_all()
        return answer

    return ApiCall(do)


@pytest.fixture
def sql_log(api_app) -> Callable[[], Any]:
    """``with sql_log() as statements:`` collects the SQL the app's engine runs inside."""
    engine = api_app.extensions["bridge"].db.engine

    @contextmanager
    def record() -> Iterator[list[str]]:
        statements: list[str] = []
        # counted calls check their credential in the database (a cached check would make
        # the first counted call differ from the next)
        state = api_app.extensions["bridge"]
        for cache in (state.credential_cache, state.count_cache):
            if cache is not None:  # counted calls do all their work (no cached row counts)
                cache.clear()

        def listen(*args: Any) -> None:
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", listen)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", listen)

    return record


# -- seeding ------------------------------------------------------------------------------------


@pytest.fixture
def seed(api_app) -> Callable[[Callable[[Any], Any]], Any]:
    """``seed(fn)`` runs ``fn(session)`` in a committed transaction and returns its result."""
    state = api_app.extensions["bridge"]

    def run(fn: Callable[[Any], Any]) -> Any:
        with state.transaction(Actor(source="test")) as session:
            return fn(session)

    return run


@pytest.fixture
def read(seed) -> Callable[[Callable[[Any], Any]], Any]:
    """``seed`` by the name of what a test does with it: read rows back in a fresh
    transaction (after the API committed its own)."""
    return seed


@pytest.fixture
def client_id(seed) -> int:
    """The id of a plain client (a test file asks for other details by overriding this)."""
    return seed(lambda s: make_client(s).id)


# -- test plugins -------------------------------------------------------------------------------


class _ModulesPlugin:
    """A test plugin offering module classes, each through the hook of its kind."""

    def __init__(self, modules: tuple[type, ...]) -> None:
        self.modules = modules

    def _of(self, base: type) -> list[type]:
        return [module for module in self.modules if issubclass(module, base)]

    @hookimpl
    def register_server_modules(self):
        return self._of(ServerModule)

    @hookimpl
    def register_registrar_modules(self):
        return self._of(RegistrarModule)

    @hookimpl
    def register_gateway_modules(self):
        return self._of(GatewayModule)


@pytest.fixture
def install_modules(register_plugin) -> Callable[..., object]:
    """``install_modules(*classes, name="x-plugin")`` registers, for one test, a plugin that
    offers the server, registrar and gateway module classes given."""

    def install(*modules: type, name: str) -> object:
        return register_plugin(_ModulesPlugin(modules), name=name)

    return install


class _AgreeingPanel(ServerModule):
    def create(self, ctx):
        return ActionResult.success()

    def suspend(self, ctx, reason=""):
        return ActionResult.success()

    def unsuspend(self, ctx):
        return ActionResult.success()

    def terminate(self, ctx):
        return ActionResult.success()


@pytest.fixture
def panel_class() -> Callable[..., type[ServerModule]]:
    """``panel_class(name, label, **members)`` -> a server module class whose create, suspend,
    unsuspend and terminate succeed; ``members`` (methods taking ``self``, class attributes)
    add to or replace them."""

    def make(name: str, label: str, **members: Any) -> type[ServerModule]:
        def body(namespace: dict[str, Any]) -> None:
            namespace.update(name=name, label=label, **members)

        return types.new_class(f"{name.title()}Module", (_AgreeingPanel,), exec_body=body)

    return make


# -- speed --------------------------------------------------------------------------------------


@pytest.fixture
def cheap_password_hashing(monkeypatch):
    """argon2 at its cheapest, for files whose answers do not depend on the hash cost (about
    10x faster); a file opts in with ``pytestmark = pytest.mark.usefixtures(...)``."""
    from argon2 import PasswordHasher

    import bridge.security.passwords as passwords

    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _no_fsync(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA synchronous=OFF")  # a throw-away database


def _unsynced(app: Any) -> Any:
    engine = app.extensions["bridge"].db.engine
    event.listen(engine, "connect", _no_fsync)
    engine.dispose()  # connections opened from now on skip the fsync
    return app


@pytest.fixture(scope="session")
def unsynced() -> Callable[[Any], Any]:
    """``unsynced(app)``: the app's SQLite database skips the fsync of every commit from now on
    (most of the wall time of a large seed) and no connection stays open on it."""
    return _unsynced


@pytest.fixture(scope="session")
def scratch_app(schema_template, tmp_path_factory) -> Callable[[str], Any]:
    """``scratch_app(name)`` -> an app on its own copy of the schema template, without fsync,
    for a module-scoped world (the per-test ``app`` would be rebuilt for every test). The
    caller disposes of ``app.extensions["bridge"].db`` when done."""

    def build(name: str) -> Any:
        folder = tmp_path_factory.mktemp(name)
        database = folder / "bridge.db"
        shutil.copyfile(schema_template, database)
        return _unsynced(create_app({"instance_path": str(folder / "instance"),
                                     "database_url": f"sqlite:///{database}",
                                     "secret_key": INSTALL_KEY, "testing": True}))

    return build
