"""Fees of a fill: commission (with a minimum), stamp duty (sells) and transfer fee, itemised."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from huice.engine.broker.money import round_cents
from huice.engine.broker.rules import InstrumentRules, rate_on


@dataclass(frozen=True)
class FeeBreakdown:
    """Fees of one fill in CNY, each rounded to the cent."""

    commission: float = 0.0
    stamp_duty: float = 0.0
    transfer_fee: float = 0.0

    @property
    def total(self) -> float:
        return round_cents(self.commission + self.stamp_duty + self.transfer_fee)


def compute_fees(rules: InstrumentRules, is_buy: bool, value: float, day: dt.date) -> FeeBreakdown:
    """Fees for a fill of ``value`` CNY on ``day``.

    Commission is ``max(rate * value, minimum)`` on both sides; stamp duty at the rate in force
    on the trade date for the side (the buyer's schedule is empty but for stocks before
    2008-09-19); the transfer fee on both sides likewise.
    """
    if value <= 0:
        return FeeBreakdown()
    commission = 0.0
    if rules.commission_rate > 0 or rules.commission_min_cny > 0:
        commission = round_cents(max(value * rules.commission_rate, rules.commission_min_cny))
    stamp = round_cents(value * rate_on(rules.stamp_duty_buyer if is_buy else rules.stamp_duty,
                                        day))
    transfer = round_cents(value * rate_on(rules.transfer_fee, day))
    return FeeBreakdown(commission=commission, stamp_duty=stamp, transfer_fee=transfer)


def marginal_fee_rate(rules: InstrumentRules, is_buy: bool, day: dt.date) -> float:
    """Fees per CNY traded, ignoring the commission minimum."""
    stamp = rate_on(rules.stamp_duty_buyer if is_buy else rules.stamp_duty, day)
    return rules.commission_rate + stamp + rate_on(rules.transfer_fee, day)
