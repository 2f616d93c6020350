"""A Chinese report says everything huice itself writes in Chinese: headings, metric labels and
explanations, table headers, order states and reasons, chart titles and legends, the run notes.
What stays in Latin letters is named: codes and identifiers (801080.SI, qfq, ETF, T+1, config
keys), and the words of the user and the strategy (the run's name and description, order
tags, the identifiers in the strategy's notes). The bundled strategies' diagnostic charts
(titles, axes, legends) are Chinese too."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

import huice
from tests.conftest import EXAMPLES

# codes, units and identifiers a Chinese reader sees as such
IDENTIFIERS = {"SH", "SZ", "SI", "CSI", "qfq", "ETF", "CSV", "W_t", "T", "CNY", "VaR", "CVaR", "huice",
               "sqrt",
               "bar", "beta", "csv", "actions", "trades", "dividend", "split_ratio", "report",
               "charts", "false", "broker", "costs", "none", "data", "start", "end", "etf",
               "index", "stock", "main", "chinext", "star", "ticks", "percent", "LV",
               # formulas in the explanations: mean(r) x sqrt(P), cov(r, b) / var(b)
               "P", "b", "r", "x", "n", "k", "mean", "min", "max", "std", "cov", "var", "floor"}


class VisibleText(HTMLParser):
    """The page's text a reader sees, without scripts, styles and the config's YAML."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style", "pre")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style", "pre")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def latin_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z_]*", text))


@pytest.mark.parametrize("example", [
    "barbell_etf", "drawdown_reversion_801080",
    # the other two strategies' charts and notes: make test (the fast tier has the first two)
    pytest.param("etf_flow_rotation", marks=pytest.mark.slow),
    pytest.param("industry_rotation", marks=pytest.mark.slow)])
def test_every_word_huice_writes_in_a_chinese_report_is_chinese(example):
    config = huice.load_config(EXAMPLES / f"{example}.yaml", overrides={"report.language": "zh"})
    result = huice.backtest(config, runner="fast")
    page = result.report_html()
    parser = VisibleText()
    parser.feed(page)
    text = " ".join(parser.parts)
    # chart titles, axis titles and legend names live in the charts' JSON
    text += " ".join(re.findall(r'"(?:text|name)": "([^"]*)"', page))
    plugin = huice.build_strategy(config)
    # the bundled strategies write their notes in Chinese too: only their identifiers remain
    notes = " ".join(plugin.report_notes(language="zh"))
    assert notes and re.search("[\u4e00-\u9fff]", notes)
    own = " ".join([config.name, config.description or "", result.strategy_name,
                    result.run_id, *result.orders["tag"].dropna().astype(str),
                    *result.orders["codes"].dropna().astype(str), *latin_words(notes)])
    english = latin_words(text) - latin_words(own) - IDENTIFIERS
    assert english == set(), sorted(english)


# file names, config keys and names the sweep pages show as they are
SWEEP_IDENTIFIERS = {"Cerebro", "YAML", "Spearman", "A", "csv", "results", "screen", "best",
                     "tests", "engine", "test_fast_runner", "py", "fast", "strategy", "params",
                     "target", "ratio", "min_history_days"}


@pytest.mark.slow  # a screened sweep over three industries and a walk-forward
@pytest.mark.parametrize("example", ["sweep_screen_drawdown_10k", "walk_forward_801080"])
def test_every_word_of_a_chinese_sweep_page_is_chinese(example, tmp_path):
    import yaml

    from tests.conftest import REPO

    tree = yaml.safe_load((EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8"))
    tree["data"]["catalog"] = str(REPO / "data" / "catalog.csv")
    tree["report"] = {"language": "zh"}
    if "strategy.params.target" in tree["sweep"]["grid"]:
        tree["sweep"]["grid"]["strategy.params.target"] = ["801080.SI", "801050.SI"]
        tree["sweep"]["screen"] = {"top": 6, "sample": 6}
    huice.sweep(tree, workers=1, out=tmp_path / "out", progress=False)
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    parser = VisibleText()
    parser.feed(page)
    text = " ".join(parser.parts) + " ".join(re.findall(r'"(?:text|name)": "([^"]*)"', page))
    english = latin_words(text) - latin_words(tree["name"]) - IDENTIFIERS - SWEEP_IDENTIFIERS
    assert english == set(), sorted(english)
    assert ("筛选与精确引擎" if "screen" in example else "滚动前推：样本外结果") in text
