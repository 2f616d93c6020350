"""The published-tracking examples equal an independent plain-pandas computation to 1e-9."""

from __future__ import annotations

import pytest

from huice.config.loader import load_config
from huice.engine.results.caution import Caution
from huice.engine.run.assembly import run_backtest
from huice.strategies.drawdown_reversion import DrawdownReversion
from tests.conftest import DATA, EXAMPLES
from tests.oracles.drawdown_report import read_close, report_metrics


@pytest.mark.parametrize("code", ["801080", "801050", "801140"])
def test_report_example_matches_independent_computation(code):
    loaded = load_config(EXAMPLES / f"drawdown_reversion_{code}_report.yaml")
    params = loaded.config.strategy.params
    result = run_backtest(loaded.config, DrawdownReversion.from_params(params))
    expected = report_metrics(read_close(DATA / f"bars/{code}.SI.csv.gz"),
                              read_close(DATA / "bars/000300.SH.csv.gz"),
                              "2010-01-04", "2025-03-18", share=params["share"],
                              ratio=params["ratio"])
    metrics = result.metrics
    # the run marks its equity to market in cents, the oracle does not: half a cent on the
    # initial 1,000,000 is 5e-9 of return
    for key in ("total_return", "buy_and_hold_return", "excess_vs_buy_and_hold", "max_drawdown"):
        assert metrics[key] == pytest.approx(expected[key], abs=6e-9), key
    assert metrics["longest_drawdown_days"] == expected["longest_drawdown_days"]
    assert metrics["fees"]["total"] == 0.0
    assert metrics["start"] == "2010-01-04" and metrics["end"] == "2025-03-18"
    # the threshold the plugin used is the oracle's
    assert result.signals["threshold"].iloc[-1] == pytest.approx(expected["theta"], abs=1e-12)
    # the report says the run is in-sample
    cautions = [note for note in result.notes if isinstance(note, Caution)]
    assert len(cautions) == 1 and cautions[0].startswith("IN-SAMPLE")
