"""Following the broker: after a reconciliation, the paper account's positions and cash become
the broker's (``paper-reconcile --follow``; docs/paper-trading.md, "Reconciliation").

Each reconciled group moves the booked broker state by what the broker did differently:

- a buy filled for ``real`` units instead of ``paper``: the position changes by the difference,
  its cost (average costing, fees included) by the difference in money paid, and cash by the
  opposite; units bought on the last booked day stay unsellable until the next (T+1);
- a sale: the position changes by the units the broker did not sell (or sold beyond the paper),
  at the position's average cost, and cash by the difference in money received.

Days already booked keep their paper figures (the equity curve is the paper account's up to
the follow); from the next step on, the account trades from the broker's positions and cash.
Round trips (trades.csv) keep the paper fills.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pandas as pd

from huice.config.errors import HuiceError


def follow_state(broker_state: dict[str, Any], rows: pd.DataFrame, watermark: dt.date,
                 symbols: dict[str, str], flows: float = 0.0) -> tuple[dict[str, Any], list[str]]:
    """``broker_state`` moved to the broker's positions and cash by the reconciled ``rows``
    (RECONCILED_COLUMNS) and the statement's cash ``flows`` that are not trades (transfers,
    and dividends and interest beyond the paper's); ``symbols`` maps a code to the account's
    symbol. Returns the new state and one line per change.

    Raises
    ------
    HuiceError
        A booking that would make cash or a position negative, naming the fill: the account
        would hold what no account can (the statement and the paper account disagree on more
        than these fills, or a fill is missing from the statement).
    """
    state = copy.deepcopy(broker_state)
    positions = state["positions"]
    lines = []
    cash_change = flows
    if flows:
        lines.append(f"cash flows that are not trades {flows:+,.2f}")
    rows = rows.reset_index(drop=True)
    for position_in_rows, row in enumerate(rows.itertuples()):
        symbol = symbols.get(row.code)
        if symbol is None:
            lines.append(f"{row.date} {row.code}: not an instrument of this account: left out")
            continue
        real_value = row.real_quantity * (row.real_price if pd.notna(row.real_price) else 0.0)
        paper_value = row.paper_quantity * (row.paper_price if pd.notna(row.paper_price)
                                            else 0.0)
        units = row.real_quantity - row.paper_quantity
        position = positions.setdefault(symbol, {"quantity": 0.0, "bought_today": 0.0,
                                                 "cost": 0.0})
        if row.side == "buy":
            money = (real_value + row.real_fees) - (paper_value + row.paper_fees)
            position["quantity"] += units
            position["cost"] += money
            if row.date == watermark.isoformat():
                position["bought_today"] = max(position["bought_today"] + units, 0.0)
            cash_change -= money
        else:
            held = position["quantity"]
            average = position["cost"] / held if held else 0.0
            position["quantity"] -= units
            position["cost"] -= average * units
            cash_change += (real_value - row.real_fees) - (paper_value - row.paper_fees)
        if units:
            lines.append(f"{symbol}: {-units if row.side == 'sell' else units:+,.0f} unit(s) "
                         f"from {row.date}'s {row.side}")
        position["cost"] = round(position["cost"], 2)
        where = (f"{row.date} {row.code} {row.side} (paper {row.paper_quantity:,.0f}, broker "
                 f"{row.real_quantity:,.0f})")
        if position["quantity"] < -1e-9:
            raise HuiceError(f"--follow refused: {where} would leave {position['quantity']:,.0f} "
                             f"{symbol}, a position no account can hold; nothing was booked")
        day_ends = position_in_rows + 1 == len(rows) or \
            rows["date"].iloc[position_in_rows + 1] != row.date
        if day_ends and state["cash"] + cash_change < -0.005:  # a day's sales pay its buys
            raise HuiceError(f"--follow refused: {where} would leave cash at "
                             f"{state['cash'] + cash_change:,.2f} CNY, below zero; nothing was "
                             "booked (is a deposit missing from the statement?)")
        if abs(position["quantity"]) < 1e-9:
            del positions[symbol]
    state["cash"] = round(state["cash"] + cash_change, 2)
    lines.append(f"cash {cash_change:+,.2f} to {state['cash']:,.2f}")
    return state, lines
