"""Dividend tax on A-share stocks by holding period, charged when the shares are sold.

Individual investors' cash dividends from listed companies are taxed at 20% on a share of the
dividend that depends on how long the shares were held when they are sold, first in first out
(财税〔2012〕85号 from 2013-01-01; 财税〔2015〕101号 from 2015-09-08): the whole dividend for
shares held up to one month, half of it (10%) for up to one year, and beyond one year a quarter
(5%) until 2015-09-07 and nothing from 2015-09-08. The company pays the dividend untaxed; the
broker withholds the tax from the sale's proceeds. huice books it on the sale's fill as its own
fee (``dividend_tax``). Funds' and ETFs' distributions are not taxed this way (off for every
class but ``stock``; ``broker.asset_classes.<class>.dividend_tax`` switches it). Sales before
2013-01-01 pay none here: the flat 10% withheld at payment then is not modelled.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from huice.engine.broker.orders import Fill

DIFFERENTIATED_FROM = dt.date(2013, 1, 1)
LONG_EXEMPT_FROM = dt.date(2015, 9, 8)
DIVIDEND_TAX_RATE = 0.20


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def tax_rate(bought: dt.date, sold: dt.date) -> float:
    """The tax on a dividend, as a fraction of it, for shares bought on ``bought`` and sold on
    ``sold`` (held up to one month, up to one year, beyond)."""
    if sold < DIFFERENTIATED_FROM:
        return 0.0
    if sold <= months_after(bought, 1):
        return DIVIDEND_TAX_RATE
    if sold <= months_after(bought, 12):
        return DIVIDEND_TAX_RATE / 2
    return 0.0 if sold >= LONG_EXEMPT_FROM else DIVIDEND_TAX_RATE / 4


@dataclass
class TaxLot:
    """Shares bought on one day, and the cash dividends they have received since."""

    bought: dt.date
    quantity: float
    dividends: float = 0.0


@dataclass
class LotBook:
    """The taxed instruments' lots, oldest first."""

    lots: dict[str, list[TaxLot]] = field(default_factory=dict)

    def book(self, fill: Fill) -> None:
        """A buy opens a lot; a sale takes from the oldest."""
        if fill.is_buy:
            self.lots.setdefault(fill.symbol, []).append(TaxLot(fill.date, fill.quantity))
        else:
            self.sell(fill.symbol, fill.quantity)

    def dividend(self, symbol: str, per_unit: float) -> None:
        """Each lot held at the previous close receives ``per_unit`` a share."""
        for lot in self.lots.get(symbol, []):
            lot.dividends += lot.quantity * per_unit

    def split(self, symbol: str, before: float, after: float) -> None:
        """Bonus shares or a split: each lot's shares scale (they keep their purchase date);
        the whole units the position kept (``after``) are shared out in order."""
        lots = self.lots.get(symbol, [])
        if not lots or not before:
            return
        left = after
        for lot in lots:
            lot.quantity = min(float(int(lot.quantity * after / before + 1e-9)), left)
            left -= lot.quantity
        lots[-1].quantity += left  # the rounding's remainder stays with the newest lot

    def _portions(self, symbol: str, quantity: float) -> list[tuple[TaxLot, float]]:
        portions, left = [], quantity
        for lot in self.lots.get(symbol, []):
            if left <= 1e-9:
                break
            taken = min(lot.quantity, left)
            portions.append((lot, taken))
            left -= taken
        return portions

    def tax_on_sale(self, symbol: str, quantity: float, day: dt.date) -> float:
        """The tax a sale of ``quantity`` on ``day`` owes, first in first out (unrounded)."""
        return sum(lot.dividends * (taken / lot.quantity) * tax_rate(lot.bought, day)
                   for lot, taken in self._portions(symbol, quantity) if lot.quantity)

    def sell(self, symbol: str, quantity: float) -> None:
        """Take ``quantity`` from the oldest lots (their dividends go with the shares)."""
        for lot, taken in self._portions(symbol, quantity):
            if taken >= lot.quantity - 1e-9:
                lot.quantity, lot.dividends = 0.0, 0.0
            else:
                lot.dividends *= 1 - taken / lot.quantity
                lot.quantity -= taken
        self.lots[symbol] = [lot for lot in self.lots.get(symbol, []) if lot.quantity > 1e-9]
        if not self.lots[symbol]:
            del self.lots[symbol]

    def export(self) -> dict[str, list[list[object]]]:
        return {symbol: [[lot.bought.isoformat(), lot.quantity, lot.dividends] for lot in lots]
                for symbol, lots in sorted(self.lots.items())}

    @classmethod
    def restore(cls, data: dict[str, list[list[object]]]) -> LotBook:
        return cls({symbol: [TaxLot(dt.date.fromisoformat(str(b)), float(q), float(d))  # type: ignore[arg-type]
                             for b, q, d in lots] for symbol, lots in data.items()})
