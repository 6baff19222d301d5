"""Coverage of the WHMCS API is data: the catalogue, the registry and docs/api/whmcs.md agree."""

from __future__ import annotations

from pathlib import Path

import compat.whmcs.api.actions  # noqa: F401  (registers every action)
from compat.whmcs.api.catalogue import CATALOGUE
from compat.whmcs.api.coverage import coverage_rows, render_matrix, summary
from compat.whmcs.api.registry import ACTIONS

DOC = Path(__file__).resolve().parents[3] / "docs" / "api" / "whmcs.md"
MAY_BE_UNSUPPORTED = {"Project Management"}


def test_every_catalogue_action_is_registered():
    missing = [f"{name} ({group})" for name, group, _ in CATALOGUE if name.lower() not in ACTIONS]
    assert not missing, f"{len(missing)} WHMCS actions are not registered: " + ", ".join(missing)


def test_only_project_management_may_be_not_supported():
    refused = [f"{spec.name} ({spec.group})" for spec in ACTIONS.values()
               if spec.status == "not_supported" and spec.group not in MAY_BE_UNSUPPORTED]
    assert not refused, "only Project Management may be not_supported: " + ", ".join(refused)


def test_statuses_are_known_and_partial_ones_say_why():
    for spec in ACTIONS.values():
        assert spec.status in ("implemented", "partial", "not_supported"), spec
        if spec.status != "implemented":
            assert spec.notes.strip(), f"{spec.name} is {spec.status} without notes"


def test_matrix_lists_every_action_once_with_a_true_summary():
    text = render_matrix()
    rows = coverage_rows()
    assert len([r for r in rows if r.group != "Additional actions"]) == len(CATALOGUE) == 162
    for name, _, _ in CATALOGUE:
        assert sum(line.startswith(f"| {name} |") for line in text.splitlines()) == 1, name
    assert summary(rows) in text
    missing = sum(1 for name, _, _ in CATALOGUE if name.lower() not in ACTIONS)
    assert f", {missing} missing" in summary(rows)
    assert "| AddClient | implemented |" in text


def test_docs_matrix_is_up_to_date():
    assert DOC.exists(), "run: python -m compat.whmcs.api.coverage > docs/api/whmcs.md"
    assert DOC.read_text(encoding="utf-8") == render_matrix(), (
        "docs/api/whmcs.md is stale; run: python -m compat.whmcs.api.coverage > docs/api/whmcs.md"
    )
