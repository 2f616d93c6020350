"""The ledger of a run as DataFrames (orders, fills, round trips, corporate actions) with fixed
columns and dtypes: what the CSV files and the paper store hold."""

from __future__ import annotations

import pandas as pd

from huice.engine.broker.account import Trade
from huice.engine.broker.orders import CorporateAction, Fill, Order

ORDER_COLUMNS = ["order_id", "created", "symbol", "side", "kind", "quantity", "filled",
                 "status", "closed", "tag", "codes", "reason"]
FILL_COLUMNS = ["order_id", "date", "symbol", "side", "quantity", "price", "reference_price",
                "value", "commission", "stamp_duty", "transfer_fee", "fees", "slippage_cost",
                "cash_after"]
ACTION_COLUMNS = ["date", "symbol", "kind", "quantity_before", "quantity_after", "per_unit",
                  "cash", "cash_after"]
TRADE_COLUMNS = ["symbol", "opened", "closed", "quantity", "buy_value", "sell_value", "fees",
                 "dividends", "pnl", "return"]
_TEXT, _FLOAT, _INT = "object", "float64", "int64"
ORDER_DTYPES = dict(zip(ORDER_COLUMNS, [_INT, _TEXT, _TEXT, _TEXT, _TEXT, _FLOAT, _FLOAT, _TEXT,
                                        _TEXT, _TEXT, _TEXT, _TEXT]))
FILL_DTYPES = dict(zip(FILL_COLUMNS, [_INT, _TEXT, _TEXT, _TEXT] + [_FLOAT] * 10))
TRADE_DTYPES = dict(zip(TRADE_COLUMNS, [_TEXT, _TEXT, _TEXT] + [_FLOAT] * 7))


def whole_units(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Quantity ``columns`` as integers when every value is a whole number of units (A-share
    quantities always are); a fractional instrument's stay floats."""
    for column in columns:
        values = frame[column]
        if values.notna().all() and (values == values.round()).all():
            frame[column] = values.round().astype(_INT)
    return frame


def orders_frame(orders: list[Order]) -> pd.DataFrame:
    rows = [(o.order_id, o.created.isoformat(), o.symbol, o.side, o.kind.value, o.quantity,
             o.filled, o.status.value, o.closed.isoformat() if o.closed else "", o.tag,
             " ".join(code.value for code in o.codes), "; ".join(o.reasons)) for o in orders]
    return whole_units(pd.DataFrame(rows, columns=ORDER_COLUMNS).astype(ORDER_DTYPES),
                       ("quantity", "filled"))


def actions_frame(actions: list[CorporateAction]) -> pd.DataFrame:
    rows = [(a.date.isoformat(), a.symbol, a.kind, a.quantity_before, a.quantity_after,
             a.per_unit, a.cash, a.cash_after) for a in actions]
    return whole_units(pd.DataFrame(rows, columns=ACTION_COLUMNS).astype(
        dict(zip(ACTION_COLUMNS, [_TEXT, _TEXT, _TEXT] + [_FLOAT] * 5))),
        ("quantity_before", "quantity_after"))


def fills_frame(fills: list[Fill]) -> pd.DataFrame:
    rows = [(f.order_id, f.date.isoformat(), f.symbol, "buy" if f.is_buy else "sell",
             f.quantity, f.price, f.reference_price, f.value, f.commission, f.stamp_duty,
             f.transfer_fee, round(f.fees, 2), round(f.slippage_cost, 6), f.cash_after)
            for f in fills]
    return whole_units(pd.DataFrame(rows, columns=FILL_COLUMNS).astype(FILL_DTYPES),
                       ("quantity",))


def trades_frame(closed: list[Trade], still_open: list[Trade]) -> pd.DataFrame:
    rows = []
    for trade in closed + still_open:
        finished = trade.closed is not None
        rows.append((trade.symbol, trade.opened.isoformat(),
                     trade.closed.isoformat() if trade.closed is not None else "",
                     trade.bought_quantity, round(trade.buy_value, 2), round(trade.sell_value, 2),
                     round(trade.fees, 2),
                     round(trade.dividends, 2), trade.pnl if finished else float("nan"),
                     trade.pnl / trade.buy_value if finished and trade.buy_value else float("nan")))
    frame = whole_units(pd.DataFrame(rows, columns=TRADE_COLUMNS).astype(TRADE_DTYPES),
                        ("quantity",))
    return frame.sort_values(["opened", "symbol"], kind="stable").reset_index(drop=True)


def order_state(status: str, filled: float, quantity: float) -> str:
    """An order's state in words: a partly filled order says so."""
    if 0 < filled < quantity and status in ("expired", "cancelled"):
        rest = "expired" if status == "expired" else "cancelled"
        return f"partially filled ({filled:,.0f} of {quantity:,.0f}), rest {rest}"
    if 0 < filled < quantity and status == "partial":
        return f"partially filled ({filled:,.0f} of {quantity:,.0f}), rest open"
    return status
