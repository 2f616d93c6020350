"""Per-instrument trading rules: costs, tick, lot, T+1 and price limits, by asset class and date.

Defaults follow docs/research.md sections 1 and 2; every value can be overridden in YAML per asset class
(``broker.asset_classes``) and per instrument (``broker.instruments``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Any, cast

from huice.config.schema import AssetClass, BrokerConfig, RuleOverrides
from huice.engine.broker.money import ceil_to_tick, floor_to_tick, round_to_tick

DatedSchedule = tuple[tuple[dt.date, float], ...]

# Securities transaction stamp duty on A-shares (docs/broker.md, "Stamp duty", cites each
# notice): both sides until 2008-09-18, the seller only from 2008-09-19. Not modelled before
# 2005-01-24 (0 there): set broker.asset_classes.stock.stamp_duty for earlier runs.
STAMP_DUTY_STOCKS: DatedSchedule = ((dt.date(2005, 1, 24), 0.001), (dt.date(2007, 5, 30), 0.003),
                                    (dt.date(2008, 4, 24), 0.001),
                                    (dt.date(2023, 8, 28), 0.0005))
STAMP_DUTY_STOCK_BUYERS: DatedSchedule = ((dt.date(2005, 1, 24), 0.001),
                                          (dt.date(2007, 5, 30), 0.003),
                                          (dt.date(2008, 4, 24), 0.001),
                                          (dt.date(2008, 9, 19), 0.0))
TRANSFER_FEE_STOCKS: DatedSchedule = ((dt.date(2015, 8, 1), 0.00002),
                                      (dt.date(2022, 4, 29), 0.00001))
CHINEXT_20PCT_FROM = dt.date(2020, 8, 24)
BOARD_LIMITS = {"main": 0.10, "star": 0.20, "st": 0.05, "beijing": 0.30, "none": 0.0}
# STAR Market stocks: an order is at least 200 shares, then any whole number of shares
STAR_STOCK_LOTS = {"lot": 1, "min_quantity": 200}
LOT_EPSILON = 1e-9


@dataclass(frozen=True)
class InstrumentRules:
    """Everything the broker needs to know to trade one instrument."""

    symbol: str
    asset_class: str
    board: str
    commission_rate: float
    commission_min_cny: float
    stamp_duty: DatedSchedule          # the seller's
    transfer_fee: DatedSchedule
    tick: float | None
    lot: int
    t_plus: int
    price_limit: float | None  # None: by board and date; 0: no limit
    fractional: bool
    price_scale: float
    min_quantity: int = 0      # the smallest order when larger than one lot (STAR: 200)
    stamp_duty_buyer: DatedSchedule = ()  # the buyer's (stocks until 2008-09-18)
    no_limit_through: dt.date | None = None  # a new listing's last day without a price limit
    dividend_tax: bool = False  # dividends taxed by holding period when sold (stocks)
    st_periods: tuple[tuple[dt.date, dt.date | None], ...] = ()  # under risk warning (ST)

    # -- quantities ------------------------------------------------------------------------
    @property
    def smallest_order(self) -> int:
        """The fewest units an order may ask for (a sell that closes a position aside)."""
        return max(self.lot, self.min_quantity)

    def whole_lots(self, quantity: float) -> float:
        """The largest quantity at most ``quantity`` that the exchange accepts: whole lots, and
        none below the smallest order (fractional instruments: the quantity itself)."""
        if self.fractional:
            return max(quantity, 0.0)
        lots = math.floor(quantity / self.lot + LOT_EPSILON) * self.lot
        return float(lots) if lots >= self.smallest_order else 0.0

    def one_lot_less(self, quantity: float) -> float:
        """The next smaller quantity the exchange accepts (0 below the smallest order)."""
        return self.whole_lots(quantity - (self.lot if not self.fractional else quantity))

    def lots_of(self, quantity: float) -> float:
        """How many lots ``quantity`` is (the quantity itself for a fractional instrument)."""
        return quantity / self.lot if self.lot and not self.fractional else float(quantity)

    def is_whole_lots(self, quantity: float) -> bool:
        """Whether ``quantity`` is an order the exchange accepts for a buy: whole lots, at
        least the smallest order (any quantity for a fractional instrument)."""
        return self.fractional or (self.whole_lots(quantity) == quantity and quantity > 0)

    def is_odd_lot(self, quantity: float) -> bool:
        """Whether ``quantity`` is not a whole number of lots (a sale may be one only when it
        closes the position)."""
        return not self.fractional and bool(quantity % self.lot)

    def ticks_as_fraction(self, ticks: Any, price: Any) -> Any:
        """``ticks`` ticks as a fraction of ``price`` (arrays too): a tick slippage in the
        screen's proportional terms."""
        return ticks * self.tick / price if self.tick else 0.0 * price

    def is_on_tick(self, price: float) -> bool:
        """Whether ``price`` is on the instrument's tick (always, without one)."""
        return not self.tick or abs(price / self.tick - round(price / self.tick)) <= 1e-6

    def describe_lots(self) -> str:
        """How quantities are counted, for messages: "lots of 100"."""
        if self.min_quantity > self.lot:
            return f"at least {self.min_quantity}, then steps of {self.lot}"
        return f"lots of {self.lot}"

    # -- prices ----------------------------------------------------------------------------
    def limit_on_tick(self, price: float, is_buy: bool) -> float:
        """A limit price on the tick, never more generous than asked: a buy's rounds down, a
        sell's up (the same orders fill as at the exact price)."""
        if not self.tick:
            return price
        return floor_to_tick(price, self.tick) if is_buy else ceil_to_tick(price, self.tick)

    def stop_on_tick(self, price: float, is_buy: bool) -> float:
        """A stop price on the tick, never triggering earlier than asked: a buy's rounds up, a
        sell's down."""
        if not self.tick:
            return price
        return ceil_to_tick(price, self.tick) if is_buy else floor_to_tick(price, self.tick)

    def fill_on_tick(self, price: float, is_buy: bool) -> float:
        """A fill price on the tick, rounded against the trader (buys up, sells down)."""
        if not self.tick:
            return price
        return ceil_to_tick(price, self.tick) if is_buy else floor_to_tick(price, self.tick)

    def day_limits(self, limit_base: float, day: dt.date) -> tuple[float | None, float | None]:
        """The day's limit-up and limit-down from its reference price (the previous close, or
        the ex-rights price on an ex-date), rounded half up to the tick as the exchange does;
        (None, None) without a limit."""
        rate = self.limit_rate(day)
        if rate <= 0 or math.isnan(limit_base):
            return None, None
        up = limit_base * (1 + rate)
        down = limit_base * (1 - rate)
        if self.tick:
            up, down = round_to_tick(up, self.tick), round_to_tick(down, self.tick)
        return up, down

    def limit_rate(self, day: dt.date) -> float:
        """The daily price-limit fraction on ``day`` (0 means no limit): none on a new
        listing's first days (``no_limit_through``), else by board and date."""
        if self.no_limit_through is not None and day <= self.no_limit_through:
            return 0.0
        if self.st_periods and self.board == "main" and any(
                start <= day and (end is None or day <= end) for start, end in self.st_periods):
            return BOARD_LIMITS["st"]  # a main-board stock under risk warning
        if self.price_limit is not None:
            return self.price_limit
        if self.board == "chinext":
            return 0.20 if day >= CHINEXT_20PCT_FROM else 0.10
        return BOARD_LIMITS.get(self.board, 0.10)


def rate_on(schedule: DatedSchedule, day: dt.date) -> float:
    """The rate in force on ``day`` (0 before the first entry)."""
    rate = 0.0
    for start, value in schedule:
        if day >= start:
            rate = value
        else:
            break
    return rate


_ETF = dict(commission_rate=0.00025, commission_min_cny=0.0, stamp_duty=(), transfer_fee=(),
            tick=0.001, lot=100, t_plus=1, price_limit=None, fractional=False, price_scale=1.0,
            dividend_tax=False)
CLASS_DEFAULTS: dict[str, dict[str, Any]] = {
    "stock": dict(commission_rate=0.00025, commission_min_cny=5.0, stamp_duty=STAMP_DUTY_STOCKS,
                  stamp_duty_buyer=STAMP_DUTY_STOCK_BUYERS, transfer_fee=TRANSFER_FEE_STOCKS,
                  tick=0.01, lot=100, t_plus=1, price_limit=None, fractional=False,
                  price_scale=1.0, dividend_tax=True),
    "etf": _ETF,
    # A price index traded as if it were a cost-free-tracking ETF whose share is worth
    # index/1000, like most index ETFs' NAV; indices have no daily limit.
    "index": {**_ETF, "price_limit": 0.0, "price_scale": 0.001},
    "bond_etf": {**_ETF, "t_plus": 0},
    "gold_etf": {**_ETF, "t_plus": 0},
    "money_etf": {**_ETF, "t_plus": 0},
    "cross_border_etf": {**_ETF, "t_plus": 0},
    "synthetic": dict(commission_rate=0.0, commission_min_cny=0.0, stamp_duty=(),
                      transfer_fee=(), tick=None, lot=1, t_plus=0, price_limit=0.0,
                      fractional=True, price_scale=1.0, dividend_tax=False),
}


def _apply(values: dict[str, Any], overrides: RuleOverrides | None) -> dict[str, Any]:
    if overrides is None:
        return values
    values = dict(values)
    for key, value in overrides.model_dump(exclude_none=True, by_alias=False).items():
        if key in ("stamp_duty", "stamp_duty_buyer", "transfer_fee"):
            values[key] = tuple((dt.date.fromisoformat(str(entry["start"])), entry["rate"])
                                for entry in value)
        elif key in values:
            values[key] = value
    return values


def _given(overrides: RuleOverrides | None) -> set[str]:
    return set() if overrides is None else set(overrides.model_dump(exclude_none=True))


def resolve_rules(symbol: str, asset_class: str, board: str | None,
                  broker: BrokerConfig) -> InstrumentRules:
    """Merge class defaults, ``broker.asset_classes`` and ``broker.instruments`` for ``symbol``."""
    instrument = broker.instruments.get(symbol)
    if instrument is not None and instrument.asset_class:
        asset_class = instrument.asset_class
    if instrument is not None and instrument.board:
        board = instrument.board
    board = board or ("none" if asset_class in ("index", "synthetic") else "main")
    values = dict(CLASS_DEFAULTS[asset_class])
    if asset_class == "stock" and board == "star":
        values.update(STAR_STOCK_LOTS)
    class_overrides = broker.asset_classes.get(cast(AssetClass, asset_class))
    values = _apply(values, class_overrides)
    values = _apply(values, instrument)
    if "lot" in _given(class_overrides) | _given(instrument):
        values["min_quantity"] = 0  # a lot set in YAML is the whole rule
    rules = InstrumentRules(symbol=symbol, asset_class=asset_class, board=board, **values)
    if broker.costs == "none":
        rules = replace(rules, commission_rate=0.0, commission_min_cny=0.0, stamp_duty=(),
                        stamp_duty_buyer=(), transfer_fee=(), dividend_tax=False)
    if rules.fractional:
        rules = replace(rules, lot=1)
    return rules
