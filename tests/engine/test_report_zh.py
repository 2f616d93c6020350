"""A Chinese report says everything huice itself writes in Chinese: headings, metric labels and
explanations, table headers, order states and reasons, chart titles and legends, the run notes.
What stays in Latin letters is named: codes and identifiers (801080.SI, qfq, ETF, T+1, config
keys), and the words of the user and the strategy (the run's name and description, order
tags, the identifiers in the strategy's notes). The bundled strategies' diagnostic charts
(titles, axes, legends) are Chinese too."""

from __future__ import annotations

import functools
import re
import typing
from html.parser import HTMLParser

import pytest
from pydantic import BaseModel

import huice
from tests.conftest import EXAMPLES

# codes, units and identifiers a Chinese reader sees as such
IDENTIFIERS = {"SH", "SZ", "SI", "CSI", "qfq", "ETF", "CSV", "W_t", "T", "CNY", "VaR", "CVaR", "huice",
               "sqrt",
               "bar", "beta", "csv", "actions", "trades", "dividend", "split_ratio", "report",
               "charts", "false", "broker", "costs", "data", "start", "end", "LV",
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


def without_settings(text: str) -> str:
    """``text`` without the config settings and dotted names it quotes (``data.quality:
    warn``, ``data.start``, ``801080.SI``, ``metrics.json``): identifiers, not words."""
    text = re.sub(r"[A-Za-z_.]+: [A-Za-z_]+", "", text)
    return re.sub(r"[\w/]+(?:\.\w+)+", "", text)


def literal_values(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    """The string values of every Literal field of ``model`` and the models inside it."""
    seen = set() if seen is None else seen
    if model in seen:
        return set()
    seen.add(model)
    found: set[str] = set()

    def walk(annotation: object) -> None:
        if typing.get_origin(annotation) is typing.Literal:
            found.update(v for v in typing.get_args(annotation) if isinstance(v, str))
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found.update(literal_values(annotation, seen))
        for argument in typing.get_args(annotation):
            walk(argument)

    for field in model.model_fields.values():
        walk(field.annotation)
    return found


@functools.lru_cache(maxsize=1)
def config_words() -> frozenset[str]:
    """Every value a config may choose (the run's schema and each bundled strategy's params):
    the words that must not stand untranslated inside a Chinese sentence."""
    from huice.config.schema import RunConfig
    from huice.strategies.registry import REGISTRY

    words = literal_values(RunConfig)
    for strategy in REGISTRY.classes().values():
        words |= literal_values(strategy.Params)
    return frozenset(words)


def chinese_sentences_with_config_words(text: str) -> set[str]:
    """The config words inside the Chinese sentences of ``text`` (a YAML setting quoted as
    such, ``window: expanding``, names the config and is left alone)."""
    found: set[str] = set()
    for sentence in re.split(r"[。；\n]", text):
        if not re.search("[\u4e00-\u9fff]", sentence):
            continue
        found |= latin_words(without_settings(sentence)) & config_words()
    return found


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
    english = latin_words(without_settings(text)) - latin_words(own) - IDENTIFIERS
    assert english == set(), sorted(english)
    assert chinese_sentences_with_config_words(text + " " + notes) == set()


# file names, config keys and names the sweep pages show as they are
SWEEP_IDENTIFIERS = {"Cerebro", "YAML", "Spearman", "A", "csv", "results", "screen", "best",
                     "tests", "engine", "test_fast_runner", "py", "fast", "strategy", "params",
                     "target", "ratio", "min_history_days", "runner"}


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
    # the grid's params are named as they are (identifiers, even where one is spelt like a value)
    params = {key.rsplit(".", 1)[-1] for key in tree["sweep"]["grid"]}
    assert chinese_sentences_with_config_words(text) - params == set()
    assert ("筛选与精确引擎" if "screen" in example else "滚动前推：样本外结果") in text
