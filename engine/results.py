"""The result of a run as tables, and writing it to an output folder atomically."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from engine.account import Trade
from engine.formatting import json_safe
from engine.orders import Fill, Order
from engine.outputs import check_output_folder, write_marker
from engine.plugin import DiagnosticChart

ORDER_COLUMNS = ["order_id", "created", "symbol", "side", "quantity", "filled", "status",
                 "closed", "tag", "reason"]
FILL_COLUMNS = ["order_id", "date", "symbol", "side", "quantity", "price", "reference_price",
                "value", "commission", "stamp_duty", "transfer_fee", "fees", "slippage_cost",
                "cash_after"]
ACTION_COLUMNS = ["date", "symbol", "kind", "quantity_before", "quantity_after", "per_unit",
                  "cash", "cash_after"]
TRADE_COLUMNS = ["symbol", "opened", "closed", "quantity", "buy_value", "sell_value", "fees",
                 "pnl", "return"]
_TEXT, _FLOAT, _INT = "object", "float64", "int64"
ORDER_DTYPES = dict(zip(ORDER_COLUMNS, [_INT, _TEXT, _TEXT, _TEXT, _FLOAT, _FLOAT, _TEXT, _TEXT,
                                        _TEXT, _TEXT]))
FILL_DTYPES = dict(zip(FILL_COLUMNS, [_INT, _TEXT, _TEXT, _TEXT] + [_FLOAT] * 10))
TRADE_DTYPES = dict(zip(TRADE_COLUMNS, [_TEXT, _TEXT, _TEXT] + [_FLOAT] * 6))


@dataclass
class RunResult:
    """Everything a finished run produced."""

    run_id: str
    resolved_config: dict[str, Any]
    strategy_name: str
    equity: pd.DataFrame          # index date; cash, holdings, equity, benchmark
    positions: pd.DataFrame       # date, symbol, quantity, price, value
    orders: pd.DataFrame
    fills: pd.DataFrame
    trades: pd.DataFrame
    signals: pd.DataFrame         # index date; whatever the strategy recorded
    metrics: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    diagnostic_chart: DiagnosticChart | None = None
    prices: dict[str, pd.Series] = field(default_factory=dict)  # close of traded + benchmark
    fill_objects: list[Fill] = field(default_factory=list)
    actions: pd.DataFrame | None = None  # dividends and splits booked


def orders_frame(orders: list[Order]) -> pd.DataFrame:
    rows = [(o.order_id, o.created.isoformat(), o.symbol, o.side, o.quantity, o.filled,
             o.status.value, o.closed.isoformat() if o.closed else "", o.tag,
             "; ".join(o.reasons)) for o in orders]
    return pd.DataFrame(rows, columns=ORDER_COLUMNS).astype(ORDER_DTYPES)


def actions_frame(actions: list) -> pd.DataFrame:
    rows = [(a.date.isoformat(), a.symbol, a.kind, a.quantity_before, a.quantity_after,
             a.per_unit, a.cash, a.cash_after) for a in actions]
    return pd.DataFrame(rows, columns=ACTION_COLUMNS).astype(
        dict(zip(ACTION_COLUMNS, [_TEXT, _TEXT, _TEXT] + [_FLOAT] * 5)))


def fills_frame(fills: list[Fill]) -> pd.DataFrame:
    rows = [(f.order_id, f.date.isoformat(), f.symbol, "buy" if f.is_buy else "sell",
             f.quantity, f.price, f.reference_price, f.value, f.commission, f.stamp_duty,
             f.transfer_fee, round(f.fees, 2), round(f.slippage_cost, 6), f.cash_after)
            for f in fills]
    return pd.DataFrame(rows, columns=FILL_COLUMNS).astype(FILL_DTYPES)


def trades_frame(closed: list[Trade], still_open: list[Trade]) -> pd.DataFrame:
    rows = []
    for trade in closed + still_open:
        finished = trade.closed is not None
        rows.append((trade.symbol, trade.opened.isoformat(),
                     trade.closed.isoformat() if finished else "",
                     trade.bought_quantity, trade.buy_value, trade.sell_value, trade.fees,
                     trade.pnl if finished else float("nan"),
                     trade.pnl / trade.buy_value if finished and trade.buy_value else float("nan")))
    frame = pd.DataFrame(rows, columns=TRADE_COLUMNS).astype(TRADE_DTYPES)
    return frame.sort_values(["opened", "symbol"], kind="stable").reset_index(drop=True)


def _write_csv(frame: pd.DataFrame, path: Path, index: bool = False) -> None:
    frame.to_csv(path, index=index, lineterminator="\n")


def write_run(result: RunResult, out_dir: Path,
              report_writer: Callable[[RunResult, Path], None] | None = None) -> Path:
    """Write every output file into ``out_dir``, atomically.

    Files are written into a temporary sibling folder which replaces ``out_dir`` only when all
    of them are complete, so a failure never leaves a half-written run behind. ``out_dir`` must
    not exist, be empty, or hold an earlier huice output (see :mod:`engine.outputs`).
    """
    out_dir = Path(out_dir)
    check_output_folder(out_dir, "backtest")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        write_marker(staging, "backtest")
        (staging / "metrics.json").write_text(
            json.dumps(json_safe(result.metrics), indent=2, sort_keys=True, allow_nan=False)
            + "\n",
            encoding="utf-8")
        equity = result.equity.copy()
        equity.index = equity.index.strftime("%Y-%m-%d")
        _write_csv(equity, staging / "equity.csv", index=True)
        _write_csv(result.trades, staging / "trades.csv")
        _write_csv(result.orders, staging / "orders.csv")
        _write_csv(result.fills, staging / "fills.csv")
        if result.actions is not None and len(result.actions):
            _write_csv(result.actions, staging / "actions.csv")
        _write_csv(result.positions, staging / "positions.csv")
        signals = result.signals.copy()
        signals.index = signals.index.strftime("%Y-%m-%d")
        _write_csv(signals, staging / "signals.csv", index=True)
        (staging / "config.yaml").write_text(
            yaml.safe_dump(result.resolved_config, sort_keys=False, allow_unicode=True),
            encoding="utf-8")
        if report_writer is not None:
            report_writer(result, staging / "report.html")
        previous = None
        check_output_folder(out_dir, "backtest")  # again: it may have changed during the run
        if out_dir.exists():
            previous = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            out_dir.rename(previous)
        staging.rename(out_dir)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir
