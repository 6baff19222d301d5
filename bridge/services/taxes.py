"""Tax rules for a client and the tax arithmetic of an invoice.

WHMCS keeps two tax levels (``tbltax.level`` 1 and 2) matched on country and state, a global
exclusive/inclusive switch (``TaxType``) and a "level 2 is compound" switch (``TaxL2Compound``).
Here the rules are :class:`~bridge.models.TaxRule` rows and the switches are the settings
``tax.enabled``, ``tax.inclusive`` and ``tax.level2_compound``. Invoices snapshot the rates at
creation, so later rule changes never alter an issued invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.models import TaxRule
from bridge.money import ZERO, percent_of, round_money

from .reference_cache import cached_read
from .settings import get_setting

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TaxResult:
    """Net subtotal, the tax of each level and the gross total, all rounded to the currency."""

    subtotal: Decimal
    tax1: Decimal
    tax2: Decimal
    total: Decimal


class TaxedParty(Protocol):
    """Whom tax rules are matched on: a :class:`~bridge.models.Client`, its
    :class:`~bridge.services.clients.ClientTerms`, or a quote's prospect."""

    @property
    def company_id(self) -> int | None: ...
    @property
    def tax_exempt(self) -> bool: ...
    @property
    def country(self) -> str: ...
    @property
    def state(self) -> str: ...


@dataclass(frozen=True)
class TaxRuleView:
    """An active tax rule as matched against clients: the columns of its
    :class:`~bridge.models.TaxRule` row, immutable so a worker can keep it (see
    :mod:`bridge.services.reference_cache`)."""

    id: int
    company_id: int | None
    level: int
    name: str
    country: str
    state: str
    rate: Decimal
    compound: bool


# built once: every new invoice and quote reads it (through the worker's reference cache)
_ACTIVE_RULES = select(TaxRule.id, TaxRule.company_id, TaxRule.level, TaxRule.name,
                       TaxRule.country, TaxRule.state, TaxRule.rate, TaxRule.compound
                       ).where(TaxRule.active.is_(True), TaxRule.level.in_((1, 2))
                               ).order_by(TaxRule.id)


def _active_rules(session: Session) -> tuple[TaxRuleView, ...]:
    return cached_read(session, "tax_rules", ("active",), lambda: tuple(
        TaxRuleView(*row) for row in session.execute(_ACTIVE_RULES)))


def _specificity(rule: TaxRuleView, company_id: int | None) -> tuple[int, int, int]:
    # country+state beats country beats everywhere; a company's own rule beats a global one;
    # on a tie the older rule (lower id) wins so the choice is stable
    place = (2 if rule.country else 0) + (1 if rule.state else 0)
    own = 1 if company_id is not None and rule.company_id == company_id else 0
    return (place, own, -rule.id)


def _matches(rule: TaxRuleView, client: TaxedParty) -> bool:
    if rule.company_id is not None and rule.company_id != client.company_id:
        return False
    if rule.country and rule.country.upper() != (client.country or "").upper():
        return False
    return not rule.state or rule.state.strip().lower() == (client.state or "").strip().lower()


def taxes_for_client(session: Session, client: TaxedParty
                     ) -> tuple[TaxRuleView | None, TaxRuleView | None]:
    """The level-1 and level-2 tax rules that apply to ``client`` (either may be None), as
    immutable views of the rows.

    The most specific active rule of each level wins: country+state, then country, then a rule
    for everywhere (empty country). No rule applies when the client is tax exempt or the
    setting ``tax.enabled`` is "0". Raises nothing.
    """
    if client.tax_exempt or get_setting(session, "tax.enabled", client.company_id) == "0":
        return (None, None)
    best: dict[int, TaxRuleView] = {}
    for rule in _active_rules(session):
        if not _matches(rule, client):
            continue
        current = best.get(rule.level)
        if current is None or (_specificity(rule, client.company_id)
                               > _specificity(current, client.company_id)):
            best[rule.level] = rule
    return (best.get(1), best.get(2))


def compute_taxes(
    lines: Sequence[tuple[Decimal, bool]],
    rate1: Decimal,
    rate2: Decimal,
    *,
    compound: bool,
    inclusive: bool,
    places: int = 2,
) -> TaxResult:
    """Subtotal, taxes and total of invoice ``lines`` given as (line amount, taxed) pairs.

    Exclusive: each level's tax is charged on the sum of the taxed lines and rounded once; a
    compound level 2 is charged on that base plus the level-1 tax. Inclusive: the line amounts
    already contain the tax; the net is taken out of the taxed lines' sum, each level is
    rounded once, ``total`` is the sum of the lines and ``subtotal`` is what is left after tax.
    In both modes ``total == subtotal + tax1 + tax2``. Raises nothing.
    """
    gross = sum((amount for amount, _ in lines), ZERO)
    taxed = sum((amount for amount, is_taxed in lines if is_taxed), ZERO)
    if not inclusive:
        tax1 = percent_of(taxed, rate1, places)
        tax2 = percent_of(taxed + tax1 if compound else taxed, rate2, places)
        subtotal = round_money(gross, places)
        return TaxResult(subtotal, tax1, tax2, round_money(subtotal + tax1 + tax2, places))
    # the exact (unrounded) net of the taxed lines; only the tax amounts are rounded
    if compound:
        net = taxed * HUNDRED / (HUNDRED + rate1) * HUNDRED / (HUNDRED + rate2)
        tax1 = percent_of(net, rate1, places)
        tax2 = percent_of(net + net * rate1 / HUNDRED, rate2, places)
    else:
        net = taxed * HUNDRED / (HUNDRED + rate1 + rate2)
        tax1 = percent_of(net, rate1, places)
        tax2 = percent_of(net, rate2, places)
    total = round_money(gross, places)
    return TaxResult(total - tax1 - tax2, tax1, tax2, total)
