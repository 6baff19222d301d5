"""The importer framework: how a source system (WHMCS, Blesta, BoxBilling...) plugs in.

A source importer is a package ``importers/<source>/`` with ``reader.py`` (SQL only),
``mapping.py`` (pure functions) and ``importer.py`` holding a class named ``Importer`` that
subclasses :class:`SourceImporter`.  The pipeline (:func:`importers._pipeline.run_import`,
re-exported here as :func:`run_import`) does everything else: streaming, reference checks,
quarantine, batched writes, id map, checkpoints, report.

**1. Subclass** :class:`SourceImporter` and set ``source = "blesta"`` (the name stored in the
id map, quarantine and runs).  Implement:

- ``detect_version(conn) -> str`` — read the version from the source (a SQLAlchemy
  ``Connection`` on the source database) and return it as text;
- ``check_version(version) -> None`` — raise :class:`UnsupportedSource` naming what was found
  when the version is not one you map (the run stops before anything is written);
- ``entities() -> list[Entity]`` — the entities in dependency order (parents first);
- optionally ``prepare(conn, ctx)`` — load small lookups into ``ctx.lookups`` before the first
  entity (e.g. currency id -> code, admin name -> id); runs on every run, also on ``--resume``;
- optionally the classmethod ``parse_config_file(path) -> SourceConfig`` — read the source's
  config file (key, timezone, database URL) for ``--config-file``.

**2. Declare an entity** with :class:`Entity`: ``name`` (what ``--only`` takes), ``table``
(the source table; its integer id column ``id_column`` orders and resumes the stream),
``target`` (the core table the mapped dict goes to), ``map`` (the mapping function),
optionally ``columns``/``joins``/``where`` to shape the SELECT (the pipeline builds
``SELECT {columns} FROM {table} t {joins} WHERE t.{id_column} > :after [AND ({where})]
ORDER BY t.{id_column}``), ``refs`` and ``money``.  ``optional=True`` skips an entity whose
table does not exist in this source version.

**3. Map a row** with a pure function ``map(row, ctx) -> Output``: ``row`` is a ``dict`` of the
source columns (values as the driver returns them), ``ctx`` is a :class:`MapContext`.  Return:

- a ``dict`` of core column values for ``entity.target`` *including* ``"id"`` = the source id
  (ids are kept 1:1, so legacy API callers find client 417 at 417);
- or a list of :class:`Emit` when one source row makes several core rows or rows whose ids
  cannot be kept (``Emit(table, row, key=(source_table, source_key))`` without ``"id"``: the
  pipeline allocates an id and records it in the persistent id map ``id_map``, so a re-run
  updates the same row; ``resolve={"message_id": ("tblticketreplies", "9")}`` fills a column
  with the id allocated for another key, in the same batch or an earlier one; a required
  column filled that way that finds nothing quarantines the row, so no placeholder is needed).
  Allocated ids start above the table's current ``MAX(id)``: never mix kept source ids and
  allocated ids in one core table (a source row quarantined now, or arriving in a later delta
  run, could find its id taken); give such rows their own range (e.g. ``1_000_000_000 + id``);
- or :class:`Quarantine` ``(reason)`` when the row cannot be mapped.  Raising
  :class:`MappingError` (or ``bridge.security.SecretError``) from the mapper does the same.

Rows are never dropped silently: a quarantined row is stored whole (JSON) in ``quarantine``
with source, table, id and reason, counted in the report, and removed from the quarantine when
a later run maps it.  Rows that violate the core schema (text longer than the column, NULL in a
required column) are quarantined by the pipeline with the column named.

**4. References**: ``refs=[Ref("userid", "clients")]`` checks, per batch, that the referenced
core row exists (it may have been quarantined, or be missing in the source): otherwise the row
is quarantined as an orphan (``missing="quarantine"``) or the column is set to None before
mapping (``missing="null"``, for soft links such as an invoice line's deleted service).
``0``/None/"" never count as a reference.  ``when=`` limits a ref to some rows (polymorphic
``type``/``relid`` columns).

**5. Values**: use the ``ctx`` helpers, never ad-hoc parsing — ``ctx.utc(v)`` (source zone ->
aware UTC; zero dates -> None), ``ctx.date(v)`` (calendar dates are not shifted), ``ctx.money(v)``
(exact ``Decimal`` via ``str`` from DECIMAL, DOUBLE or VARCHAR; never float), ``ctx.text(v)``,
``ctx.flag(v)``, ``ctx.encrypt(plain)`` (re-encrypt a decrypted secret with our install key),
``ctx.key`` (the source's encryption key), ``ctx.lookups`` (from ``prepare``).

**6. Writes** are batched (``SourceImporter.batch_size`` source rows): new rows are bulk
INSERTed keeping their ids, existing rows whose mapped values differ are UPDATEd (a re-run
after the source changed copies new and changed rows; unchanged rows are counted, not written;
rows deleted in the source are not deleted here).  Each batch commits together with its
checkpoint (entity, last source id), so ``--resume`` after a crash continues from the last
committed batch.  ``--dry-run`` runs everything in one transaction that is rolled back.

**7. Reconciliation**: each entity's report line has source count / read / inserted / updated /
unchanged / quarantined.  ``money=[MoneyCheck(label, source_sql, target_sql, quarantined)]``
adds money totals per currency: ``source_sql`` runs on the source and ``target_sql`` on the core,
each returning ``(currency_code, amount)`` rows (SUM ... GROUP BY); ``quarantined(payload)``
returns ``(currency, amount)`` of a quarantined row's raw payload (or None), and the check is
``source == target + quarantined`` per currency.

Register the source in :data:`importers.cli.SOURCES` (already done for whmcs, blesta and
boxbilling: the CLI imports ``importers.<source>.importer`` and uses its ``Importer`` class).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import Connection

from importers._values import (
    MappingError,
    to_date,
    to_flag,
    to_int,
    to_money,
    to_text,
    to_utc,
    zone,
)

Row = dict[str, Any]


class UnsupportedSource(Exception):
    """The source is not something this importer maps (unknown version, wrong system)."""


@dataclass(frozen=True)
class Quarantine:
    """Returned by a mapper: this row cannot be mapped, for ``reason``."""

    reason: str


@dataclass(frozen=True)
class Emit:
    """One core row produced by a mapper (see the module docstring, point 3)."""

    table: str
    row: Row
    key: tuple[str, str] | None = None
    resolve: Mapping[str, tuple[str, str]] = field(default_factory=dict)


Output = Row | list[Emit] | Quarantine


@dataclass(frozen=True)
class Ref:
    """A source column that must name an existing core row (see the module docstring, 4)."""

    column: str
    table: str
    missing: str = "quarantine"  # or "null"
    when: Callable[[Row], bool] | None = None


@dataclass(frozen=True)
class MoneyCheck:
    """A money total compared per currency between source and core (docstring, point 7)."""

    label: str
    source_sql: str
    target_sql: str
    quarantined: Callable[[Row], tuple[str, Decimal] | None] | None = None


@dataclass(frozen=True)
class Entity:
    """One source table streamed, mapped and written (see the module docstring, point 2)."""

    name: str
    table: str
    target: str
    map: Callable[[Row, MapContext], Output]
    columns: str = "t.*"
    joins: str = ""
    where: str = ""
    id_column: str = "id"
    refs: Sequence[Ref] = ()
    money: Sequence[MoneyCheck] = ()
    optional: bool = False

    def select_sql(self) -> str:
        """The streaming SELECT, resumable after ``:after`` and ordered by the source id."""
        sql = (
            f"SELECT {self.columns} FROM {self.table} t {self.joins} "
            f"WHERE t.{self.id_column} > :after"
        )
        if self.where:
            sql += f" AND ({self.where})"
        return sql + f" ORDER BY t.{self.id_column}"

    def count_sql(self) -> str:
        """How many source rows the entity covers (the report's source count)."""
        sql = f"SELECT COUNT(*) FROM {self.table} t {self.joins}"
        if self.where:
            sql += f" WHERE ({self.where})"
        return sql


@dataclass
class SourceConfig:
    """What a source config file gave: encryption key, timezone, database URL (if found)."""

    key: str = ""
    timezone: str = ""
    url: str = ""


@dataclass
class MapContext:
    """What a mapper may use besides the row: conversions, the source key, lookups."""

    tz: dt.tzinfo
    key: str = ""
    version: str = ""
    lookups: dict[str, Any] = field(default_factory=dict)
    encrypt: Callable[[str], str] = field(default=lambda plain: plain)

    def utc(self, value: Any) -> dt.datetime | None:
        """Source date/time (in the source's zone) as aware UTC; zero dates -> None."""
        return to_utc(value, self.tz)

    def utc_or_epoch(self, value: Any) -> dt.datetime:
        """Like :meth:`utc` for NOT NULL core columns: a missing date becomes 1970-01-01 UTC."""
        return self.utc(value) or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

    def date(self, value: Any) -> dt.date | None:
        """A calendar date as it is (no zone shift); zero dates -> None."""
        return to_date(value)

    def money(self, value: Any, field_name: str = "amount") -> Decimal:
        """Exact Decimal from DECIMAL/DOUBLE/VARCHAR; bad values raise MappingError."""
        return to_money(value, field=field_name)

    def text(self, value: Any, *, unescape: bool = False) -> str:
        """Text (None -> ""), optionally HTML-entity decoded."""
        return to_text(value, unescape=unescape)

    def flag(self, value: Any) -> bool:
        """Boolean from 0/1, 'on'/'', 'Y'/'N'..."""
        return to_flag(value)

    def int(self, value: Any, field_name: str = "id") -> int:
        """Integer (None/"" -> 0); bad values raise MappingError."""
        return to_int(value, field=field_name)


class SourceImporter(ABC):
    """Base class of every source importer (``importers.<source>.importer.Importer``)."""

    source: ClassVar[str] = ""
    batch_size: ClassVar[int] = 1000

    def __init__(self, *, key: str = "", timezone: str = "UTC") -> None:
        """``key``: the source's encryption key; ``timezone``: zone of its naive datetimes."""
        self.key = key
        self.timezone = timezone
        self.tz = zone(timezone)

    @abstractmethod
    def detect_version(self, conn: Connection) -> str:
        """Read and return the source's version string (raise UnsupportedSource if absent)."""

    @abstractmethod
    def check_version(self, version: str) -> None:
        """Raise :class:`UnsupportedSource` (naming ``version``) unless it is mapped."""

    @abstractmethod
    def entities(self) -> list[Entity]:
        """The entities in dependency order (parents before children)."""

    def prepare(self, conn: Connection, ctx: MapContext) -> None:  # noqa: B027 - optional hook
        """Load small lookups into ``ctx.lookups`` before the first entity (default: none)."""

    @classmethod
    def parse_config_file(cls, path: Path) -> SourceConfig:
        """Read the source's configuration file; sources without support raise ValueError."""
        raise ValueError(f"{cls.source or cls.__name__}: --config-file is not supported")


def run_import(*args: Any, **kwargs: Any) -> Any:
    """Run an import; see :func:`importers._pipeline.run_import` for the arguments."""
    from importers._pipeline import run_import as run

    return run(*args, **kwargs)


__all__ = [
    "Emit",
    "Entity",
    "MapContext",
    "MappingError",
    "MoneyCheck",
    "Output",
    "Quarantine",
    "Ref",
    "Row",
    "SourceConfig",
    "SourceImporter",
    "UnsupportedSource",
    "run_import",
]
