"""The import pipeline: detect and check the version, then per entity stream the source by id,
check references, map, quarantine, write a batch and commit it with its checkpoint; finally
reconcile counts and money and store the report on the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import InvalidOperation
from typing import Any

from sqlalchemy import Connection, Engine, and_, create_engine, inspect, select, text
from sqlalchemy.exc import OperationalError

from bridge.db import utcnow
from bridge.security import SecretBox, SecretError
from importers._unique import UniqueCheck
from importers._values import MappingError, jsonable, source_conversions
from importers._writer import BatchWriter, SchemaCheck, WriteCounts, core_table
from importers.base import (
    Emit,
    Entity,
    MapContext,
    Quarantine,
    Row,
    SourceImporter,
    UnsupportedSource,
)

Progress = Callable[[str, int, int], None]


@dataclass
class RunOptions:
    """How to run: ``--dry-run``, ``--only``, ``--resume`` and a progress callback."""

    dry_run: bool = False
    only: Sequence[str] = ()
    resume: bool = False
    progress: Progress | None = None
    batch_size: int | None = None


@dataclass
class _Batch:
    quarantined: list[tuple[Row, str]] = field(default_factory=list)
    emits: list[Emit] = field(default_factory=list)
    per_row: list[list[Emit]] = field(default_factory=list)
    sources: list[Row] = field(default_factory=list)  # the source row of each per_row entry


def open_source(url: str) -> Engine:
    """An engine on the source database; a clear error when it cannot be reached."""
    connect_args = {"conv": source_conversions()} if "+pymysql" in url.split("://")[0] else {}
    engine = create_engine(url, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        raise UnsupportedSource(f"cannot connect to the source database: {exc.orig}") from exc
    return engine


def run_import(
    importer: SourceImporter,
    source_url: str,
    target: Engine,
    secrets: SecretBox | None,
    options: RunOptions | None = None,
) -> dict[str, Any]:
    """Import everything ``importer`` declares from ``source_url`` into ``target``.

    Returns the report (also stored on the ``import_runs`` row unless dry-run).  Raises
    :class:`UnsupportedSource` before writing anything when the source is not supported.
    """
    opts = options or RunOptions()
    source = open_source(source_url)
    try:
        with source.connect() as conn:
            version = importer.detect_version(conn)
            importer.check_version(version)
            ctx = MapContext(tz=importer.tz, key=importer.key, version=version)
            if secrets is not None:
                ctx.encrypt = secrets.encrypt
            importer.prepare(conn, ctx)
        entities = _select_entities(importer, source, opts.only)
        with target.connect() as tconn:
            if opts.only:
                _check_parents(importer.entities(), entities, tconn)
            return _Run(importer, source, tconn, ctx, opts).run(entities, source_url)
    finally:
        source.dispose()


def _select_entities(importer: SourceImporter, source: Engine, only: Sequence[str]) -> list[Entity]:
    entities = importer.entities()
    names = [e.name for e in entities]
    unknown = [n for n in only if n not in names]
    if unknown:
        raise ValueError(f"unknown entities {unknown}; {importer.source} has: {', '.join(names)}")
    tables = set(inspect(source).get_table_names())
    return [
        e for e in entities
        if (not only or e.name in only) and (e.table in tables or not e.optional)
    ]


def _check_parents(every: list[Entity], chosen: list[Entity], conn: Connection) -> None:
    """Refuse an ``--only`` selection whose rows would all be quarantined as orphans: a
    required parent (a quarantining reference) that is neither selected nor imported yet."""
    chosen_names = {e.name for e in chosen}
    producers: dict[str, str] = {}
    for entity in every:
        producers.setdefault(entity.target, entity.name)
    for entity in chosen:
        for ref in entity.refs:
            parent = producers.get(ref.table)
            if ref.missing != "quarantine" or parent is None or parent in chosen_names:
                continue
            table = core_table(ref.table)
            if conn.scalar(select(table.c.id).limit(1)) is None:
                conn.rollback()
                raise ValueError(
                    f"--only {entity.name}: its parent {parent} has not been imported yet "
                    f"(no {ref.table} rows), so every row would be quarantined as an orphan; "
                    f"import {parent} first or add it to --only")
    conn.rollback()


class _Run:
    def __init__(
        self, importer: SourceImporter, source: Engine, conn: Connection, ctx: MapContext,
        opts: RunOptions,
    ) -> None:
        self.importer = importer
        self.source = source
        self.conn = conn
        self.ctx = ctx
        self.opts = opts
        self.batch_size = opts.batch_size or importer.batch_size
        self.writer = BatchWriter(conn, importer.source, decrypt=opts_decrypt(ctx))
        self.schema = SchemaCheck()
        self.unique = UniqueCheck(conn)
        self.runs = core_table("import_runs")
        self.checkpoints = core_table("import_checkpoints")
        self.quarantine = core_table("quarantine")
        self.outer = conn.begin() if opts.dry_run else None
        # entity name -> whether the quarantine held rows of its table when the entity began
        self.held_tables: dict[str, bool] = {}

    def commit(self) -> None:
        if self.outer is None:
            self.conn.commit()

    def run(self, entities: list[Entity], source_url: str) -> dict[str, Any]:
        run_id = self._open_run(source_url)
        try:
            for entity in entities:
                self._entity(run_id, entity)
            report = self._report(run_id, entities)
            self.conn.execute(self.runs.update().where(self.runs.c.id == run_id).values(
                status="finished", finished_at=utcnow(), report=report))
            self.commit()
        except BaseException as exc:
            if self.outer is not None:
                self.outer.rollback()
                raise
            self.conn.rollback()
            self.conn.execute(self.runs.update().where(self.runs.c.id == run_id).values(
                status="failed", error=f"{type(exc).__name__}: {exc}"[:2000]))
            self.conn.commit()
            raise
        if self.outer is not None:
            self.outer.rollback()
            report = self._keep_dry_run(source_url, report)
        return report

    def _keep_dry_run(self, source_url: str, report: dict[str, Any]) -> dict[str, Any]:
        """Store what a dry run found (its run row only, everything else was rolled back) so
        ``bridge import report`` shows it; it is marked dry and never resumed."""
        now = utcnow()
        run_id = self._insert_run(source_url, status="finished", dry_run=True, started_at=now,
                                  finished_at=now)
        report = {**report, "run_id": run_id}
        self.conn.execute(self.runs.update().where(self.runs.c.id == run_id)
                          .values(report=report))
        self.conn.commit()
        return report

    def _insert_run(self, source_url: str, **values: Any) -> int:
        """A new ``import_runs`` row describing this run (``values``: status and the rest)."""
        row = {"source": self.importer.source, "source_version": self.ctx.version,
               "source_url": _hide_password(source_url), "report": {}, "error": "",
               "started_at": utcnow(),
               "options": {"only": list(self.opts.only), "timezone": self.importer.timezone},
               **values}
        result = self.conn.execute(self.runs.insert().values(**row))
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def _open_run(self, source_url: str) -> int:
        runs = self.runs
        if self.opts.resume:
            run_id = self.conn.scalar(
                select(runs.c.id).where(and_(runs.c.source == self.importer.source,
                                             runs.c.status != "finished",
                                             runs.c.dry_run.is_(False)))
                .order_by(runs.c.id.desc()).limit(1))
            if run_id is None:
                raise UnsupportedSource(
                    f"nothing to resume: no unfinished {self.importer.source} import run")
            self.conn.execute(runs.update().where(runs.c.id == run_id).values(
                status="running", error=""))
            self.commit()
            return int(run_id)
        run_id = self._insert_run(source_url, status="running", dry_run=self.opts.dry_run)
        self.commit()
        return run_id

    def _checkpoint(self, run_id: int, entity: Entity) -> dict[str, Any]:
        cp = self.checkpoints
        row = self.conn.execute(select(cp).where(
            and_(cp.c.run_id == run_id, cp.c.entity == entity.name))).mappings().first()
        if row is None:
            self.conn.execute(cp.insert().values(
                run_id=run_id, entity=entity.name, last_source_id=0, done=False, read=0,
                inserted=0, updated=0, unchanged=0, quarantined=0, updated_at=utcnow()))
            return {"last_source_id": 0, "done": False, "read": 0}
        return dict(row)

    def _entity(self, run_id: int, entity: Entity) -> None:
        state = self._checkpoint(run_id, entity)
        if state["done"]:
            return
        with self.source.connect() as counter:
            total = int(counter.scalar(text(entity.count_sql())) or 0)
        done = int(state["read"])
        after = int(state["last_source_id"])
        self._tick(entity.name, done, total)
        with self.source.connect() as stream:
            result = stream.execution_options(yield_per=self.batch_size).execute(
                text(entity.select_sql()), {"after": after})
            keys = list(result.keys())
            for part in result.partitions(self.batch_size):
                rows = [dict(zip(keys, r, strict=True)) for r in part]
                self._batch(run_id, entity, rows)
                done += len(rows)
                self._tick(entity.name, done, total)
        self.conn.execute(self.checkpoints.update().where(and_(
            self.checkpoints.c.run_id == run_id, self.checkpoints.c.entity == entity.name
        )).values(done=True, updated_at=utcnow()))
        self.commit()

    def _tick(self, name: str, done: int, total: int) -> None:
        if self.opts.progress is not None:
            self.opts.progress(name, done, total)

    def _batch(self, run_id: int, entity: Entity, rows: list[Row]) -> None:
        batch = _Batch()
        self._check_refs(entity, rows, batch)
        refused = {id(r) for r, _ in batch.quarantined}
        for row in rows:
            if id(row) in refused:
                continue
            self._map(entity, row, batch)
        self.writer.allocate(batch.emits)
        self._refuse_duplicates(batch)
        status = self.writer.write(batch.emits)
        counts = WriteCounts()
        for emits in batch.per_row:
            # a skipped link (its product is gone) leaves the row's own verdict to the rest
            seen = {status[id(e.row)] for e in emits} - {"skipped"}
            if seen == {"inserted"}:
                counts.inserted += 1
            elif seen <= {"unchanged"}:
                counts.unchanged += 1
            else:
                counts.updated += 1
        if batch.quarantined or self._may_hold(entity):
            self._store_quarantine(entity, rows, batch.quarantined)
        self._advance(run_id, entity, rows, counts, len(batch.quarantined))
        self.commit()

    def _refuse_duplicates(self, batch: _Batch) -> None:
        """Quarantine the source rows the core would refuse once ids are allocated: a required
        ``resolve`` column that found nothing, or a value a unique constraint refuses."""
        bad: dict[int, str] = {}
        for index, emits in enumerate(batch.per_row):
            for emit in emits:
                reason = self.schema.unresolved(emit) if emit.resolve else None
                if reason is not None:
                    bad[index] = reason
                    break
        clean = [g for i, g in enumerate(batch.per_row) if i not in bad]
        index_of = [i for i in range(len(batch.per_row)) if i not in bad]
        for local, reason in self.unique.conflicts(clean).items():
            bad[index_of[local]] = reason
        if not bad:
            return
        dropped: set[int] = set()
        for index in sorted(bad):
            batch.quarantined.append((batch.sources[index], bad[index]))
            dropped.update(id(e) for e in batch.per_row[index])
        keep = [i for i in range(len(batch.per_row)) if i not in bad]
        batch.per_row = [batch.per_row[i] for i in keep]
        batch.sources = [batch.sources[i] for i in keep]
        batch.emits = [e for e in batch.emits if id(e) not in dropped]

    def _may_hold(self, entity: Entity) -> bool:
        """Whether the quarantine has entries of this table (else nothing can leave it)."""
        if entity.name not in self.held_tables:
            q = self.quarantine
            self.held_tables[entity.name] = self.conn.scalar(select(q.c.id).where(and_(
                q.c.source == self.importer.source, q.c.source_table == entity.table)
            ).limit(1)) is not None
        return self.held_tables[entity.name]

    def _map(self, entity: Entity, row: Row, batch: _Batch) -> None:
        try:
            out = entity.map(dict(row), self.ctx)
        except (MappingError, SecretError, InvalidOperation) as exc:
            batch.quarantined.append((row, str(exc) or type(exc).__name__))
            return
        if isinstance(out, Quarantine):
            batch.quarantined.append((row, out.reason))
            return
        emits = [Emit(entity.target, out)] if isinstance(out, dict) else out
        for emit in emits:
            problem = self.schema.problem(emit.table, emit.row, emit.resolve)
            if problem is not None:
                batch.quarantined.append((row, problem))
                return
        batch.emits.extend(emits)
        batch.per_row.append(emits)
        batch.sources.append(row)

    def _check_refs(self, entity: Entity, rows: list[Row], batch: _Batch) -> None:
        quarantined: set[int] = set()
        for ref in entity.refs:
            applies = []
            for r in rows:
                if ref.when is None or ref.when(r):
                    ref_id = _ref_id(r, ref.column)
                    if ref_id:
                        applies.append((r, ref_id))
            known = self._existing(ref.table, sorted({ref_id for _, ref_id in applies}))
            if ref.table == entity.target:  # self-references to rows of this very batch
                known |= {_ref_id(r, entity.id_column) for r in rows}
            for row, ref_id in applies:
                if ref_id in known or id(row) in quarantined:
                    continue
                if ref.missing == "null":
                    row[ref.column] = None
                    continue
                quarantined.add(id(row))
                batch.quarantined.append(
                    (row, f"orphan: {ref.column}={row[ref.column]} has no {ref.table} row"))

    def _existing(self, table_name: str, ids: list[int]) -> set[int]:
        """Which of the sorted ``ids`` exist in core table ``table_name``."""
        table = core_table(table_name)
        found: set[int] = set()
        if ids and ids[-1] - ids[0] < 4 * len(ids):
            # dense ids (a batch's invoices, clients...): one range scan instead of IN lists
            # with hundreds of parameters to compile and bind
            rows = self.conn.scalars(select(table.c.id).where(table.c.id.between(ids[0], ids[-1])))
            wanted = set(ids)
            return {i for i in rows if i in wanted}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found.update(self.conn.scalars(select(table.c.id).where(table.c.id.in_(chunk))))
        return found

    def _store_quarantine(
        self, entity: Entity, rows: list[Row], bad: list[tuple[Row, str]]
    ) -> None:
        """Keep the quarantine equal to this batch's verdicts: rows now mapped leave it, rows
        still refused keep their entry (updated if the reason or row changed), new ones join."""
        q = self.quarantine
        scope = and_(q.c.source == self.importer.source, q.c.source_table == entity.table)
        held: dict[str, Any] = {}
        known = self.conn.scalar(select(q.c.id).where(scope).limit(1)) is not None
        ids = [str(r[entity.id_column]) for r in rows] if known else []
        wanted = (q.c.id, q.c.source_id, q.c.reason, q.c.payload)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for found in self.conn.execute(select(*wanted).where(scope, q.c.source_id.in_(chunk))):
                held[found.source_id] = found
        # in source order, whichever check refused a row, so batch size does not change the
        # order (and ids) of new quarantine entries
        position = {id(row): i for i, row in enumerate(rows)}
        ordered = sorted(bad, key=lambda entry: position.get(id(entry[0]), len(rows)))
        verdicts = {str(row[entity.id_column]): (reason[:4000], jsonable(row))
                    for row, reason in ordered}
        gone = [old.id for sid, old in held.items() if sid not in verdicts]
        if gone:
            self.conn.execute(q.delete().where(q.c.id.in_(gone)))
        now = utcnow()
        for sid, (reason, payload) in verdicts.items():
            entry = held.get(sid)
            if entry is None:
                self.conn.execute(q.insert().values(
                    source=self.importer.source, source_table=entity.table, source_id=sid,
                    reason=reason, payload=payload, created_at=now))
            elif (entry.reason, entry.payload) != (reason, payload):
                self.conn.execute(q.update().where(q.c.id == entry.id).values(
                    reason=reason, payload=payload))

    def _advance(self, run_id: int, entity: Entity, rows: list[Row], counts: WriteCounts,
                 quarantined: int) -> None:
        cp = self.checkpoints
        ins, upd, unch = counts.inserted, counts.updated, counts.unchanged
        self.conn.execute(cp.update().where(and_(cp.c.run_id == run_id, cp.c.entity == entity.name))
                          .values(last_source_id=int(rows[-1][entity.id_column]),
                                  read=cp.c.read + len(rows), inserted=cp.c.inserted + ins,
                                  updated=cp.c.updated + upd, unchanged=cp.c.unchanged + unch,
                                  quarantined=cp.c.quarantined + quarantined,
                                  updated_at=utcnow()))

    def _report(self, run_id: int, entities: list[Entity]) -> dict[str, Any]:
        from importers._report import build_report

        return build_report(self, run_id, entities)


def opts_decrypt(ctx: MapContext) -> Callable[[str], str] | None:
    """The decrypting half of ``ctx.encrypt`` (a SecretBox method), when there is one."""
    box = getattr(ctx.encrypt, "__self__", None)
    return box.decrypt if isinstance(box, SecretBox) else None


def _ref_id(row: Row, column: str) -> int:
    value = row.get(column)
    if value in (None, "", 0, "0"):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # never a core id: the row is an orphan with an unreadable reference


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL we cannot parse is shown as "(unparsable)"
        return "(unparsable)"


__all__ = ["RunOptions", "open_source", "run_import"]
