"""The ledger of a run as DataFrames (orders, fills, round trips, corporate actions) with fixed
columns and dtypes: what the CSV files and the paper store hold."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from huice.engine.broker.account import Trade
from huice.engine.broker.orders import CorporateAction, Fill, Order

ORDER_COLUMNS = ["order_id", "created", "symbol", "side", "kind", "quantity", "filled",
                 "status", "closed", "tag", "codes", "reason"]
FILL_COLUMNS = ["order_id", "date", "symbol", "side", "quantity", "price", "reference_price",
                "value", "commission", "stamp_duty", "transfer_fee", "dividend_tax", "fees",
                "slippage_cost", "cash_after"]
ACTION_COLUMNS = ["date", "symbol", "kind", "quantity_before", "quantity_after", "per_unit",
                  "cash", "cash_after"]
TRADE_COLUMNS = ["symbol", "opened", "closed", "quantity", "buy_value", "sell_value", "fees",
                 "dividends", "pnl", "return"]
_TEXT, _FLOAT, _INT = "object", "float64", "int64"
Row = tuple[Any, ...]  # one row of a ledger table, as the paper store keeps it
ORDER_DTYPES = dict(zip(ORDER_COLUMNS, [_INT, _TEXT, _TEXT, _TEXT, _TEXT, _FLOAT, _FLOAT, _TEXT,
                                        _TEXT, _TEXT, _TEXT, _TEXT]))
FILL_DTYPES = dict(zip(FILL_COLUMNS, [_INT, _TEXT, _TEXT, _TEXT] + [_FLOAT] * 11))
TRADE_DTYPES = dict(zip(TRADE_COLUMNS, [_TEXT, _TEXT, _TEXT] + [_FLOAT] * 7))


def whole_units(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Quantity ``columns`` as integers when every value is a whole number of units (A-share
    quantities always are); a fractional instrument's stay floats."""
    for column in columns:
        values = frame[column]
        if values.dtype == _INT:
            continue
        if values.notna().all() and (values == values.round()).all():
            frame[column] = values.round().astype(_INT)
    return frame


def _units(quantity: float) -> int | float:
    """A quantity as the store keeps it: an integer when it is a whole number of units."""
    return int(quantity) if float(quantity).is_integer() else float(quantity)


def _order_row(o: Order) -> Row:
    return (o.order_id, o.created.isoformat(), o.symbol, o.side, o.kind.value, float(o.quantity),
            float(o.filled), o.status.value, o.closed.isoformat() if o.closed else "", o.tag,
            " ".join(code.value for code in o.codes), "; ".join(o.reasons))


def _action_row(a: CorporateAction) -> Row:
    return (a.date.isoformat(), a.symbol, a.kind, float(a.quantity_before),
            float(a.quantity_after), float(a.per_unit), float(a.cash), float(a.cash_after))


def _fill_row(f: Fill) -> Row:
    return (f.order_id, f.date.isoformat(), f.symbol, "buy" if f.is_buy else "sell",
            float(f.quantity), float(f.price), float(f.reference_price), float(f.value),
            float(f.commission), float(f.stamp_duty), float(f.transfer_fee),
            float(f.dividend_tax), round(f.fees, 2), round(f.slippage_cost, 6),
            float(f.cash_after))


def _trade_row(trade: Trade) -> Row:
    finished = trade.closed is not None
    return (trade.symbol, trade.opened.isoformat(),
            trade.closed.isoformat() if trade.closed is not None else "",
            float(trade.bought_quantity), round(trade.buy_value, 2), round(trade.sell_value, 2),
            round(trade.fees, 2), round(trade.dividends, 2),
            float(trade.pnl) if finished else float("nan"),
            trade.pnl / trade.buy_value if finished and trade.buy_value else float("nan"))


def order_rows(orders: list[Order]) -> list[Row]:
    """``orders`` as the paper store's rows (ORDER_COLUMNS), without building a DataFrame: the
    values ``orders_frame`` holds, whole quantities as integers."""
    return [row[:5] + (_units(row[5]), _units(row[6])) + row[7:] for row in map(_order_row, orders)]


def action_rows(actions: list[CorporateAction]) -> list[Row]:
    """``actions`` as the paper store's rows (ACTION_COLUMNS)."""
    return [row[:3] + (_units(row[3]), _units(row[4])) + row[5:]
            for row in map(_action_row, actions)]


def fill_rows(fills: list[Fill]) -> list[Row]:
    """``fills`` as the paper store's rows (FILL_COLUMNS)."""
    return [row[:4] + (_units(row[4]),) + row[5:] for row in map(_fill_row, fills)]


def trade_rows(closed: list[Trade]) -> list[Row]:
    """Closed round trips as the paper store's rows (TRADE_COLUMNS), in the order
    ``trades_frame`` sorts them."""
    rows = [row[:3] + (_units(row[3]),) + row[4:] for row in map(_trade_row, closed)]
    return sorted(rows, key=lambda row: (row[1], row[0]))


def typed_frame(rows: list[Row], columns: list[str], dtypes: dict[str, str],
                quantities: tuple[str, ...] = ()) -> pd.DataFrame:
    """``rows`` as a frame of ``columns`` with ``dtypes``, the ``quantities`` columns as
    integers when every value is a whole number (:func:`whole_units`), built column by column
    (what ``DataFrame(rows).astype(dtypes)`` then ``whole_units`` give, several times
    faster on a ledger's few hundred rows; tests/engine/test_ledger_frames.py)."""
    values = list(zip(*rows)) if rows else [() for _ in columns]
    data: dict[str, Any] = {}
    for name, column in zip(columns, values):
        dtype = dtypes[name]
        if dtype == _TEXT:
            data[name] = pd.Series(column, dtype=object)
            continue
        array = np.array(column, dtype=dtype)
        if name in quantities and not np.isnan(array).any() and (array == np.round(array)).all():
            array = np.round(array).astype(_INT)
        data[name] = array
    return pd.DataFrame(data, columns=columns)


ACTION_DTYPES = dict(zip(ACTION_COLUMNS, [_TEXT, _TEXT, _TEXT] + [_FLOAT] * 5))


def orders_frame(orders: list[Order]) -> pd.DataFrame:
    return typed_frame(list(map(_order_row, orders)), ORDER_COLUMNS, ORDER_DTYPES,
                       ("quantity", "filled"))


def actions_frame(actions: list[CorporateAction]) -> pd.DataFrame:
    return typed_frame(list(map(_action_row, actions)), ACTION_COLUMNS, ACTION_DTYPES,
                       ("quantity_before", "quantity_after"))


def fills_frame(fills: list[Fill]) -> pd.DataFrame:
    return typed_frame(list(map(_fill_row, fills)), FILL_COLUMNS, FILL_DTYPES, ("quantity",))


def trades_frame(closed: list[Trade], still_open: list[Trade]) -> pd.DataFrame:
    # sorted by (opened, symbol), stable, as the frame's stable sort on those columns sorts
    rows = sorted(map(_trade_row, closed + still_open), key=lambda row: (row[1], row[0]))
    return typed_frame(rows, TRADE_COLUMNS, TRADE_DTYPES, ("quantity",))


def order_state(status: str, filled: float, quantity: float) -> str:
    """An order's state in words: a partly filled order says so."""
    if 0 < filled < quantity and status in ("expired", "cancelled"):
        rest = "expired" if status == "expired" else "cancelled"
        return f"partially filled ({filled:,.0f} of {quantity:,.0f}), rest {rest}"
    if 0 < filled < quantity and status == "partial":
        return f"partially filled ({filled:,.0f} of {quantity:,.0f}), rest open"
    return status
