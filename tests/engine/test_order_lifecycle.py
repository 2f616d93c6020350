"""The edges where orders used to give silent wrong numbers (issue 18), each on real bars under
the A-share rules, with the figures worked out by hand from the bars quoted beside them."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import backtrader as bt
import pandas as pd
import pytest

import huice
from huice.config.schema import BrokerConfig
from huice.engine.broker.orders import Order
from huice.engine.broker.placement import round_lots
from huice.engine.broker.refusals import Code
from huice.engine.broker.rules import resolve_rules
from huice.engine.run.assembly import run_backtest
from huice.strategies.replay import ReplayOrders
from tests.conftest import DATA
from tests.helpers.configs import make_config
from tests.helpers.days import iso

ETF = "510300.SH"


def replay(tmp_path, rows, broker=None, end="2019-06-21"):
    """The orders replay from the first row's date to ``end``."""
    path = tmp_path / "orders.csv"
    path.write_text("date,symbol,side,quantity,limit,stop,valid\n" + "\n".join(rows) + "\n")
    params = {"path": str(path)}
    start = (dt.date.fromisoformat(rows[0][:10]) - dt.timedelta(days=7)).isoformat()
    config = make_config("orders", params, start=start, end=end, broker=broker or {},
                         benchmark=None)
    return run_backtest(config, ReplayOrders.from_params(params))


# -- prices on the tick ------------------------------------------------------------------------
def test_limit_prices_are_moved_onto_the_tick_never_more_generous(tmp_path):
    # 510300.SH 2015-03-03: open 3.563, low 3.485. A buy limit of 3.515260 is a buy limit of
    # 3.515 on the exchange's 0.001 tick: filled at 3.515, not at 3.51526
    bought = replay(tmp_path, [f"2015-03-02,{ETF},buy,1000,3.515260,,"], end="2015-03-06")
    fill, order = bought.fills.iloc[0], bought.orders.iloc[0]
    assert (iso(fill["date"]), fill["price"], fill["value"]) == ("2015-03-03", 3.515, 3515.0)
    assert order["codes"] == "tick_rounded"
    assert "limit 3.51526 is not on the tick 0.001; buy limit rounded down to 3.515" \
        in order["reason"]
    # 2020-11-09: open 4.980, high 5.074. A sell limit of 5.070450 rounds up to 5.071
    sold = replay(tmp_path, [f"2020-11-05,{ETF},buy,1000,,,",
                             f"2020-11-06,{ETF},sell,1000,5.070450,,"], end="2020-11-13")
    sale = sold.fills.iloc[1]
    assert (iso(sale["date"]), sale["price"], sale["value"]) == ("2020-11-09", 5.071, 5071.0)


def test_stops_round_so_that_they_never_trigger_earlier(tmp_path):
    # a buy stop of 3.5721 becomes 3.573 (up); 2015-03-02 high 3.598 reaches it above the
    # open 3.583: filled at the open, which is already through the stop
    result = replay(tmp_path, [f"2015-02-27,{ETF},buy,1000,,3.5721,"], end="2015-03-06")
    order = result.orders.iloc[0]
    assert "buy stop rounded up to 3.573" in order["reason"]
    assert result.fills.iloc[0]["price"] == 3.583


# -- validity ----------------------------------------------------------------------------------
# 510300.SH lows: 01-12 5.492, 01-13 5.610, 01-14 5.538, 01-15 5.460, (weekend), 01-18 5.415
def test_validity_ending_on_a_saturday_ends_with_the_friday(tmp_path):
    result = replay(tmp_path, [f"2021-01-11,{ETF},buy,1000,5.45,,2021-01-16"], end="2021-01-22")
    order = result.orders.iloc[0]
    assert result.fills.empty  # never the Monday 2021-01-18, whose low reaches 5.45
    assert (order["status"], iso(order["closed"])) == ("expired", "2021-01-15")


def test_validity_before_the_first_trading_day_is_refused_when_placed(tmp_path):
    # placed 2021-01-15 (a Friday) valid through Saturday: its first trading day is Monday
    result = replay(tmp_path, [f"2021-01-15,{ETF},buy,1000,5.45,,2021-01-16"], end="2021-01-22")
    order = result.orders.iloc[0]
    assert result.fills.empty and (order["status"], order["codes"]) == ("rejected", "validity")
    assert "ends before its first trading day 2021-01-18" in order["reason"]


class ValidUntil(bt.Strategy):
    """Places one limit buy on 2021-01-11 with the given validity; records notifications."""

    params = (("valid", ""), ("limit", 5.45), ("placed", "2021-01-11"))
    seen: ClassVar[list] = []

    def notify_order(self, order):
        ValidUntil.seen.append((order.getstatusname(), self.data.datetime.date(0).isoformat(),
                                len(self)))

    def next(self):
        if self.data.datetime.date(0) == dt.date.fromisoformat(self.p.placed):
            valid = {"saturday": dt.date(2021, 1, 16), "today": dt.date(2021, 1, 11),
                     "one_day": dt.timedelta(days=1), "none": None}[self.p.valid]
            self.buy(size=1000, exectype=bt.Order.Limit, price=self.p.limit, valid=valid)


def _run_valid(valid: str, placed: str = "2021-01-11"):
    ValidUntil.seen = []
    config = {"name": "valid", "data": {"start": "2021-01-04", "end": "2021-01-22",
                                        "benchmark": None},
              "strategy": {"name": "x", "instruments": [ETF]}}
    result = huice.backtest(config, strategy=ValidUntil, params={"valid": valid,
                                                                 "placed": placed})
    return result, list(ValidUntil.seen)


def test_backtrader_one_day_from_a_friday_never_reaches_monday():
    # placed Friday 2021-01-15 with timedelta(days=1): valid through Saturday 00:00, so the
    # Monday whose low 5.415 reaches the limit is past it
    result, seen = _run_valid("one_day", placed="2021-01-15")
    assert result.fills.empty
    assert [s[0] for s in seen] == ["Submitted", "Accepted", "Expired"]
    assert seen[-1][1] == "2021-01-18"


@pytest.mark.parametrize("valid,expired_on", [
    ("saturday", "2021-01-18"),   # expires at the first bar past Saturday, before it is tried
    ("today", "2021-01-12"),      # a date that is today: over before the next bar
    # timedelta(days=1) from Monday's bar (stamped at midnight, as pandas feeds are): through
    # Tuesday 00:00, which is Tuesday's bar; over before Wednesday is tried
    ("one_day", "2021-01-13"),
])
def test_backtrader_validity_and_the_bar_it_expires_on(valid, expired_on):
    result, seen = _run_valid(valid)
    assert result.fills.empty
    assert [s[0] for s in seen] == ["Submitted", "Accepted", "Expired"]
    assert seen[-1][1] == expired_on


def test_backtrader_valid_none_is_good_till_cancelled():
    result, seen = _run_valid("none")
    assert [s[0] for s in seen] == ["Submitted", "Accepted", "Completed"]
    assert iso(result.fills.iloc[0]["date"]) == "2021-01-18"  # the Monday low 5.415 reaches 5.45


# -- selling what is not held ------------------------------------------------------------------
def test_a_sell_beyond_what_is_held_is_refused_when_placed(tmp_path):
    # 500 units of 510500.SH bought at the 2015-04-16 open; a gtc sale of 9,900 placed that day
    # is refused at once, and never sells a later purchase (2022-08-29 bought, then held)
    rows = ["2015-04-15,510500.SH,buy,500,,,", "2015-04-16,510500.SH,sell,9900,,,gtc",
            "2022-08-25,510500.SH,buy,1000,,,"]
    result = replay(tmp_path, rows, end="2022-09-02")
    sale = result.orders.iloc[1]
    assert (sale["status"], sale["codes"], sale["filled"]) == ("rejected", "over_sellable", 0)
    assert "a sell of 9900 510500.SH exceeds the 500 sellable (500 held)" in sale["reason"]
    assert (result.fills["side"] == "sell").sum() == 0


def test_pending_sells_count_against_what_is_sellable(tmp_path):
    rows = ["2019-06-17,510300.SH,buy,1000,,,", "2019-06-18,510300.SH,sell,600,4.50,,gtc",
            "2019-06-18,510300.SH,sell,600,,,"]
    result = replay(tmp_path, rows, end="2019-06-21")
    second = result.orders.iloc[2]
    assert second["status"] == "rejected" and second["codes"] == "over_sellable"
    assert "(1000 held, 600 in pending sells)" in second["reason"]


# -- stop-limit through its stop at the open ---------------------------------------------------
def test_sell_stop_limit_gapping_through_its_stop_fills_at_the_limit_that_bar(tmp_path):
    # 2019-06-19: open 3.772, high 3.807. A sell stop 3.78 limit 3.79: the open is through the
    # stop, so the whole bar is a limit sell at 3.79, and the high 3.807 trades it
    rows = [f"2019-06-17,{ETF},buy,1000,,,", f"2019-06-18,{ETF},sell,1000,3.79,3.78,"]
    result = replay(tmp_path, rows, end="2019-06-21")
    sale = result.fills.iloc[1]
    assert (iso(sale["date"]), sale["price"]) == ("2019-06-19", 3.79)


# -- lots by rule --------------------------------------------------------------------------------
def test_star_board_lots_are_one_rule_in_one_place(tmp_path):
    broker = BrokerConfig.model_validate({})
    star = resolve_rules("688981.SH", "stock", "star", broker)
    main = resolve_rules("600000.SH", "stock", "main", broker)
    assert (star.whole_lots(250), star.whole_lots(199), star.whole_lots(200)) == (250, 0, 200)
    assert (main.whole_lots(250), main.whole_lots(99)) == (200, 0)
    order = Order(1, dt.date(2024, 1, 2), "688981.SH", True, 150.0, 0)
    round_lots(order, star, held=0.0)
    assert order.quantity == 0 and order.codes == [Code.ZERO_LOT]
    assert order.reasons == ["zero lot: 150 rounds to 0 (at least 200, then steps of 1)"]
    # the same rule end to end, with 510300.SH's bars traded as a STAR stock
    broker_yaml = {"instruments": {ETF: {"asset_class": "stock", "board": "star"}}}
    result = replay(tmp_path, [f"2019-06-17,{ETF},buy,250,,,", f"2019-06-17,{ETF},buy,150,,,"],
                    broker=broker_yaml)
    assert result.fills["quantity"].tolist() == [250.0]
    assert result.orders["status"].tolist() == ["filled", "rejected"]


# -- backtrader's contingent orders under the A-share rules -------------------------------------
class Protected(bt.Strategy):
    """A buy bracket, a trailing stop, a close order and an unsupported order type."""

    seen: ClassVar[list] = []

    def notify_order(self, order):
        Protected.seen.append((order.ref, order.getordername(), order.getstatusname(),
                               self.data.datetime.date(0).isoformat()))

    def next(self):
        if len(self) == 1:
            self.bracket = self.buy_bracket(size=1000, exectype=bt.Order.Market,
                                            stopprice=self.data.close[0] * 0.95,
                                            limitprice=self.data.close[0] * 1.03)
        elif len(self) == 2:
            self.buy(size=500, exectype=bt.Order.Close)
            self.buy(size=100, exectype=bt.Order.Historical, price=1.0)
            self.buy(size=100, exectype=bt.Order.StopLimit, price=5.0)  # no plimit
        elif len(self) == 3:
            self.sell(size=500, exectype=bt.Order.StopTrail, trailpercent=0.02)


def test_brackets_trailing_stops_and_close_orders_under_a_share_rules():
    Protected.seen = []
    config = {"name": "protected", "data": {"start": "2019-06-14", "end": "2019-08-30",
                                            "benchmark": None},
              "strategy": {"name": "x", "instruments": [ETF]}}
    result = huice.backtest(config, strategy=Protected)
    orders = result.orders.set_index("order_id")
    # the bracket: the parent bought; then exactly one child filled and the other was cancelled
    assert orders.loc[1, "status"] == "filled"
    children = orders.loc[[2, 3], "status"].tolist()
    assert sorted(children) == ["cancelled", "filled"]
    assert any("bracket" in codes for codes in orders.loc[[2, 3], "codes"])
    # the close order filled at a close, the trailing stop filled, the Historical order was
    # rejected and is listed with its reason
    fills = result.fills.set_index("order_id")
    bars = pd.read_csv(DATA / f"bars/{ETF}.csv.gz", index_col="date", parse_dates=["date"])
    created = orders.loc[4, "created"]
    next_day = bars.index[bars.index.get_loc(created) + 1]
    assert (fills.loc[4, "date"], fills.loc[4, "price"]) == (next_day, bars.loc[next_day, "close"])
    assert orders.loc[5, "status"] == "rejected" and orders.loc[5, "codes"] == "invalid"
    assert "exectype Historical is not supported" in orders.loc[5, "reason"]
    assert orders.loc[6, "status"] == "rejected" and "needs plimit" in orders.loc[6, "reason"]
    assert orders.loc[7, "kind"] == "stop_trail" and orders.loc[7, "status"] == "filled"


def test_every_order_reaches_orders_csv(tmp_path):
    Protected.seen = []
    config = {"name": "protected", "data": {"start": "2019-06-14", "end": "2019-08-30",
                                            "benchmark": None},
              "strategy": {"name": "x", "instruments": [ETF]}}
    result = huice.backtest(config, strategy=Protected)
    # seven orders placed, seven in orders.csv; backtrader notifies six (a Historical order is
    # notified only with histnotify, in backtrader too), the rejected ones among them
    assert len(result.orders) == 7
    statuses = {ref: status for ref, _, status, _ in Protected.seen}
    assert len(statuses) == 6 and list(statuses.values()).count("Rejected") == 1


class MirrorPlugin:
    """The orders of :class:`Protected`, placed by a huice plugin through ``ctx``."""

    name = description = "mirror"
    diagnostic_chart = None

    def symbols(self):
        return [ETF]

    traded_symbols = symbols

    def prepare(self, market):
        pass

    def on_bar(self, ctx):
        close = ctx.price(ETF)
        if ctx.bar_index == 0:
            ctx.buy_bracket(ETF, 1000, stop_loss=close * 0.95, take_profit=close * 1.03,
                            valid="gtc")
        elif ctx.bar_index == 1:
            ctx.buy(ETF, 500, at_close=True, valid="gtc")
        elif ctx.bar_index == 2:
            ctx.sell(ETF, 500, trail_percent=0.02, valid="gtc")

    def report_notes(self):
        return []

    def resolved_params(self):
        return {}

    def get_state(self):
        return {}

    def set_state(self, state):
        pass


def test_plugins_have_the_same_contingent_orders_through_ctx():
    """The same bracket, close order and trailing stop from a plugin and from a backtrader
    strategy give the same fills under the A-share rules."""
    Protected.seen = []
    data = {"start": "2019-06-14", "end": "2019-08-30", "benchmark": None}
    native = huice.backtest({"name": "bt", "data": data,
                             "strategy": {"name": "x", "instruments": [ETF]}},
                            strategy=Protected)
    plugin = run_backtest(make_config("orders", {}, start=data["start"], end=data["end"],
                                      benchmark=None), MirrorPlugin())
    columns = ["date", "side", "quantity", "price", "value", "commission", "cash_after"]
    assert len(plugin.fills) == 4
    assert plugin.fills[columns].equals(native.fills[columns])
    assert plugin.orders["kind"].tolist() == ["market", "stop", "limit", "close", "stop_trail"]
