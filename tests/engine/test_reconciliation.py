"""Money reconciles on every bar, checked against an independent replay of the fills."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from huice.config.loader import load_config
from huice.engine.run.assembly import run_backtest
from huice.strategies.drawdown_reversion import DrawdownReversion
from tests.conftest import DATA, EXAMPLES


@pytest.fixture(scope="module")
def realistic():
    loaded = load_config(EXAMPLES / "drawdown_reversion_801080.yaml")
    return run_backtest(loaded.config, DrawdownReversion.from_params(loaded.config.strategy.params))


def test_cash_plus_holdings_is_equity_on_every_bar(realistic):
    equity = realistic.equity
    assert np.allclose(equity["cash"] + equity["holdings"], equity["equity"], rtol=0, atol=1e-6)
    assert (equity["cash"] >= 0).all()


def test_cash_and_holdings_replayed_from_fills_and_raw_bars(realistic):
    with gzip.open(DATA / "bars/801080.SI.csv.gz", "rt") as handle:
        close = pd.read_csv(handle, index_col="date", parse_dates=True)["close"]
    fills = realistic.fills
    initial = 1_000_000.0
    cash_moves = np.where(fills["side"] == "buy", -(fills["value"] + fills["fees"]),
                          fills["value"] - fills["fees"])
    units = np.where(fills["side"] == "buy", fills["quantity"], -fills["quantity"])
    by_day = pd.DataFrame({"cash": cash_moves, "units": units},
                          index=pd.to_datetime(fills["date"])).groupby(level=0).sum()
    calendar = realistic.equity.index
    replay = by_day.reindex(calendar, fill_value=0.0).cumsum()
    expected_cash = initial + replay["cash"]
    # an index is traded as a proxy share worth index / 1000
    expected_holdings = replay["units"] * close.reindex(calendar).ffill() * 0.001
    assert np.allclose(realistic.equity["cash"], expected_cash, atol=0.005)
    assert np.allclose(realistic.equity["holdings"], expected_holdings.fillna(0.0), atol=0.005)


def test_every_fee_is_worked_out_from_the_rates(realistic):
    fills = realistic.fills
    assert len(fills) >= 4
    for fill in fills.itertuples():
        # index proxy = ETF costs: 0.025% commission, no minimum, no stamp duty, no transfer fee
        assert fill.commission == round(fill.value * 0.00025 + 1e-9, 2)
        assert fill.stamp_duty == 0.0 and fill.transfer_fee == 0.0
        assert fill.value == round(fill.quantity * fill.price, 2)
        assert fill.quantity % 100 == 0
        # 0.05% slippage, then rounded to the 0.001 tick against the trader
        if fill.side == "buy":
            assert fill.reference_price <= fill.price <= fill.reference_price * 1.0005 + 0.001
        else:
            assert fill.reference_price * 0.9995 - 0.001 <= fill.price <= fill.reference_price
    metrics = realistic.metrics
    assert metrics["fees"]["commission"] == pytest.approx(fills["commission"].sum(), abs=0.005)
    assert metrics["fees"]["total"] == metrics["fees"]["commission"]


def test_orders_fill_at_the_next_open(realistic):
    with gzip.open(DATA / "bars/801080.SI.csv.gz", "rt") as handle:
        bars = pd.read_csv(handle, index_col="date", parse_dates=True)
    calendar = realistic.equity.index
    orders = realistic.orders.set_index("order_id")
    for fill in realistic.fills.itertuples():
        created = pd.Timestamp(orders.loc[fill.order_id, "created"])
        next_day = calendar[calendar.get_loc(created) + 1]
        assert pd.Timestamp(fill.date) == next_day
        assert fill.reference_price == pytest.approx(bars.loc[next_day, "open"] * 0.001, rel=1e-12)
