"""Coverage is data: every Appendix A method is registered and the docs page is current."""

from __future__ import annotations

from pathlib import Path

from compat.blesta.api.coverage import render_matrix, rows

ROOT = Path(__file__).resolve().parents[3]
REQUIRED_MODELS = {
    "clients", "contacts", "client_groups", "users", "packages", "package_groups",
    "package_options", "package_option_groups", "pricings", "services", "service_changes",
    "invoices", "transactions", "accounts", "currencies", "taxes", "coupons", "companies",
    "module_manager", "gateway_manager", "plugin_manager", "settings", "api_keys", "staff",
    "emails", "countries", "states", "logs", "payments",
    "support_manager.support_manager_tickets", "support_manager.support_manager_departments",
    "support_manager.support_manager_responses", "support_manager.support_manager_staff",
    "domains.domains_domains", "domains.domains_tlds",
}


def test_every_catalogue_method_is_registered():
    table = rows()
    assert [r for r in table if r[2] == "missing"] == []
    assert REQUIRED_MODELS <= {model for model, _, _, _ in table}


def test_implemented_methods_exist_for_the_core_models():
    implemented = {model for model, _, status, _ in rows() if status != "not_supported"}
    assert "clients" in implemented


def test_docs_page_is_current():
    page = (ROOT / "docs" / "api" / "blesta.md").read_text()
    assert page == render_matrix(), (
        "docs/api/blesta.md is stale: run `python -m compat.blesta.api.coverage > "
        "docs/api/blesta.md`")
