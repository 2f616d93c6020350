"""The shared causality check every strategy gets: truncating the data at any day must leave
every earlier signal, order, fill and equity value unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from huice.config.schema import RunConfig
from huice.engine.results.result import RunResult
from huice.engine.run.assembly import run_backtest

ORDER_KEY = ["order_id", "created", "symbol", "side", "quantity", "tag"]


def truncated(config: RunConfig, end: str) -> RunConfig:
    """The same run with its data ending at ``end``."""
    return config.model_copy(update={"data": config.data.model_copy(
        update={"end": pd.Timestamp(end).date()})})


def assert_same_prefix(full: RunResult, part: RunResult, cut: str) -> None:
    """``part`` (data ending at ``cut``) agrees with ``full`` on everything up to ``cut``."""
    cut_ts = pd.Timestamp(cut)
    prefix = full.signals.loc[:cut_ts]
    # a column first recorded after the cut exists only in the full run: it must be empty here
    later = [c for c in prefix.columns if c not in part.signals.columns]
    assert prefix[later].isna().all().all(), f"signals {later} differ before {cut}"
    if part.signals.empty:
        assert prefix.empty, f"signals recorded before {cut} only in the full run"
    else:
        pd.testing.assert_frame_equal(part.signals, prefix[list(part.signals.columns)],
                                      obj=f"signals truncated at {cut}")
    pd.testing.assert_frame_equal(part.equity, full.equity.loc[:cut_ts],
                                  obj=f"equity truncated at {cut}")
    full_orders = full.orders[full.orders["created"] <= cut][ORDER_KEY].reset_index(drop=True)
    pd.testing.assert_frame_equal(part.orders[ORDER_KEY].reset_index(drop=True), full_orders,
                                  obj=f"orders truncated at {cut}")
    full_fills = full.fills[full.fills["date"] <= cut].reset_index(drop=True)
    pd.testing.assert_frame_equal(part.fills.reset_index(drop=True), full_fills,
                                  obj=f"fills truncated at {cut}")


def assert_truncation_invariant(config: RunConfig, make_plugin: Callable[[], object],
                                cuts: Iterable[str], runner: str | None = None) -> RunResult:
    """Run once in full and once per cut date; every prefix must match. Returns the full run.

    ``runner``: as ``run_backtest``'s (default: Cerebro)."""
    full = run_backtest(config, make_plugin(), runner=runner)
    for cut in cuts:
        part = run_backtest(truncated(config, cut), make_plugin(), runner=runner)
        assert_same_prefix(full, part, cut)
    return full


def cut_dates_around(result: RunResult, extra: Iterable[str] = ()) -> list[str]:
    """Cut points that matter: the day before, of and after every order, plus ``extra``."""
    calendar = result.equity.index
    cuts: set[str] = set(extra)
    for created in result.orders["created"]:
        position = calendar.get_loc(pd.Timestamp(created))
        for offset in (-1, 0, 1):
            if 0 <= position + offset < len(calendar) - 1:
                cuts.add(calendar[position + offset].strftime("%Y-%m-%d"))
    return sorted(cuts)
