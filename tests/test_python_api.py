"""docs/python-api.md: every code block runs, in order, in one namespace, as a notebook would;
and the API's figures equal the CLI's."""

from __future__ import annotations

import json
import os
import re

import pytest

from tests.conftest import REPO, run_cli


@pytest.fixture
def notebook_folder(tmp_path):
    (tmp_path / "config").symlink_to(REPO / "config")
    (tmp_path / "data").symlink_to(REPO / "data")
    previous = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(previous)


@pytest.mark.slow  # the whole of docs/python-api.md, run as a notebook would
def test_python_api_doc_runs(notebook_folder):
    text = (REPO / "docs/python-api.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 6
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/python-api.md", "exec"), namespace)
    result = namespace["result"]
    assert (notebook_folder / "runs/barbell_etf_notebook/report.html").is_file()
    assert namespace["shorter"].metrics.end == "2023-12-29"
    assert namespace["mine"].fills["quantity"].gt(0).all()
    assert namespace["bt_result"].metrics.trades >= 1
    assert len(namespace["results"]) == 2
    cli = run_cli("backtest", "config/examples/barbell_etf.yaml", "--out",
                  str(notebook_folder / "cli"))
    assert cli.code == 0, cli.stderr
    metrics = json.loads((notebook_folder / "cli/metrics.json").read_text())
    assert result.metrics.to_dict() == json.loads(json.dumps(metrics))
    assert "<table>" in result._repr_html_()


def test_metrics_are_typed_and_frozen():
    import dataclasses

    import huice

    result = huice.backtest(REPO / "config/examples/barbell_etf.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.metrics.total_return = 1.0
    series = result.metrics.to_series()
    assert series["fees_total"] == result.metrics.fees.total
    assert series["contribution_515180.SH.qfq"] == result.metrics.contribution["515180.SH.qfq"]


def test_params_are_laid_over_the_configs_params_as_overrides_are():
    import huice
    from huice.config.errors import HuiceError

    config = REPO / "config/examples/barbell_etf.yaml"
    merged = huice.backtest(config, params={"drift_band": 0.2})
    overridden = huice.backtest(huice.load_config(
        config, overrides={"strategy.params.drift_band": 0.2}))
    assert merged.metrics.total_return == overridden.metrics.total_return
    assert merged.fills.equals(overridden.fills)
    # the config's legs stay (they used to fall back to the default indices)
    assert set(merged.fills["symbol"]) == set(huice.backtest(config).fills["symbol"])
    with pytest.raises(HuiceError, match="did you mean 'drift_band'"):
        huice.backtest(config, params={"drift_bnd": 0.2})


@pytest.mark.slow
def test_the_paper_functions_of_the_api(tmp_path):
    """paper_run books the replayed days, paper_status reads the account without writing,
    paper_report is the ledger as a Result, and a backtest over the same days agrees."""
    import huice

    example = REPO / "config/examples/paper_barbell_etf.yaml"
    config = huice.load_config(example, overrides={"paper.state": str(tmp_path / "acct.sqlite"),
                                                   "paper.source.start": "2025-03-31",
                                                   "data.end": "2025-03-31"})
    lines: list[str] = []
    step = huice.paper_run(config, once=True, on_booked=lines.append)
    assert step.booked > 0 and len(lines) == step.booked and "equity" in lines[-1]
    assert step.problems == []
    status = huice.paper_status(config)
    assert isinstance(status, huice.PaperStatus)
    assert status.last_bar == "2025-03-31"
    assert status.cash + status.holdings == pytest.approx(status.equity, abs=0.01)
    assert status.to_dict()["positions"] == [vars(p) for p in status.positions]
    report = huice.paper_report(config)
    assert report.metrics.final_equity == pytest.approx(status.equity, abs=0.005)
    backtest = huice.backtest(config)
    assert backtest.metrics.final_equity == pytest.approx(report.metrics.final_equity, abs=0.005)
    assert huice.paper_run(config, once=True).booked == 0  # nothing new: books nothing


def test_a_class_given_with_a_config_keeps_the_configs_params(tmp_path, monkeypatch):
    """Issue 36's case: a config naming plugmod:Plug with params {symbol: 510300.SH, qty: 500},
    run as huice.backtest(cfg, strategy=plugmod.Plug), trades 510300.SH x 500 (not the class
    defaults, 518880.SH x 100), and x 300 with params={'qty': 300}; a class that does not take
    the config's params is refused naming them."""
    import sys

    import huice

    (tmp_path / "plugmod.py").write_text(
        "from huice.strategies.base import Strategy, StrategyParams\n\n"
        "class PlugParams(StrategyParams):\n"
        "    symbol: str = '518880.SH'\n    qty: int = 100\n\n"
        "class Plug(Strategy):\n    Params = PlugParams\n\n"
        "    def symbols(self):\n        return [self.params.symbol]\n\n"
        "    def on_bar(self, ctx):\n"
        "        if ctx.bar_index == 0:\n"
        "            ctx.buy(self.params.symbol, self.params.qty)\n\n"
        "class Other(Strategy):\n    def symbols(self):\n        return ['510300.SH']\n\n"
        "    def on_bar(self, ctx):\n        pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import plugmod

    config = {"name": "plug", "data": {"start": "2021-03-01", "end": "2021-03-10",
                                       "benchmark": None},
              "strategy": {"name": "plugmod:Plug",
                           "params": {"symbol": "510300.SH", "qty": 500}}}
    fills = huice.backtest(config, strategy=plugmod.Plug).fills
    assert (fills["symbol"].tolist(), fills["quantity"].tolist()) == (["510300.SH"], [500])
    fills = huice.backtest(config, strategy=plugmod.Plug, params={"qty": 300}).fills
    assert (fills["symbol"].tolist(), fills["quantity"].tolist()) == (["510300.SH"], [300])
    from huice.config.errors import HuiceError

    with pytest.raises(HuiceError) as refused:
        huice.backtest(config, strategy=plugmod.Other)
    assert "Other does not take the config's param(s) qty, symbol" in str(refused.value)
    sys.modules.pop("plugmod", None)
