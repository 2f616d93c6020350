"""The sweep report's pieces: duplicates folded, an honest colour range, sensitivity and the
per-instrument table computed from results.csv rows built here by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from huice.engine.results.metrics import annual_return
from huice.engine.sweep.report_parts import (
    colour_range,
    deduplicated,
    heatmap_html,
    instrument_param,
    per_instrument,
    sensitivity_html,
    varied_params,
)


def results() -> pd.DataFrame:
    rows = []
    for index, (target, share, ratio, sharpe, total) in enumerate([
            ("801080.SI", 0.6, 0.6, 0.41, 0.97), ("801080.SI", 0.8, 0.6, 0.41, 0.97),
            ("801080.SI", 0.6, 0.8, 0.30, 0.50), ("801050.SI", 0.6, 0.6, 0.20, 0.30),
            ("801050.SI", 0.8, 0.6, -0.10, -0.20), ("801050.SI", 0.6, 0.8, 0.142, 0.2)]):
        rows.append({"index": index, "task_id": f"t{index}",
                     "strategy.params.target": target, "strategy.params.share": share,
                     "strategy.params.ratio": ratio, "run_id": f"r{index}", "sharpe": sharpe,
                     "total_return": total, "max_drawdown": 0.3, "trades": 2, "fills": 4,
                     "final_equity": 1e6 * (1 + total), "buy_and_hold_return": 1.0,
                     "annual_return": total / 10, "status": "ok", "error": ""})
    return pd.DataFrame(rows)


def test_identical_results_are_listed_once_with_their_params():
    frame = results().sort_values("sharpe", ascending=False, kind="stable")
    best = deduplicated(frame, varied_params(frame))
    assert len(best) == 5
    assert best.iloc[0]["identical_runs"] == 1
    assert best.iloc[0]["same_as"] == "target=801080.SI, share=0.8, ratio=0.6"


def test_colour_range_includes_zero_and_is_symmetric_for_signed_metrics():
    # a spread of 0.138 .. 0.146 must not fill the palette
    assert colour_range(np.array([0.138, 0.146]), "sharpe") == (-0.146, 0.146)
    assert colour_range(np.array([0.2, 0.5]), "max_drawdown") == (0.0, 0.5)
    assert colour_range(np.array([np.nan]), "sharpe") == (0.0, 1.0)


def test_heatmap_states_the_range_and_averages_over_instruments():
    page = heatmap_html(results(), "strategy.params.share", "strategy.params.ratio", "sharpe")
    # cell (share 0.6, ratio 0.6) is the mean of 0.41 and 0.20
    assert '"z": [[0.305, 0.155], [0.221, null]]' in page
    assert "Colour scale -0.305 .. 0.305 (symmetric about zero)" in page
    assert "single runs range -0.100 .. 0.410" in page
    assert "each cell averages 2 runs" in page


def test_sensitivity_has_a_box_per_value_and_a_table():
    page = sensitivity_html(results(), varied_params(results()), "sharpe")
    assert page.count('"type": "box"') == 2 + 2 + 2
    assert "<td>801050.SI</td>" in page


def test_per_instrument_table():
    frame = results()
    assert instrument_param(frame, varied_params(frame)) == "strategy.params.target"
    table = per_instrument(frame, "strategy.params.target", "sharpe", descending=True)
    assert table["target"].tolist() == ["801080.SI", "801050.SI"]
    assert table["best sharpe"].tolist() == [0.41, 0.20]
    assert table["mean sharpe"].tolist() == pytest.approx([(0.41 + 0.41 + 0.30) / 3,
                                                           (0.20 - 0.10 + 0.142) / 3])
    assert table["best params"].tolist() == ["share=0.6, ratio=0.6"] * 2


def test_annualised_return():
    # one function for the backtest and the walk-forward page: everything lost is -100% a year
    assert annual_return(0.21, 504, 252) == pytest.approx(0.1)
    assert annual_return(-1.0, 252, 252) == -1.0


def test_a_parameter_that_changed_nothing_is_named_per_instrument():
    from huice.engine.sweep.report_parts import without_effect, without_effect_html

    rows = []
    for target, base in (("801080.SI", 0.5), ("801050.SI", 0.2)):
        for share in (0.6, 0.8, 1.0):
            for ratio in (0.6, 0.8):
                # share never matters; ratio matters for 801080 only
                total = base + (ratio if target == "801080.SI" else 0.0)
                rows.append({"strategy.params.target": target, "strategy.params.share": share,
                             "strategy.params.ratio": ratio, "status": "ok",
                             "total_return": total, "max_drawdown": 0.1, "trades": 3,
                             "fills": 6, "final_equity": 1e6 * (1 + total)})
    results = pd.DataFrame(rows)
    varied = ["strategy.params.target", "strategy.params.share", "strategy.params.ratio"]
    found = without_effect(results, varied, "strategy.params.target")
    assert found == {"strategy.params.share": ["801050.SI", "801080.SI"],
                     "strategy.params.ratio": ["801050.SI"]}
    text = without_effect_html(found, 2)
    assert "<b>share</b> changed no result in any of the 2 instruments" in text
    assert "docs/strategies/drawdown_reversion.md" in text
    assert "<b>ratio</b> changed no result in 1 of 2 instruments (801050.SI)" in text
