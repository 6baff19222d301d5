"""The importer pipeline on a toy source (WHMCS client groups -> client_groups): insert, re-run,
delta update, quarantine (mapper refusal and core schema limits), dry run, version refusal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, select, text

from bridge.models import ClientGroup, CustomField, CustomFieldValue, ImportRun, QuarantinedRow
from importers._pipeline import RunOptions
from importers.base import (
    Emit,
    Entity,
    MapContext,
    MoneyCheck,
    Quarantine,
    Row,
    SourceImporter,
    UnsupportedSource,
    run_import,
)


def map_group(row: Row, ctx: MapContext) -> Row | Quarantine:
    if row["groupname"] == "refuse me":
        return Quarantine("toy rule: refused")
    return {"id": row["id"], "name": ctx.text(row["groupname"], unescape=True),
            "color": ctx.text(row["groupcolour"]),
            "discount_percent": ctx.money(row["discountpercent"]),
            "exempt_suspend_terminate": ctx.flag(row["susptermexempt"])}


class ToyImporter(SourceImporter):
    source = "toy"
    batch_size = 2

    def detect_version(self, conn: Connection) -> str:
        return str(conn.scalar(text("SELECT value FROM tblconfiguration WHERE setting='Version'")))

    def check_version(self, version: str) -> None:
        if not version.startswith("8."):
            raise UnsupportedSource(f"toy maps 8.x only, found {version!r}")

    def entities(self) -> list[Entity]:
        money = MoneyCheck(
            "discounts", "SELECT 'PCT', SUM(discountpercent) FROM tblclientgroups",
            "SELECT 'PCT', SUM(discount_percent) FROM client_groups",
            lambda p: ("PCT", Decimal(p["discountpercent"])))
        return [Entity("groups", "tblclientgroups", "client_groups", map_group, money=[money])]


@pytest.fixture
def toy_source(source_db: Any) -> Any:
    src = source_db("whmcs-8.4.sql")
    src.execute("INSERT INTO tblconfiguration (setting, value)"
                " VALUES ('Version', '8.4.0-release.1')")
    src.execute(
        "INSERT INTO tblclientgroups (id, groupname, groupcolour, discountpercent, susptermexempt,"
        " separateinvoices) VALUES (:id, :n, :c, :d, :s, '')",
        [{"id": 1, "n": "Gold &amp; Co", "c": "#fff", "d": "10.50", "s": "on"},
         {"id": 2, "n": "refuse me", "c": "", "d": "1.00", "s": ""},
         {"id": 3, "n": "Long", "c": "x" * 30, "d": "2.25", "s": ""},
         {"id": 5, "n": "Silver", "c": "", "d": "0.00", "s": ""},
         {"id": 7, "n": "Bronze", "c": "", "d": "3.00", "s": ""}])
    return src


def run(app: Any, src: Any, **kw: Any) -> dict[str, Any]:
    state = app.extensions["bridge"]
    return run_import(ToyImporter(), src.url, state.db.engine, state.secrets, RunOptions(**kw))


def test_import_rerun_delta_and_quarantine(app: Any, db: Any, toy_source: Any) -> None:
    report = run(app, toy_source)
    line = report["entities"][0]
    assert (line["source"], line["inserted"], line["quarantined"]) == (5, 3, 2)
    assert report["ok"], report
    assert [m["ok"] for m in report["money"]] == [True]
    assert report["money"][0]["quarantined"] == "3.2500"
    groups = {g.id: g for g in db.scalars(select(ClientGroup))}
    assert sorted(groups) == [1, 5, 7]
    assert groups[1].name == "Gold & Co" and groups[1].discount_percent == Decimal("10.5")
    assert groups[1].exempt_suspend_terminate is True
    reasons = {q.source_id: q.reason for q in db.scalars(select(QuarantinedRow))}
    assert reasons["2"] == "toy rule: refused"
    assert "client_groups.color is 30 characters" in reasons["3"]

    db.rollback()  # end the read transaction: SQLite would block the importer's commit
    again = run(app, toy_source)["entities"][0]
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert db.scalar(select(text("count(*)")).select_from(QuarantinedRow)) == 2

    toy_source.execute("UPDATE tblclientgroups SET groupname='Silver+' WHERE id=5")
    toy_source.execute("UPDATE tblclientgroups SET groupcolour='#000' WHERE id=3")
    toy_source.execute("INSERT INTO tblclientgroups (id, groupname, groupcolour, discountpercent,"
                       " susptermexempt, separateinvoices) VALUES (9, 'New', '', 0, '', '')")
    db.rollback()
    delta = run(app, toy_source)["entities"][0]
    assert (delta["inserted"], delta["updated"], delta["unchanged"], delta["quarantined"]) == (
        2, 1, 2, 1)
    db.expire_all()
    assert db.get(ClientGroup, 5).name == "Silver+"
    assert [q.source_id for q in db.scalars(select(QuarantinedRow))] == ["2"]
    runs = db.scalars(select(ImportRun).order_by(ImportRun.id)).all()
    assert [r.status for r in runs] == ["finished"] * 3
    assert runs[-1].report["entities"][0]["inserted"] == 2


def test_dry_run_writes_nothing_and_batches_are_batch_size(app: Any, db: Any,
                                                           toy_source: Any) -> None:
    ticks: list[tuple[str, int, int]] = []
    report = run(app, toy_source, dry_run=True, progress=lambda *t: ticks.append(t))
    # ToyImporter.batch_size is 2: the stream is cut into batches of 2 source rows
    assert ticks == [("groups", 0, 5), ("groups", 2, 5), ("groups", 4, 5), ("groups", 5, 5)]
    assert report["dry_run"] and report["entities"][0]["inserted"] == 3
    assert db.scalars(select(ClientGroup)).all() == []
    assert db.scalars(select(QuarantinedRow)).all() == []
    # only the record of the dry run stays, finished and marked dry, holding its report
    (kept,) = db.scalars(select(ImportRun)).all()
    assert (kept.status, kept.dry_run, kept.report) == ("finished", True, report)
    assert report["run_id"] == kept.id


def test_unknown_version_is_refused_before_writing(app: Any, db: Any, toy_source: Any) -> None:
    toy_source.execute("UPDATE tblconfiguration SET value='7.10.2' WHERE setting='Version'")
    with pytest.raises(UnsupportedSource, match="found '7.10.2'"):
        run(app, toy_source)
    assert db.scalars(select(ImportRun)).all() == []


def test_unknown_entity_in_only_is_an_error(app: Any, toy_source: Any) -> None:
    with pytest.raises(ValueError, match="unknown entities \\['nope'\\]; toy has: groups"):
        run(app, toy_source, only=["nope"])


def map_group_field(row: Row, ctx: MapContext) -> list[Emit]:
    """A group with a discount gets a custom field (allocated id) and a value pointing at it
    through ``resolve``; a group without one emits only the value, whose field is never found."""
    emits = []
    if ctx.money(row["discountpercent"]):
        emits.append(Emit("custom_fields", {"owner_type": "client", "name": f"g{row['id']}"},
                          key=("toy-field", str(row["id"]))))
    emits.append(Emit("custom_field_values", {"entity_id": row["id"], "value": "x"},
                      key=("toy-value", str(row["id"])),
                      resolve={"field_id": ("toy-field", str(row["id"]))}))
    return emits


class ResolveImporter(ToyImporter):
    def entities(self) -> list[Entity]:
        return [Entity("fields", "tblclientgroups", "custom_field_values", map_group_field)]


def test_required_resolve_columns_are_checked_after_allocation(app: Any, db: Any,
                                                               toy_source: Any) -> None:
    state = app.extensions["bridge"]
    report = run_import(ResolveImporter(), toy_source.url, state.db.engine, state.secrets,
                        RunOptions())
    line = report["entities"][0]
    assert (line["inserted"], line["quarantined"]) == (4, 1), line
    values = {v.entity_id: v.field_id for v in db.scalars(select(CustomFieldValue))}
    names = {f.id: f.name for f in db.scalars(select(CustomField))}
    assert {eid: names[fid] for eid, fid in values.items()} == {
        1: "g1", 2: "g2", 3: "g3", 7: "g7"}
    held = db.scalars(select(QuarantinedRow)).all()
    assert [(q.source_id, q.reason) for q in held] == [
        ("5", "custom_field_values.field_id: toy-field 5 was not imported "
              "(quarantined or missing in the source)")]
