"""The strategies of the paper-parity corpus (tests/integration/test_paper_parity.py): a huice
plugin and a backtrader strategy driven by scripts of orders, and the issue's three scenarios
(a backtrader limit entry with a trailing stop placed when it fills; plugin limit entries valid
until a date with daily trailing stops). Each records its own view of the account on every bar:
the plugin through ``ctx.record`` (signals), the backtrader strategy as JSON lines appended to
the file named by its ``view`` parameter (relative to the working folder), one line per
``next()`` and per notification, so that the view it had on each newly booked day can be read
back step by step."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import backtrader as bt

from huice.strategies.base import Strategy, StrategyParams

# -- a scripted huice plugin ----------------------------------------------------------------


class ScriptParams(StrategyParams):
    symbols: list[str]
    script: str = "[]"  # JSON list of [bar_index, action]


class ScriptedPlugin(Strategy):
    """Places the orders of ``script`` (``bar`` is ``ctx.bar_index``); prices are fractions of
    today's close rounded to 0.001. Actions: ``{"op": "buy"|"sell", "symbol": s, "qty": n,
    "limit": f, "stop": f, "trail_amount": a, "trail_percent": p, "at_close": true,
    "valid": "day"|"gtc"|["days", n], "oco": k}``; ``{"op": "bracket", "symbol", "side",
    "qty", "stop_loss": f, "take_profit": f, "limit": f, "valid": ...}``; ``{"op": "cancel",
    "order": k}`` (k: the k-th order placed by the script); ``{"op": "target", "weights":
    {...}}``."""

    Params = ScriptParams

    def __init__(self, params: StrategyParams | None = None) -> None:
        super().__init__(params)
        self.actions: dict[int, list[dict[str, Any]]] = {}
        for bar, action in json.loads(self.params.script):
            self.actions.setdefault(int(bar), []).append(action)
        self.placed: list[int] = []  # order ids, in the script's order

    def symbols(self) -> list[str]:
        return list(self.params.symbols)

    def get_state(self) -> dict[str, Any]:
        return {"placed": self.placed}

    def set_state(self, state: dict[str, Any]) -> None:
        self.placed = list(state.get("placed", []))

    def _price(self, ctx: Any, symbol: str, fraction: float | None) -> float | None:
        return None if fraction is None else round(ctx.price(symbol) * fraction, 3)

    @staticmethod
    def _valid(ctx: Any, spec: Any) -> Any:
        if isinstance(spec, list):
            return ctx.today + dt.timedelta(days=int(spec[1]))
        return spec

    def _order_by_id(self, ctx: Any, index: int) -> Any:
        if index >= len(self.placed):
            return None
        wanted = self.placed[index]
        return next((o for o in ctx.pending_orders() if o.order_id == wanted), None)

    def on_bar(self, ctx: Any) -> None:
        for action in self.actions.get(ctx.bar_index, []):
            getattr(self, "_" + action["op"])(ctx, action)
        pending = ctx.pending_orders()
        ctx.record(cash=ctx.cash, pending=len(pending),
                   **{f"held_{s[:6]}": ctx.position(s) for s in self.params.symbols},
                   **{f"stop_{o.order_id}": o.stop_price for o in pending
                      if o.stop_price is not None})

    def _buy(self, ctx: Any, action: dict[str, Any], is_buy: bool = True) -> None:
        symbol = action["symbol"]
        if not ctx.has_bar(symbol):
            return
        oco = action.get("oco")
        place = ctx.buy if is_buy else ctx.sell
        order = place(symbol, action["qty"], action.get("tag", ""),
                      limit=self._price(ctx, symbol, action.get("limit")),
                      stop=self._price(ctx, symbol, action.get("stop")),
                      valid=self._valid(ctx, action.get("valid")),
                      trail_amount=action.get("trail_amount"),
                      trail_percent=action.get("trail_percent"),
                      at_close=action.get("at_close", False),
                      oco=self._order_by_id(ctx, oco) if oco is not None else None)
        if order is not None:
            self.placed.append(order.order_id)

    def _sell(self, ctx: Any, action: dict[str, Any]) -> None:
        self._buy(ctx, action, is_buy=False)

    def _bracket(self, ctx: Any, action: dict[str, Any]) -> None:
        symbol = action["symbol"]
        if not ctx.has_bar(symbol):
            return
        place = ctx.buy_bracket if action["side"] == "buy" else ctx.sell_bracket
        orders = place(symbol, action["qty"],
                       stop_loss=self._price(ctx, symbol, action["stop_loss"]),
                       take_profit=self._price(ctx, symbol, action["take_profit"]),
                       limit=self._price(ctx, symbol, action.get("limit")),
                       valid=self._valid(ctx, action.get("valid")))
        self.placed.extend(o.order_id for o in orders or [])

    def _cancel(self, ctx: Any, action: dict[str, Any]) -> None:
        order = self._order_by_id(ctx, action["order"])
        if order is not None:
            ctx.cancel(order)

    def _target(self, ctx: Any, action: dict[str, Any]) -> None:
        ctx.order_target_weights(action["weights"])


# -- the plugin scenario ---------------------------------------------------------------


class DatedParams(StrategyParams):
    symbol: str = "159915.SZ"
    quantity: int = 20000
    days: int = 6
    trail_percent: float = 0.03
    start: dt.date = dt.date(2021, 8, 2)


class DatedEntriesDailyTrail(Strategy):
    """From ``start``: when flat with nothing pending, a limit buy 1% under the close valid
    ``days`` calendar days; when holding, a trailing stop sell placed again every day (valid
    for the day)."""

    Params = DatedParams

    def symbols(self) -> list[str]:
        return [self.params.symbol]

    def on_bar(self, ctx: Any) -> None:
        symbol = self.params.symbol
        held = ctx.position(symbol)
        pending = ctx.pending_orders(symbol)
        ctx.record(held=held, pending=len(pending), cash=ctx.cash)
        if not ctx.has_bar(symbol) or ctx.today < self.params.start:
            return
        if held == 0 and not pending:
            ctx.buy(symbol, self.params.quantity, limit=round(ctx.price(symbol) * 0.99, 3),
                    valid=ctx.today + dt.timedelta(days=self.params.days))
        elif held > 0 and not any(not o.is_buy for o in pending):
            ctx.sell(symbol, held, trail_percent=self.params.trail_percent, valid="day")


# -- backtrader strategies ------------------------------------------------------------------


class ViewRecorder(bt.Strategy):
    """Appends what the strategy sees to ``view`` (JSON lines): each bar's date, position size
    and price, cash and value, and each notification (order ref in placement order, status,
    executed size and price)."""

    params = (("view", "view.jsonl"),)

    def start(self) -> None:
        self._placed: dict[int, int] = {}

    def _write(self, row: dict[str, Any]) -> None:
        with Path(self.p.view).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")

    def keep(self, order: bt.Order | None) -> bt.Order | None:
        if order is not None:
            self._placed.setdefault(order.ref, len(self._placed))
        return order

    def see_bar(self) -> None:
        self._write({"date": self.data.datetime.date(0).isoformat(), "kind": "bar",
                     "size": self.position.size, "price": round(self.position.price, 6),
                     "cash": round(self.broker.getcash(), 2),
                     "value": round(self.broker.getvalue(), 2)})

    def notify_order(self, order: bt.Order) -> None:
        self._write({"date": self.data.datetime.date(0).isoformat(), "kind": "order",
                     "order": self._placed.get(order.ref, -1), "status": order.getstatusname(),
                     "size": order.executed.size, "price": round(order.executed.price or 0, 6)})


class TrailAfterEntry(ViewRecorder):
    """The issue's backtrader case: from ``start``, when flat, a limit buy 0.5% under the close
    valid three calendar days; when it fills, a trailing stop (``trail`` percent) for what it
    bought, placed in ``notify_order``."""

    params = (("size", 30000), ("trail", 0.03), ("start", "2021-08-02"))

    def start(self) -> None:
        super().start()
        self.entry: bt.Order | None = None
        self.exit: bt.Order | None = None

    def next(self) -> None:
        self.see_bar()
        if self.data.datetime.date(0) < dt.date.fromisoformat(self.p.start):
            return
        if self.position.size == 0 and self.entry is None and self.exit is None:
            self.entry = self.keep(self.buy(exectype=bt.Order.Limit, size=self.p.size,
                                            price=round(self.data.close[0] * 0.995, 3),
                                            valid=dt.timedelta(days=3)))

    def notify_order(self, order: bt.Order) -> None:
        super().notify_order(order)
        if order.status in (order.Submitted, order.Accepted):
            return
        if self.entry is not None and order.ref == self.entry.ref:
            if order.status == order.Completed:
                self.exit = self.keep(self.sell(exectype=bt.Order.StopTrail,
                                                trailpercent=self.p.trail,
                                                size=order.executed.size))
            if not order.alive():
                self.entry = None
        elif self.exit is not None and order.ref == self.exit.ref and not order.alive():
            self.exit = None


class ScriptedView(ViewRecorder):
    """tests/helpers/scripted_bt.py's script language, recording its view to ``view``."""

    params = (("script", "[]"),)

    def start(self) -> None:
        super().start()
        from tests.helpers.scripted_bt import ScriptedStrategy

        self._script = ScriptedStrategy  # the actions, borrowed unbound
        self.actions: dict[int, list[dict[str, Any]]] = {}
        for bar, action in json.loads(self.p.script):
            self.actions.setdefault(int(bar), []).append(action)
        self.placed: list[bt.Order] = []
        self.index_of: dict[int, int] = {}
        self.children: set[int] = set()

    def _register(self, order: bt.Order | None) -> None:
        if order is not None:
            self.index_of[order.ref] = len(self.placed)
            self.placed.append(order)
            self.keep(order)

    def next(self) -> None:
        self.see_bar()
        for action in self.actions.get(len(self), []):
            getattr(self._script, "_" + action["op"])(self, action)

    def _price(self, fraction: float | None) -> float | None:
        return self._script._price(self, fraction)

    def _valid(self, spec: Any) -> Any:
        return self._script._valid(self, spec)

    def _sell_room(self) -> float:
        return self._script._sell_room(self)

    def _size(self, action: dict[str, Any]) -> float:
        return self._script._size(self, action)
