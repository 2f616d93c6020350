"""Cash, positions with their T+1 lots, and round-trip trades."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from huice.engine.broker.orders import Fill

# Quantities of fractional (synthetic) instruments below this are treated as zero.
QUANTITY_EPSILON = 1e-9


@dataclass
class Position:
    """Units held. ``bought_today`` cannot be sold today under T+1."""

    quantity: float = 0.0
    bought_today: float = 0.0
    cost: float = 0.0  # money paid for the units held, fees included (average costing)


@dataclass
class Trade:
    """A round trip: from a first buy out of flat to the sale that makes the position flat."""

    symbol: str
    opened: dt.date
    closed: dt.date | None = None
    bought_quantity: float = 0.0
    buy_value: float = 0.0
    sell_value: float = 0.0
    fees: float = 0.0
    dividends: float = 0.0  # cash dividends received while the position was open

    @property
    def pnl(self) -> float:
        """Realised profit after fees, dividends included (meaningful once closed)."""
        return round(self.sell_value - self.buy_value - self.fees + self.dividends, 2)


@dataclass
class Account:
    """The cash and positions of one simulated account."""

    cash: float
    positions: dict[str, Position] = field(default_factory=dict)
    open_trades: dict[str, Trade] = field(default_factory=dict)
    closed_trades: list[Trade] = field(default_factory=list)

    def quantity(self, symbol: str) -> float:
        position = self.positions.get(symbol)
        return position.quantity if position else 0.0

    def sellable(self, symbol: str, t_plus: int) -> float:
        """Units that may be sold today (T+1 holds back what was bought today)."""
        position = self.positions.get(symbol)
        if position is None:
            return 0.0
        return position.quantity - (position.bought_today if t_plus else 0.0)

    def start_day(self) -> None:
        """A new trading day: yesterday's purchases become sellable."""
        for position in self.positions.values():
            position.bought_today = 0.0

    def apply(self, fill: Fill) -> None:
        """Book a fill: move cash, units and cost; open or close the round trip."""
        position = self.positions.setdefault(fill.symbol, Position())
        trade = self.open_trades.get(fill.symbol)
        if fill.is_buy:
            if trade is None:
                trade = Trade(symbol=fill.symbol, opened=fill.date)
                self.open_trades[fill.symbol] = trade
            position.quantity += fill.quantity
            position.bought_today += fill.quantity
            position.cost += fill.value + fill.fees
            trade.bought_quantity += fill.quantity
            trade.buy_value += fill.value
        else:
            held = position.quantity
            position.cost -= position.cost * (fill.quantity / held) if held > 0 else 0.0
            position.quantity = held - fill.quantity
            if trade is not None:
                trade.sell_value += fill.value
        if trade is not None:
            trade.fees += fill.fees
        self.cash = fill.cash_after
        if abs(position.quantity) <= QUANTITY_EPSILON:
            del self.positions[fill.symbol]
            if trade is not None:
                trade.closed = fill.date
                self.closed_trades.append(self.open_trades.pop(fill.symbol))
