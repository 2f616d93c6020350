"""A backtrader strategy driven by a script of orders, run on backtrader's own BackBroker and on
huice's A-share broker with the A-share rules relaxed, so that the two can be compared order by
order: fills, notifications (status and bar) and cash.

A script is a JSON list of ``[bar, action]`` pairs; ``bar`` is ``len(self)`` in ``next()``.
Actions (prices are fractions of today's close, rounded to 0.001):

- ``{"op": "order", "side": "buy"|"sell", "size": n, "type": "Market"|"Close"|"Limit"|"Stop"|
  "StopLimit"|"StopTrail"|"StopTrailLimit", "price": f, "plimit": f, "trailamount": f,
  "trailpercent": f, "valid": null|"day"|["days", n]|["bars", n]|"today"|"float0",
  "oco": k}``: an order (``oco`` is the index of an earlier order of the script);
- ``{"op": "bracket", "side": ..., "size": n, "price": f, "stopprice": f, "limitprice": f,
  "exectype": "Limit"|"Market", "valid": ...}``: ``buy_bracket``/``sell_bracket``;
- ``{"op": "cancel", "order": k}``: cancel the k-th order placed.

Sells are cut to what is held less what pending sells already cover, so that no stream goes
short (an A-share account cannot).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

import backtrader as bt
import pandas as pd

RECORDS: dict[str, dict[str, list]] = {}

_TYPES = {name: getattr(bt.Order, name) for name in
          ("Market", "Close", "Limit", "Stop", "StopLimit", "StopTrail", "StopTrailLimit")}


class ScriptedStrategy(bt.Strategy):
    """Places the orders of ``script`` and records what backtrader tells it."""

    params = (("script", "[]"), ("sink", "default"))

    def __init__(self) -> None:
        self.actions: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for bar, action in json.loads(self.p.script):
            self.actions[int(bar)].append(action)
        self.placed: list[bt.Order] = []
        self.index_of: dict[int, int] = {}
        self.children: set[int] = set()
        RECORDS[self.p.sink] = self.record = {"notifications": [], "cash": [], "position": []}

    # -- recording --------------------------------------------------------------------------
    def notify_order(self, order: bt.Order) -> None:
        index = self.index_of.get(order.ref, -1)
        self.record["notifications"].append(
            (index, order.getstatusname(), len(self), self.data.datetime.date(0).isoformat(),
             order.executed.size, round(order.executed.price or 0.0, 6)))

    def next(self) -> None:
        self.record["cash"].append(round(self.broker.getcash(), 6))
        self.record["position"].append(self.position.size)
        for action in self.actions.get(len(self), []):
            getattr(self, "_" + action["op"])(action)

    # -- actions ----------------------------------------------------------------------------
    def _price(self, fraction: float | None) -> float | None:
        return None if fraction is None else round(self.data.close[0] * fraction, 3)

    def _valid(self, spec: Any) -> Any:
        if spec is None:
            return None
        if spec == "day":
            return bt.Order.DAY
        if spec == "today":
            return self.data.datetime.date(0)
        if spec == "float0":
            return 0.0
        kind, n = spec
        if kind == "days":
            return dt.timedelta(days=n)
        # a date n calendar days ahead (it may be a weekend or a holiday)
        return self.data.datetime.date(0) + dt.timedelta(days=n)

    def _sell_room(self) -> float:
        """Units held less the remaining size of pending sells (bracket children of a pending
        parent do not count: they only exist once the parent has bought)."""
        reserved = 0.0
        for order in self.placed:
            if order.alive() and order.issell() and order.ref not in self.children:
                reserved += abs(order.executed.remsize or order.size)
            elif order.alive() and order.issell() and order.parent is not None \
                    and not order.parent.alive():
                reserved += abs(order.size)
        return self.position.size - reserved

    def _register(self, order: bt.Order | None) -> None:
        if order is not None:
            self.index_of[order.ref] = len(self.placed)
            self.placed.append(order)

    def _size(self, action: dict[str, Any]) -> float:
        """The action's size, a sale cut to the room left (0: skip it)."""
        if action["side"] == "sell":
            return max(min(action["size"], self._sell_room()), 0)
        return action["size"]

    def _order(self, action: dict[str, Any]) -> None:
        size = self._size(action)
        if not size:
            return
        oco = action.get("oco")
        oco_order = self.placed[oco] if oco is not None and oco < len(self.placed) else None
        kwargs = dict(size=size, exectype=_TYPES[action["type"]],
                      price=self._price(action.get("price")),
                      plimit=self._price(action.get("plimit")),
                      valid=self._valid(action.get("valid")), oco=oco_order)
        if action.get("trailamount"):
            kwargs["trailamount"] = action["trailamount"]
        if action.get("trailpercent"):
            kwargs["trailpercent"] = action["trailpercent"]
        place = self.buy if action["side"] == "buy" else self.sell
        self._register(place(**kwargs))

    def _bracket(self, action: dict[str, Any]) -> None:
        size = self._size(action)
        if not size:
            return
        place = self.buy_bracket if action["side"] == "buy" else self.sell_bracket
        orders = place(size=size, price=self._price(action.get("price")),
                       stopprice=self._price(action["stopprice"]),
                       limitprice=self._price(action["limitprice"]),
                       exectype=_TYPES[action.get("exectype", "Limit")],
                       valid=self._valid(action.get("valid")))
        for position, order in enumerate(orders):
            self._register(order)
            if position and order is not None:
                self.children.add(order.ref)

    def _cancel(self, action: dict[str, Any]) -> None:
        if action["order"] < len(self.placed):
            self.cancel(self.placed[action["order"]])


RELAXED_BROKER: dict[str, Any] = {
    "costs": "none", "order_validity": "gtc",
    "instruments": {"159915.SZ": {"t_plus": 0, "lot": 1, "price_limit": 0, "tick": 0.000001}},
}
SYMBOL = "159915.SZ"


def run_backbroker(bars: pd.DataFrame, script: list, cash: float = 1_000_000.0) -> dict:
    """The script on backtrader's own broker, on ``bars`` (open, high, low, close, volume)."""
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=bars[["open", "high", "low", "close",
                                                        "volume"]]), name=SYMBOL)
    cerebro.broker.setcash(cash)
    cerebro.addstrategy(ScriptedStrategy, script=json.dumps(script), sink="backbroker")
    cerebro.run()
    return RECORDS["backbroker"]


def run_huice(start: str, end: str, script: list, cash: float = 1_000_000.0) -> tuple[dict, Any]:
    """The same script under huice's broker (Cerebro runner), A-share rules relaxed."""
    import huice

    config = {"name": "differential", "data": {"start": start, "end": end, "benchmark": None},
              "strategy": {"name": "x", "instruments": [SYMBOL]},
              "broker": {**RELAXED_BROKER, "initial_cash": cash}}
    result = huice.backtest(config, strategy=ScriptedStrategy,
                            params={"script": json.dumps(script), "sink": "huice"})
    return RECORDS["huice"], result
