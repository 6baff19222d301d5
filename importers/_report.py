"""The reconciliation report of a run: per entity counts (source vs read/written/quarantined)
and money totals per currency (source == core + quarantined), as JSON-safe data and as text.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, select, text

from importers.base import Entity

if TYPE_CHECKING:
    from importers._pipeline import _Run


_PLACES = Decimal("0.0001")


def _sum(rows: Any) -> dict[str, Decimal]:
    """``(currency[, more key columns...], amount)`` rows as {"CUR more": total}."""
    totals: dict[str, Decimal] = {}
    for *keys, amount in rows:
        key = " ".join(str(k or "") for k in keys)
        value = Decimal(str(amount)) if amount is not None else Decimal(0)
        totals[key] = totals.get(key, Decimal(0)) + value
    # SQLite sums NUMERIC as binary floats: the core keeps 4 places, so compare at 4 places
    return {k: v.quantize(_PLACES) for k, v in totals.items()}


def build_report(run: _Run, run_id: int, entities: list[Entity]) -> dict[str, Any]:
    """Counts and money checks for ``entities`` of run ``run_id`` (see the base docstring, 7)."""
    cp = run.checkpoints
    q = run.quarantine
    lines: list[dict[str, Any]] = []
    money: list[dict[str, Any]] = []
    with run.source.connect() as src:
        for entity in entities:
            stats = run.conn.execute(select(cp).where(
                and_(cp.c.run_id == run_id, cp.c.entity == entity.name))).mappings().first()
            source_count = int(src.scalar(text(entity.count_sql())) or 0)
            counted = {k: int(stats[k]) if stats else 0
                       for k in ("read", "inserted", "updated", "unchanged", "quarantined")}
            lines.append({
                "entity": entity.name, "table": entity.table, "source": source_count, **counted,
                "reconciled": source_count == counted["inserted"] + counted["updated"]
                + counted["unchanged"] + counted["quarantined"],
            })
            if not entity.money:
                continue
            payloads = [r for (r,) in run.conn.execute(select(q.c.payload).where(and_(
                q.c.source == run.importer.source, q.c.source_table == entity.table)))]
            for check in entity.money:
                source_totals = _sum(src.execute(text(check.source_sql)))
                target_totals = _sum(run.conn.execute(text(check.target_sql)))
                held: dict[str, Decimal] = {}
                for payload in payloads:
                    found = check.quarantined(payload) if check.quarantined else None
                    if found is not None:
                        held[found[0]] = held.get(found[0], Decimal(0)) + found[1]
                for currency in sorted(set(source_totals) | set(target_totals) | set(held)):
                    s = source_totals.get(currency, Decimal(0))
                    t = target_totals.get(currency, Decimal(0))
                    h = held.get(currency, Decimal(0)).quantize(_PLACES)
                    money.append({
                        "entity": entity.name, "label": check.label, "currency": currency,
                        "source": _fmt(s), "target": _fmt(t), "quarantined": _fmt(h),
                        "ok": s == t + h,
                    })
    return {
        "source": run.importer.source, "version": run.ctx.version, "run_id": run_id,
        "dry_run": run.opts.dry_run, "entities": lines, "money": money,
        "ok": all(x["reconciled"] for x in lines) and all(m["ok"] for m in money),
    }


def _fmt(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.0001")), "f")


def render_report(report: dict[str, Any]) -> str:
    """The report as a plain-text table for the terminal."""
    dry = "  (dry run: nothing written)" if report.get("dry_run") else ""
    out = [
        f"{report.get('source')} {report.get('version')} -> hostbridge"
        f"  run {report.get('run_id')}{dry}",
        f"{'entity':<22}{'source':>9}{'read':>9}{'new':>9}{'updated':>9}{'same':>9}"
        f"{'quarant.':>9}  ok",
    ]
    for e in report.get("entities", []):
        out.append(
            f"{e['entity']:<22}{e['source']:>9}{e['read']:>9}{e['inserted']:>9}{e['updated']:>9}"
            f"{e['unchanged']:>9}{e['quarantined']:>9}  {'yes' if e['reconciled'] else 'NO'}")
    if report.get("money"):
        out.append("")
        out.append(f"{'money':<34}{'cur':<5}{'source':>16}{'target':>16}{'quarant.':>14}  ok")
        for m in report["money"]:
            out.append(
                f"{m['entity'] + ': ' + m['label']:<34}{m['currency']:<5}{m['source']:>16}"
                f"{m['target']:>16}{m['quarantined']:>14}  {'yes' if m['ok'] else 'NO'}")
    out.append("")
    out.append("reconciled" if report.get("ok") else "NOT reconciled: see the rows marked NO")
    return "\n".join(out)
