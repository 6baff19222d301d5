"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, jsonify
from sqlalchemy.orm import Session

from bridge import __version__
from bridge.config import Settings, load_settings, resolve_paths
from bridge.context import Actor, bind_dispatcher, set_actor
from bridge.db import Database
from bridge.plugins import PluginHost
from bridge.security import SecretBox
from bridge.security.generation import Generation, generation_path, watch_tables
from bridge.services.count_cache import COUNTED_TABLES, CountCache
from bridge.services.credential_cache import CACHE_KEY, GENERATION_AT_BEGIN, CredentialCache
from bridge.services.reference_cache import REFERENCE_TABLES, ReferenceCache

T = TypeVar("T")


@dataclass
class BridgeState:
    """What the app owns: settings, database, the secret box for reversible secrets."""

    settings: Settings
    db: Database
    secrets: SecretBox
    plugins: PluginHost
    # verified API credentials of this worker (None: api.credential_cache = false)
    credential_cache: CredentialCache | None = None
    # row counts of the list calls (None: api.count_cache = false)
    count_cache: CountCache | None = None
    # settings, currencies, tax rules read by writes (None: api.reference_cache = false)
    reference_cache: ReferenceCache | None = None

    @contextmanager
    def transaction(self, actor: Actor | None = None, *, write: bool = True
                    ) -> Iterator[Session]:
        """A session in a transaction, with the actor stated and events wired
        (``write=False``: a read-only transaction, see :meth:`Database.transaction`)."""
        with self.db.transaction(write=write) as session:
            session.info["bridge.secrets"] = self.secrets
            session.info["bridge.settings"] = self.settings
            session.info["bridge.plugins"] = self.plugins
            cache = self.credential_cache
            if cache is not None:  # read before the transaction's first statement
                session.info[CACHE_KEY] = cache
                session.info[GENERATION_AT_BEGIN] = cache.generation.read()
            for table_cache in (self.count_cache, self.reference_cache):
                if table_cache is not None:  # likewise before the first statement
                    table_cache.attach(session)
            if actor is not None:
                set_actor(session, actor)
            bind_dispatcher(session, self.dispatch)
            yield session

    def dispatch(self, name: str, payload: dict[str, Any]) -> None:
        """Deliver a committed event to the plugins."""
        logging.getLogger("bridge.events").debug("event %s %s", name, payload)
        self.plugins.dispatch(name, payload)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app from layered configuration (see :mod:`bridge.config`)."""
    settings = resolve_paths(load_settings(config))
    app = Flask("bridge", instance_path=settings.instance_path)
    app.config.update(TESTING=settings.testing, JSON_SORT_KEYS=False)
    logging.basicConfig(level=settings.log_level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)
    access = _counters(settings, {"access": "api-credential"}, "API credential cache")
    generation = access["access"] if access is not None else None
    state = BridgeState(
        settings=settings,
        db=Database(settings.database_url, echo=settings.sql_echo, generation=generation),
        secrets=SecretBox(settings.secret_key),
        plugins=PluginHost(
            plugin_settings=settings.plugin_settings,
            blocked=settings.blocked_plugins,
            plugins_dir=settings.plugins_dir,
        ),
        credential_cache=(CredentialCache(generation) if generation is not None
                          and settings.api.get("credential_cache", True) else None),
    )
    state.count_cache = _watched_cache(settings, state.db.engine, COUNTED_TABLES, "count",
                                       "row count cache", "count_cache", CountCache)
    state.reference_cache = _watched_cache(settings, state.db.engine, REFERENCE_TABLES,
                                           "reference", "reference cache", "reference_cache",
                                           ReferenceCache)
    app.extensions["bridge"] = state
    from bridge.services.automation.on_paid import install_paid_listener

    install_paid_listener()  # overdue suspensions lift the moment an invoice is paid

    from bridge.web.callbacks import blueprint as callbacks

    app.register_blueprint(callbacks)
    for blueprints in state.plugins.pm.hook.register_blueprints():
        for blueprint in blueprints or []:
            app.register_blueprint(blueprint)

    @app.get("/")
    def index() -> Any:
        return jsonify(
            name="hostbridge",
            version=__version__,
            doors={"whmcs": "/includes/api.php", "blesta": "/api/<model>/<method>.json"},
        )

    @app.get("/health")
    def health() -> Any:
        from sqlalchemy import text

        with state.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return jsonify(status="ok")

    return app


def _watched_cache(settings: Settings, engine: Any, tables: Sequence[str], suffix: str,
                   what: str, switch: str, cache_class: Callable[[Any], T]) -> T | None:
    """A per-table cache (``cache_class`` of the tables' change counters), or None when
    ``api.<switch>`` is false or the counters cannot be mapped. The engine announces its
    writes to ``tables`` either way, so other processes' caches stay exact."""
    generations = _counters(settings, {table: f"{table}-{suffix}" for table in tables}, what)
    if generations is None:
        return None
    watch_tables(engine, generations)
    return cache_class(generations) if settings.api.get(switch, True) else None


def _counters(settings: Settings, files: Mapping[str, str], what: str
              ) -> dict[str, Generation] | None:
    """The change counters of this instance and database, ``key -> counter file name`` (see
    :mod:`bridge.security.generation`); None, with a warning that ``what`` is off, when the
    instance folder cannot hold them (every process of the instance then reads per call)."""
    try:
        return {key: Generation(generation_path(settings.instance_path, settings.database_url,
                                                name)) for key, name in files.items()}
    except OSError as exc:
        logging.getLogger("bridge.app").warning("%s off: cannot map its counter file (%s)",
                                                what, exc)
        return None


def bridge_state(app: Flask | None = None) -> BridgeState:
    """The :class:`BridgeState` of ``app`` (or of the current app)."""
    target = app or current_app
    state = target.extensions["bridge"]
    assert isinstance(state, BridgeState)
    return state
