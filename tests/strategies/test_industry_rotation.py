"""The crowding factor and the industry rotation against an independent plain-pandas
computation on the bundled Shenwan data; the example from the CLI, the API, a sweep and a paper
account; the quintile study in the docs is what the code computes."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import huice
from huice.config.schema import DataConfig
from huice.feeds.loading import load_market
from huice.strategies.crowding import (
    SHENWAN_L1,
    CrowdingParams,
    crowding_from_market,
    quintile_table,
)
from huice.strategies.industry_rotation import IndustryRotationParams, rank_scores
from tests.conftest import DATA, EXAMPLES, REPO, run_cli
from tests.helpers.example_runs import example_output, shared_root

SOME = ["801080.SI", "801050.SI", "801140.SI", "801150.SI", "801780.SI"]


def bars(symbol: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"bars/{symbol}.csv.gz", parse_dates=["date"]).set_index("date")


def oracle_crowding(start: str, end: str, window: int, history: int) -> pd.DataFrame:
    """The score, written out the slow way: pandas rolling windows and a Python percentile."""
    frames = {s: bars(s).loc[start:end] for s in SOME}
    calendar = pd.read_csv(DATA / "calendar.csv.gz", parse_dates=["date"])["date"]
    union = sorted(set().union(*[set(f.index) for f in frames.values()]))
    days = pd.DatetimeIndex([d for d in calendar if union[0] <= d <= union[-1]])
    close = pd.DataFrame({s: f["close"] for s, f in frames.items()}).reindex(days)
    amount = pd.DataFrame({s: f["amount"] for s, f in frames.items()}).reindex(days)
    bench = bars("000300.SH")["close"].reindex(days)
    least = int(np.ceil(0.8 * window))
    share = amount.div(amount.sum(axis=1, min_count=1), axis=0)
    measures = [amount.rolling(window, min_periods=least).mean(),
                share.rolling(window, min_periods=least).mean(),
                np.log(close / close.shift()).rolling(window, min_periods=least).std()
                * np.sqrt(252),
                (close / close.shift(window) - 1).sub(bench / bench.shift(window) - 1, axis=0)]

    def percentile(values: np.ndarray) -> float:
        today, present = values[-1], values[~np.isnan(values)]
        if np.isnan(today) or len(present) < int(np.ceil(0.8 * history)):
            return np.nan
        return 100.0 * (present <= today).sum() / len(present)

    ranks = [m.rolling(history, min_periods=1).apply(percentile, raw=True) for m in measures]
    ranks = [r.where(pd.Series(range(len(r)), index=r.index) >= history - 1) for r in ranks]
    return sum(ranks) / 4.0


def test_crowding_equals_an_independent_computation():
    params = CrowdingParams(measure_days=20, percentile_days=120)
    market = load_market(DataConfig(start="2016-01-04", end="2017-12-29", benchmark=None),
                         [*SOME, "000300.SH"])
    ours = crowding_from_market(market, SOME, "000300.SH", params).score
    expected = oracle_crowding("2016-01-04", "2017-12-29", 20, 120)
    assert ours.notna().sum().sum() > 1500
    pd.testing.assert_frame_equal(ours, expected.reindex(ours.index), check_names=False,
                                  check_freq=False, atol=1e-9)


def test_rotation_ranks_equal_pandas():
    params = IndustryRotationParams(universe=SOME, ranking="long_weak_short_strong",
                                    short_days=20, long_days=120, top_k=2)
    closes = pd.DataFrame({s: bars(s)["close"] for s in SOME}).loc[:"2019-06-28"]
    ours = rank_scores(closes.to_numpy()[-121:], params)
    short = closes.iloc[-1] / closes.iloc[-21] - 1
    long_ = closes.iloc[-1] / closes.iloc[-121] - 1
    expected = short.rank(pct=True) - long_.rank(pct=True)
    np.testing.assert_allclose(ours, expected.to_numpy(), atol=1e-12)
    momentum = rank_scores(closes.to_numpy()[-21:], IndustryRotationParams(
        universe=SOME, ranking="momentum", lookback_days=20))
    np.testing.assert_allclose(momentum, short.to_numpy(), atol=1e-12)


def test_rotation_holds_the_top_k_it_ranked(tmp_path):
    config = {"name": "rot", "data": {"start": "2018-01-02", "end": "2019-12-31"},
              "strategy": {"name": "industry_rotation", "params": {
                  "universe": SOME, "ranking": "momentum", "lookback_days": 20, "top_k": 2,
                  "rebalance": "monthly", "rebalance_day": "last"}}}
    result = huice.backtest(config)
    closes = pd.DataFrame({s: bars(s)["close"] for s in SOME})
    signals = result.signals
    rebalances = signals.index[signals["rebalanced"] == 1]
    assert len(rebalances) == 24
    for day in rebalances[:-1]:
        window = closes.loc[:day]
        score = (window.iloc[-1] / window.iloc[-21] - 1).sort_values(ascending=False)
        expected = set(score.index[:2])
        orders = result.orders[(result.orders["created"] == str(day.date()))
                               & (result.orders["side"] == "buy")]
        assert set(orders["symbol"]) <= expected
        # the recorded rank history is the pandas ranking of that day (1 = best)
        recorded = signals.loc[day, [f"rank_{s}" for s in SOME]].to_numpy(dtype=float)
        np.testing.assert_array_equal(
            recorded, score.rank(ascending=False, method="first").reindex(SOME).to_numpy())
    other_days = signals.index.difference(rebalances)
    assert signals.loc[other_days, [f"rank_{s}" for s in SOME]].isna().all().all()


@pytest.mark.slow
def test_example_from_the_cli_a_sweep_and_paper(tmp_path, tmp_path_factory):
    example = EXAMPLES / "industry_rotation.yaml"
    # the CLI's figures are pinned by tests/golden/industry_rotation.json, Cerebro's and the
    # fast runner's alike; the example's fast run is the session's shared one
    out = example_output(example, shared_root(tmp_path_factory))
    golden = json.loads((REPO / "tests/golden/industry_rotation.json").read_text())["metrics"]
    assert json.loads((out / "metrics.json").read_text())["total_return"] == \
        golden["total_return"]
    assert "Crowding of what is held" in (out / "report.html").read_text(encoding="utf-8")
    short = {"data.start": "2019-01-02", "data.end": "2020-12-31", "data.trade_start": None}
    sweep = huice.sweep(huice.load_config(example, overrides={
        **short, "sweep": {"grid": {"strategy.params.top_k": [3, 5]}}}), workers=1,
        out=tmp_path / "sweep")
    assert list(sweep["status"]) == ["ok", "ok"]
    paper = tmp_path / "paper.yaml"
    tree = huice.load_config(example, overrides=short).model_dump(mode="json", by_alias=True)
    tree["paper"] = {"state": str(tmp_path / "state.sqlite"),
                     "source": {"kind": "replay", "start": "2020-09-01", "days_per_poll": 60}}
    tree.pop("runner", None)
    paper.write_text(json.dumps(tree))
    for _ in range(2):  # history to 2020-09-01 at once, then 60 days a poll
        assert run_cli("paper", str(paper), "--once").code == 0
    backtest = huice.backtest(huice.load_config(example, overrides=short))
    status = json.loads(run_cli("paper-status", str(paper), "--json").stdout)
    assert status["last_bar"] == "2020-12-31"
    assert status["equity"] == backtest.equity["equity"].iloc[-1]


def test_monitor_writes_heatmap_ranked_table_and_csv(tmp_path):
    result = run_cli("monitor", "crowding", str(EXAMPLES / "industry_rotation.yaml"), "--date",
                     "2025-06-30", "--out", str(tmp_path / "m"))
    assert result.code == 0, result.stderr
    ranked = pd.read_csv(tmp_path / "m" / "ranked.csv")
    assert len(ranked) == 31 and ranked["score"].is_monotonic_decreasing
    table = pd.read_csv(tmp_path / "m" / "crowding.csv")
    assert table["date"].max() == "2025-06-30"
    assert "Fund flows: absent" in (tmp_path / "m" / "report.html").read_text()


def test_the_docs_quintile_table_is_what_the_code_computes():
    text = (REPO / "docs/strategies/industry_rotation.md").read_text()
    rows = re.findall(r"^\| (\d+) days \| Q(\d) \| ([-\d.]+)% \| ([-\d.]+)% \| ([-\d.]+) \|",
                      text, flags=re.M)
    assert len(rows) == 10
    market = load_market(DataConfig(start="2013-01-04", end="2025-12-31", benchmark=None),
                         [*SHENWAN_L1, "000300.SH"])
    crowding = crowding_from_market(market, SHENWAN_L1, "000300.SH", CrowdingParams())
    closes = pd.DataFrame({s: market.bars(s)["close"] for s in SHENWAN_L1}).reindex(
        market.calendar)
    table = quintile_table(crowding, closes, market.bars("000300.SH")["close"],
                           {"10": 10, "20": 20}, "2014-01-02", "2025-12-31")
    for days, quintile, mean, sampled, t_stat in rows:
        row = table[(table["horizon"] == days) & (table["quintile"] == f"Q{quintile}")].iloc[0]
        assert f"{row['mean_excess'] * 100:.2f}" == mean
        assert f"{row['mean_excess_sampled'] * 100:.2f}" == sampled
        assert f"{row['t_stat']:.2f}" == t_stat
