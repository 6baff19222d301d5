"""WHMCS link tables without an ``id`` column (addon_products, config_group_products) and
values the core's unique constraints refuse: imported through the real pipeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bridge.models import Promotion, QuarantinedRow
from bridge.models.catalog import addon_products, config_group_products
from tests.importers.test_whmcs_import import run_whmcs
from tests.importers.whmcs_data import _insert, generate

ADDON = {"name": "Backups", "description": "", "billingcycle": "Monthly", "tax": 1,
         "showorder": 1, "downloads": "", "autoactivate": "on", "suspendproduct": 0,
         "welcomeemail": 0, "autolinkby": ""}


def _links(src: Any) -> None:
    _insert(src, "tblproductconfiggroups", [
        {"id": 1, "name": "Disk", "description": ""}, {"id": 2, "name": "RAM", "description": ""}])
    _insert(src, "tblproductconfiglinks", [
        {"id": 1, "gid": 1, "pid": 1}, {"id": 2, "gid": 2, "pid": 2},
        {"id": 3, "gid": 1, "pid": 2}, {"id": 4, "gid": 1, "pid": 77},  # product 77: none
        {"id": 5, "gid": 1, "pid": 1}])  # the same link twice
    _insert(src, "tbladdons", [
        {**ADDON, "id": 1, "packages": "1,2,77"},  # 77 is a stale id WHMCS ignores
        {**ADDON, "id": 2, "packages": ""}, {**ADDON, "id": 3, "packages": "2"}])


def test_link_tables_are_written_by_their_primary_key(app: Any, db: Any,
                                                      source_db: Any) -> None:
    src = source_db("whmcs-8.4.sql")
    facts = generate(src)
    _links(src)
    report = run_whmcs(app, src)
    assert report["ok"], [e for e in report["entities"] if not e["reconciled"]]
    pairs = set(db.execute(select(addon_products.c.addon_id, addon_products.c.product_id)))
    assert pairs == {(1, 1), (1, 2), (3, 2)}
    groups = set(db.execute(select(config_group_products.c.group_id,
                                   config_group_products.c.product_id)))
    assert groups == {(1, 1), (2, 2), (1, 2)}
    held = {(q.source_table, q.source_id): q.reason for q in db.scalars(select(QuarantinedRow))}
    assert held[("tblproductconfiglinks", "4")].startswith("orphan: pid=77")
    line = {e["entity"]: e for e in report["entities"]}["config_links"]
    assert (line["inserted"], line["unchanged"], line["quarantined"]) == (3, 1, 1)
    assert facts.quarantined  # the generated faults are still there

    db.commit()
    again = run_whmcs(app, src)
    assert again["ok"]
    lines = {e["entity"]: e for e in again["entities"]}
    assert lines["config_links"]["inserted"] == 0 and lines["config_links"]["unchanged"] == 4
    assert lines["addons"]["inserted"] == 0 and lines["addons"]["unchanged"] == 3
    assert set(db.execute(select(addon_products.c.addon_id,
                                 addon_products.c.product_id))) == pairs


def _promo(pid: int, code: str) -> dict[str, Any]:
    return {"id": pid, "code": code, "type": "Percentage", "value": "10.00", "recurring": 0,
            "recurfor": 0, "cycles": "", "appliesto": "", "requires": "",
            "startdate": "2024-01-01", "expirationdate": "0000-00-00", "maxuses": 0, "uses": 0,
            "notes": "", "upgradeconfig": ""}


def test_values_a_unique_constraint_refuses_are_quarantined(app: Any, db: Any,
                                                            source_db: Any) -> None:
    src = source_db("whmcs-8.4.sql")
    generate(src)
    # WHMCS does not enforce unique promotion codes; the core does (promotions.code)
    _insert(src, "tblpromotions", [_promo(1, "SPRING"), _promo(2, "SPRING"),
                                   _promo(3, "AUTUMN")])
    report = run_whmcs(app, src)
    assert report["ok"]
    line = {e["entity"]: e for e in report["entities"]}["promotions"]
    assert (line["inserted"], line["quarantined"]) == (2, 1)
    held = {(q.source_table, q.source_id): q for q in db.scalars(select(QuarantinedRow))}
    entry = held[("tblpromotions", "2")]
    assert entry.reason == ("promotions.code 'SPRING' is already used by promotions id 1 "
                            "(the core allows it once)")
    assert entry.payload["code"] == "SPRING"  # the whole source row is kept
    assert set(db.scalars(select(Promotion.code))) == {"SPRING", "AUTUMN"}

    # a later delta run: a new row clashes with one imported earlier; the rest still moves
    db.commit()
    _insert(src, "tblpromotions", [_promo(4, "AUTUMN"), _promo(5, "WINTER")])
    again = run_whmcs(app, src)
    assert again["ok"]
    held = {(q.source_table, q.source_id): q.reason for q in db.scalars(select(QuarantinedRow))}
    assert held[("tblpromotions", "4")].startswith("promotions.code 'AUTUMN' is already used "
                                                   "by promotions id 3")
    assert ("tblpromotions", "2") in held  # still refused, still explained
    assert db.get(Promotion, 5) is not None and db.get(Promotion, 4) is None
    assert db.get(Promotion, 3).code == "AUTUMN"  # the holder is updated-in-place, not refused


def test_on_mariadb_links_and_collation_duplicates(mysql_db: Any, mysql_url: str,
                                                   source_db: Any) -> None:
    """MariaDB enforces the foreign keys of the link tables and compares text the way its
    collation does ("SPRING" = "spring "): both are checked before the INSERT."""
    from bridge.db import make_engine
    from bridge.security import SecretBox
    from importers._pipeline import RunOptions, run_import
    from importers.whmcs.importer import Importer
    from tests.importers.whmcs_data import CC_HASH, TIMEZONE

    src = source_db("whmcs-8.4.sql")
    generate(src)
    _links(src)
    _insert(src, "tblpromotions", [_promo(1, "SPRING"), _promo(2, "spring "),
                                   _promo(3, "AUTUMN")])
    engine = make_engine(mysql_url)
    try:
        report = run_import(Importer(key=CC_HASH, timezone=TIMEZONE), src.url, engine,
                            SecretBox("maria-install-key"), RunOptions())
    finally:
        engine.dispose()
    assert report["ok"], [e for e in report["entities"] if not e["reconciled"]]
    mysql_db.rollback()  # a fresh snapshot after the import's commits
    assert set(mysql_db.execute(select(addon_products.c.addon_id,
                                       addon_products.c.product_id))) == {(1, 1), (1, 2), (3, 2)}
    held = {(q.source_table, q.source_id): q.reason
            for q in mysql_db.scalars(select(QuarantinedRow))}
    assert held[("tblpromotions", "2")].startswith(
        "promotions.code 'spring ' is already used by promotions id 1")
    assert set(mysql_db.scalars(select(Promotion.code))) == {"SPRING", "AUTUMN"}
