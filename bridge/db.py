"""Engine and session setup, the declarative base and its type map.

Money is declared once here: a ``Decimal`` annotation maps to ``Numeric(19, 4)``; a
``datetime`` annotation maps to :class:`UTCDateTime`, which stores naive UTC and hands back
aware UTC, refusing naive input so local time can never leak in.
"""

from __future__ import annotations

import sqlite3
import time
import warnings
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Engine,
    MetaData,
    Numeric,
    String,
    Text,
    bindparam,
    create_engine,
    event,
    insert,
    literal,
    type_coerce,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

from bridge.security.generation import Generation, watch_engine

# SQLite has no DECIMAL; SQLAlchemy converts through float and warns once. Values are
# quantized back to 4 places on read, which is exact for every amount below 10**11.
warnings.filterwarnings(
    "ignore", category=sa_exc.SAWarning, message=r".*Decimal objects natively.*"
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MONEY = Numeric(19, 4, asdecimal=True)
RATE = Numeric(19, 6, asdecimal=True)


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as naive UTC and returned as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the core stores aware UTC only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every core model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        Decimal: MONEY,
        datetime: UTCDateTime(),
        date: Date(),
        bool: Boolean(),
        str: String(255),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        list[str]: JSON(),
        list[int]: JSON(),
    }


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine for ``url`` with per-backend settings (SQLite FKs and WAL)."""
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("mysql"):
        kwargs.update(pool_pre_ping=True, pool_recycle=3600)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


# how long a SQLite writer waits for the write lock before failing
SQLITE_BUSY_TIMEOUT_MS = 30000


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN and lets a released SAVEPOINT commit;
    # hand transactions to SQLAlchemy (BEGIN emitted in _sqlite_begin) so savepoints nest
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


# execution option naming how a SQLite transaction begins ("IMMEDIATE" for writers)
SQLITE_BEGIN = "bridge_sqlite_begin"


def _sqlite_begin(conn: Any) -> None:
    # A deferred transaction that read and then writes cannot upgrade its lock once another
    # connection committed (SQLITE_BUSY at once; busy_timeout does not apply): writers take
    # the write lock up front with BEGIN IMMEDIATE and wait for it (_begin_immediate)
    mode = conn.get_execution_options().get(SQLITE_BEGIN, "")
    if mode == "IMMEDIATE":
        _begin_immediate(conn)
        return
    conn.exec_driver_sql(f"BEGIN {mode}" if mode else "BEGIN")


# how a writer waits for SQLite's write lock: short pauses first, longer ones when the
# holder is a long transaction (seconds), together bounded by SQLITE_BUSY_TIMEOUT_MS
_FIRST_PAUSE_S = 0.0001
_SHORT_PAUSES_S = 0.00025  # the longest pause during the first _SHORT_WAIT_S of a wait
_SHORT_WAIT_S = 0.1
_LONG_PAUSES_S = 0.02
_pause = time.sleep  # (tests count the pauses)


def _begin_immediate(conn: Any) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock in steps of 0.1-0.25 ms.

    SQLite's own busy handler (busy_timeout) sleeps 1, 2, 5, 10, 15, 20, 25... ms between
    tries, so a writer queued behind a 2 ms transaction often slept 10-25 ms while the lock
    stood free, and with two workers one of them did most of the writes while the other
    slept. Here the wait is ours: busy_timeout is off for this one statement, and the try is
    repeated after a pause that starts at 0.1 ms and grows to 0.25 ms (to 20 ms past the
    first 0.1 s, for a long holder such as a billing run), within the same total timeout.

    The pauses are short because a write holds the lock about 1 ms: with pauses doubling to
    2 ms the lock stood idle for up to a pause after each commit (served writes on two
    workers gained 15-30% with the short cap, app and baseline alike). The first try goes
    through SQLAlchemy (statement events see a ``BEGIN IMMEDIATE``); the retries go to the
    driver itself, where a refused try costs microseconds rather than SQLAlchemy's exception
    wrapping, so a waiting worker spends little CPU polling."""
    raw = conn.connection.driver_connection
    raw.execute("PRAGMA busy_timeout=0")
    try:
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except sa_exc.OperationalError as exc:
            if not _is_busy(exc.orig):
                raise
        pause, waited_since = _FIRST_PAUSE_S, time.monotonic()
        while True:
            waited = time.monotonic() - waited_since
            if waited >= SQLITE_BUSY_TIMEOUT_MS / 1000:
                raise sa_exc.OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError(
                    f"database is locked (waited {waited:.1f} s for the write lock)"))
            _pause(pause)
            pause = min(pause * 2, _SHORT_PAUSES_S if waited < _SHORT_WAIT_S
                        else _LONG_PAUSES_S)
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise sa_exc.OperationalError("BEGIN IMMEDIATE", None, exc) from exc
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def _is_busy(error: Any) -> bool:
    # the driver's error: SQLITE_BUSY (or, without an error code, its message)
    code = getattr(error, "sqlite_errorcode", None)
    return code == sqlite3.SQLITE_BUSY if code is not None else "locked" in str(error)


@lru_cache(maxsize=256)
def _row_class(keys: tuple[str, ...]) -> Any:
    return namedtuple("PlainRow", keys)


def model_columns(model: Any) -> list[Any]:
    """Every mapped column of ``model`` labelled with its attribute name: selected on their
    own, they give plain rows that read like the model (see :func:`plain_rows`)."""
    return [getattr(model, prop.key) for prop in model.__mapper__.column_attrs]


def naive_utc(columns: Any) -> list[Any]:
    """``columns`` with every :class:`UTCDateTime` column read as a naive UTC datetime (same
    name), for statements whose rows are only printed.

    Making a read value aware costs a Python call per datetime (``replace(tzinfo=UTC)``, a
    quarter of fetching a 25-row invoice page on SQLite); a printer that writes UTC wall time
    (``2026-11-22 17:30:00``) gets the same text from the naive value. Never hand such rows to
    code that compares them with aware datetimes."""
    return [type_coerce(column, DateTime()).label(column.key)
            if isinstance(column.type, UTCDateTime) else column for column in columns]


def fixed_in(column: Any, values: Any) -> Any:
    """``column IN (?, ?, ...)`` with one bound parameter per value, for a statement built
    once per list of values. ``column.in_(values)`` would make the list an expanding
    parameter, rendered into the SQL again on every execution."""
    return column.in_([literal(value) for value in values])


def plain_rows(result: Any) -> list[Any]:
    """The rows of ``result`` as named tuples (one class per column list, built once).

    A SQLAlchemy ``Row`` resolves every attribute by name through its result metadata (about
    0.25 µs each); renderers read every column of every listed row, which made attribute
    access cost more than fetching the page. A named tuple's attributes are plain tuple
    indexes. Column names must be distinct identifiers (label them otherwise)."""
    make = _row_class(tuple(result.keys()))._make
    return [make(row) for row in result]


@lru_cache(maxsize=64)
def _returning_insert(model: Any, computed: tuple[tuple[str, Any], ...] = ()
                      ) -> tuple[Any, tuple[str, ...], Any]:
    # built once per model and set of computed columns (module constants, so the cache key
    # is their identity): a statement object the compiled cache has seen runs without
    # SQLAlchemy matching its parameters to another object's
    table = model.__table__
    columns = list(table.columns)
    keys = tuple(model.__mapper__.get_property_by_column(column).key for column in columns)
    plain = insert(table).values(dict(computed)) if computed else insert(table)
    returning = plain.returning(*columns, sort_by_parameter_order=True)
    return returning, keys, plain


def insert_persistent(session: Session, model: Any, values: dict[str, Any], *,
                      computed: tuple[tuple[str, Any], ...] = ()) -> Any:
    """INSERT one ``model`` row (column defaults applied as in any insert) on the session's
    connection and hand back the row as a clean persistent object of the session.

    Where the database can answer an INSERT with the new row (``RETURNING``: SQLite 3.35+,
    MariaDB 10.5+), the object is made from that answer, so its values are exactly what a
    later SELECT would load, without the SELECT; elsewhere (MySQL) it is read back by
    primary key. Errors of the INSERT (a unique key) reach the caller as they are and leave
    the ORM session usable (nothing was flushed). ``values`` are keyed by column name.

    ``computed``: ``(column name, SQL expression)`` pairs the database works out in the
    INSERT itself (e.g. a column from a subquery); pass a module-level constant, as the
    statement is built once per tuple and kept."""
    return insert_persistent_many(session, model, [values], computed=computed)[0]


def insert_persistent_many(session: Session, model: Any, rows: list[dict[str, Any]], *,
                           computed: tuple[tuple[str, Any], ...] = ()) -> list[Any]:
    """:func:`insert_persistent` for several rows, in their order: one batch when every row
    names the same columns (a column left out takes its default, so rows that differ there
    go in one by one). SQLAlchemy sends a batch as one statement where the database keeps
    RETURNING in the rows' order (MariaDB) and row by row where it does not (SQLite)."""
    if not rows:
        return []
    returning, keys, plain = _returning_insert(model, computed)
    conn = session.connection()
    if not conn.dialect.insert_returning:
        made = []
        for values in rows:
            key = conn.execute(plain, values).inserted_primary_key
            found = session.get(model, tuple(key)) if key is not None else None
            if found is None:
                raise RuntimeError(f"the inserted {model.__name__} could not be read back")
            made.append(found)
        return made
    columns = set(rows[0])
    if len(rows) == 1 or all(set(values) == columns for values in rows):
        answered = list(conn.execute(returning, rows if len(rows) > 1 else rows[0]))
    else:
        answered = [conn.execute(returning, values).one() for values in rows]
    made = []
    new_instance = model._sa_class_manager.new_instance
    for row in answered:
        # filled as a query's loader fills an object: straight into its dict (setting each
        # attribute would record a change per column only for it to be reset next line)
        obj = new_instance()
        obj.__dict__.update(zip(keys, row, strict=True))
        make_transient_to_detached(obj)  # as if loaded: no pending changes, identity set
        session.add(obj)
        made.append(obj)
    return made


@lru_cache(maxsize=256)
def _update_by_key(model: Any, names: tuple[str, ...]) -> tuple[Any, tuple[tuple[str, Any], ...]]:
    table = model.__table__
    (key,) = table.primary_key.columns  # single-column keys only
    stamped = tuple((column.name, column.onupdate.arg) for column in table.columns
                    if column.onupdate is not None and column.onupdate.is_callable
                    and column.name not in names)
    values: dict[str, Any] = {name: bindparam(f"new_{name}")
                              for name in (*names, *(n for n, _ in stamped))}
    return update(table).where(key == bindparam("key")).values(values), stamped


def update_persistent(session: Session, obj: Any, values: dict[str, Any]) -> None:
    """UPDATE the row of persistent ``obj`` with ``values`` (attribute = column names) now,
    through Core, and record them on ``obj`` as loaded values: nothing is left to flush.

    For a few columns of a row that is already loaded, this is one prebuilt statement where
    a flush of the changed object runs the unit of work. The model's ``onupdate`` stamps
    (``updated_at``) are set as a flush would set them. The attributes named must not have
    changes pending on ``obj`` (they would be overwritten, unflushed)."""
    model: Any = type(obj)
    statement, stamped = _update_by_key(model, tuple(values))
    # the stamps' callables take the execution context (utcnow() ignores it)
    written = {**values, **{name: make(None) for name, make in stamped}}
    params = {f"new_{name}": value for name, value in written.items()}
    session.connection().execute(statement, {"key": obj.__mapper__.primary_key_from_instance(
        obj)[0], **params})
    for name, value in written.items():
        set_committed_value(obj, name, value)


class Database:
    """One engine and its session factory, owned by an app (never module-global)."""

    def __init__(self, url: str, *, echo: bool = False,
                 generation: Generation | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        # announces credential/role/ban changes to every process (bridge.security.generation)
        self.generation = generation
        if generation is not None:
            watch_engine(self.engine, generation)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        # transactions that may write begin IMMEDIATE on SQLite (same pool, other option)
        self.write_session_factory = sessionmaker(
            self.engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}),
            expire_on_commit=False)

    def session(self) -> Session:
        """A new session; the caller commits or rolls back."""
        return self.session_factory()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error.

        ``write=False`` states that the transaction only reads: on SQLite it then begins
        deferred, so readers never queue behind the write lock. Writing in it still works
        but can fail with "database is locked" when another writer committed meanwhile.
        """
        factory = self.write_session_factory if write else self.session_factory
        session = factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


__all__ = [
    "Base",
    "Database",
    "JSON",
    "MONEY",
    "RATE",
    "Text",
    "UTCDateTime",
    "insert_persistent",
    "insert_persistent_many",
    "update_persistent",
    "make_engine",
    "model_columns",
    "plain_rows",
    "utcnow",
]
