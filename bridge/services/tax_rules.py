"""Tax rules: add, update and remove the rates invoices are taxed at."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from bridge.errors import ValidationFailed
from bridge.models import TaxRule

from .common import get_or_404, log_activity


def add_tax_rule(
    session: Session,
    name: str,
    rate: Decimal,
    *,
    level: int = 1,
    country: str = "",
    state: str = "",
    compound: bool = False,
    company_id: int | None = None,
) -> TaxRule:
    """Add a tax rate for a level (1 or 2) and region; empty country means everywhere.

    ``compound`` is meaningful on level 2 only: the tax is charged on net plus level-1 tax.
    Raises ValidationFailed for a level other than 1/2, a negative rate or a bad country code.
    """
    errors: dict[str, dict[str, str]] = {}
    if level not in (1, 2):
        errors["level"] = {"one_of": "tax level must be 1 or 2"}
    if rate < 0 or rate > 100:
        errors["rate"] = {"range": "tax rate must be between 0 and 100 percent"}
    if country and (len(country) != 2 or not country.isalpha()):
        errors["country"] = {"invalid": f"country must be an ISO-2 code, got {country!r}"}
    if errors:
        raise ValidationFailed(errors)
    rule = TaxRule(name=name, rate=rate, level=level, country=country.upper(), state=state,
                   compound=compound and level == 2, company_id=company_id)
    session.add(rule)
    session.flush()
    log_activity(session, "tax_rule.added", f"Tax rule {name} ({rate}%) added",
                 subject=("tax_rule", rule.id))
    return rule


def remove_tax_rule(session: Session, rule_id: int) -> None:
    """Deactivate a tax rule; invoices keep the rates they were created with."""
    rule = get_or_404(session, TaxRule, rule_id, "Tax rule")
    rule.active = False
    log_activity(session, "tax_rule.removed", f"Tax rule {rule.name} deactivated",
                 subject=("tax_rule", rule.id))
