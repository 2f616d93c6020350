"""Property tests of the broker over random order streams on real bundled bars.

Each example draws an execution mode, slippage, limits and a stream of random orders; the
broker is stepped day by day and after every step these must hold, checked independently of the
broker's own arithmetic: fees never negative; slippage never in the trader's favour; no fill
outside the bar's low..high or the day's limits; lots respected; no sale of shares bought the
same day under T+1; cash never negative; cash + holdings = equity; cash and positions equal a
replay of the fills.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huice.config.schema import DataConfig, RunConfig
from huice.engine.broker.ashare import AShareBroker
from huice.engine.broker.clock import MarketClock
from huice.engine.run.assembly import resolve_all_rules
from huice.feeds.loading import load_market

STOCK, ETF = "510300.SH.qfq", "159915.SZ.qfq"
SYMBOLS = [STOCK, ETF]
MARKET = load_market(DataConfig(start="2023-07-03", end="2023-10-31", benchmark=None), SYMBOLS)
DAYS = len(MARKET.calendar)
TOLERANCE = 1e-6

order_stream = st.lists(
    st.tuples(st.integers(0, DAYS - 1), st.sampled_from(SYMBOLS), st.booleans(),
              st.integers(1, 60_000), st.integers(0, 1)),
    min_size=1, max_size=40)
broker_settings = st.fixed_dictionaries({
    "initial_cash": st.sampled_from([20_000.0, 150_000.0, 1_000_000.0]),
    "execution": st.sampled_from(["open", "close", "vwap"]),
    "slippage": st.one_of(
        st.just({"kind": "none"}),
        st.builds(lambda v: {"kind": "percent", "value": v}, st.sampled_from([0.0005, 0.003, 0.02])),
        st.builds(lambda v: {"kind": "ticks", "value": v}, st.integers(0, 5))),
    "order_validity": st.sampled_from(["day", "gtc"]),
    "sealed_limit": st.sampled_from(["one_price", "touch"]),
    "volume_cap": st.one_of(st.none(), st.builds(
        lambda p, r: {"max_participation": p, "remainder": r},
        st.sampled_from([1e-6, 1e-4, 0.05]), st.sampled_from(["wait", "cancel"]))),
    # a tight limit on the stock-like instrument makes limit refusals happen on real bars
    "instruments": st.sampled_from([
        {STOCK: {"asset_class": "stock"}},
        {STOCK: {"asset_class": "stock", "price_limit": 0.01}},
        {STOCK: {"asset_class": "stock", "price_limit": 0.005}, ETF: {"t_plus": 0}},
    ]),
})


def limits(prev_close: float, rate: float, tick: float) -> tuple[float, float]:
    def to_tick(price: float) -> float:
        steps = (Decimal(repr(price)) / Decimal(repr(tick))).quantize(Decimal(1), ROUND_HALF_UP)
        return float(steps) * tick
    return to_tick(prev_close * (1 + rate)), to_tick(prev_close * (1 - rate))


def run_stream(settings_dict, orders):
    config = RunConfig.model_validate({"name": "p", "data": {}, "strategy": {"name": "x"},
                                       "broker": settings_dict})
    rules = resolve_all_rules(config, MARKET)
    clock = MarketClock(MARKET, {s: r.price_scale for s, r in rules.items()})
    broker = AShareBroker(config.broker, rules, clock)
    # each day's orders come in two waves; with execution: close each wave is matched at the
    # close before the next is placed, so a same-day buy then sell (T+1) can occur
    by_day: dict[tuple[int, int], list] = {}
    for day, symbol, is_buy, quantity, wave in orders:
        by_day.setdefault((day, wave), []).append((symbol, is_buy, quantity))
    initial = config.broker.initial_cash
    checked = 0
    for day in range(DAYS):
        held_at_open = {s: broker.account.quantity(s) for s in SYMBOLS}
        broker.next()
        for wave in (0, 1):
            for symbol, is_buy, quantity in by_day.get((day, wave), []):
                broker.submit_order(symbol, is_buy, quantity)
            if config.broker.execution == "close":
                broker.fill_at_close()
        new_fills = list(broker.fills[checked:])
        checked = len(broker.fills)
        check_fills(new_fills, broker, rules, clock, held_at_open)
        check_account(broker, initial, clock)
    return broker


def check_fills(fills, broker, rules, clock, held_at_open):
    sold_today: dict[str, float] = {}
    for fill in fills:
        rule = rules[fill.symbol]
        bar = clock.bar(fill.symbol)
        assert bar is not None and bar.volume != 0, "filled without a bar"
        for fee in (fill.commission, fill.stamp_duty, fill.transfer_fee):
            assert fee >= 0
        assert fill.commission >= rule.commission_min_cny - 1e-9
        if fill.is_buy:
            assert fill.price >= fill.reference_price - 1e-12, "slippage in the buyer's favour"
            assert fill.quantity % rule.lot == 0
        else:
            assert fill.price <= fill.reference_price + 1e-12, "slippage in the seller's favour"
            sold_today[fill.symbol] = sold_today.get(fill.symbol, 0.0) + fill.quantity
        assert bar.low - 1e-9 <= fill.price <= bar.high + 1e-9, "fill outside low..high"
        rate = rule.limit_rate(fill.date)
        if rate > 0 and not math.isnan(bar.prev_close):
            dividend, split = clock.corporate_action(fill.symbol)
            up, down = limits((bar.prev_close - dividend) / split, rate, rule.tick)
            assert down - 1e-9 <= fill.price <= up + 1e-9, "fill beyond the day's limits"
            if fill.is_buy:
                assert fill.price < up - 1e-9 or bar.close < up - 1e-9, \
                    "bought at the limit-up of a bar that closed sealed"
            else:
                assert fill.price > down + 1e-9 or bar.close > down + 1e-9, \
                    "sold at the limit-down of a bar that closed sealed"
    for symbol, sold in sold_today.items():
        if rules[symbol].t_plus:
            # T+1: only shares held before today's session may be sold today
            assert sold <= held_at_open[symbol] + 1e-9, "sold shares bought today"
        held_after = broker.account.quantity(symbol)
        odd = sold % rules[symbol].lot
        assert odd == 0 or held_after == 0, "odd-lot sale that did not close the position"


def check_account(broker, initial, clock):
    account = broker.account
    assert account.cash >= 0, "negative cash"
    holdings = sum(p.quantity * clock.last_close(s) for s, p in account.positions.items())
    assert broker.equity() == pytest.approx(account.cash + holdings, abs=TOLERANCE)
    replay_cash = initial
    replay_units: dict[str, float] = {}
    for fill in broker.fills:
        sign = -1 if fill.is_buy else 1
        replay_cash += sign * fill.value - fill.commission - fill.stamp_duty - fill.transfer_fee
        replay_units[fill.symbol] = replay_units.get(fill.symbol, 0.0) - sign * fill.quantity
    assert account.cash == pytest.approx(replay_cash, abs=TOLERANCE)
    for symbol in set(replay_units) | set(account.positions):
        assert account.quantity(symbol) == pytest.approx(replay_units.get(symbol, 0.0), abs=1e-9)
    for fill in broker.fills:
        assert fill.value == pytest.approx(round(fill.quantity * fill.price, 2), abs=1e-9)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(broker_settings, order_stream)
def test_broker_invariants_hold_for_random_order_streams(settings_dict, orders):
    run_stream(settings_dict, orders)


def test_the_property_harness_sees_fills_and_refusals():
    """Guard against a vacuous property: a fixed stream produces buys, sells and refusals."""
    orders = [(day, STOCK, True, 1000, 0) for day in range(0, DAYS, 2)]
    orders += [(day, STOCK, False, 1000, 0) for day in range(1, DAYS, 2)]
    broker = run_stream({"initial_cash": 1e6, "execution": "open",
                         "instruments": {STOCK: {"asset_class": "stock", "price_limit": 0.01}}},
                        orders)
    sides = {f.is_buy for f in broker.fills}
    assert len(broker.fills) > 10 and sides == {True, False}
    reasons = " ".join(r for o in broker.orders for r in o.reasons)
    assert "limit-up" in reasons or "limit-down" in reasons


def test_same_day_sale_of_a_purchase_is_refused_under_t_plus_1():
    orders = [(5, STOCK, True, 1000, 0), (5, STOCK, False, 1000, 1), (6, STOCK, False, 1000, 0)]
    broker = run_stream({"initial_cash": 1e6, "execution": "close",
                         "instruments": {STOCK: {"asset_class": "stock"}}}, orders)
    sells = [f for f in broker.fills if not f.is_buy]
    assert len(sells) == 1 and sells[0].date == MARKET.calendar[6].date()
    assert "T+1" in " ".join(broker.orders[1].reasons)
