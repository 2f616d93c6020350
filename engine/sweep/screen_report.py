"""The sweep report's first section when the sweep was screened: what the screen is, what was
confirmed exactly, and how well the screen agreed with the A-share engine on those runs."""

from __future__ import annotations

import html
import math

import pandas as pd

from huice.config.schema import ScreenConfig
from huice.engine.results.page import section
from huice.engine.sweep.report_parts import table_html
from huice.engine.sweep.screening import Agreement

GOOD_AGREEMENT = 0.9  # the rank correlation under which the report warns


def _number(value: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def screen_html(found: Agreement, screen: ScreenConfig, combinations: int,
                seconds: float) -> str:
    """The "Screen and engine" section."""
    metric = html.escape(found.metric)
    verdict = (
        f"<p><b>The screen ranks like the engine</b> (rank correlation at least "
        f"{GOOD_AGREEMENT}).</p>" if found.rank_correlation >= GOOD_AGREEMENT else
        f"<p><b>The screen's ranking disagrees with the engine's</b> (rank correlation "
        f"{_number(found.rank_correlation)}, below {GOOD_AGREEMENT}): what the screen leaves "
        "out (lots, the commission minimum, limit-up and limit-down days, T+1, suspensions, "
        "dividends) matters for these runs. Rank by the exact figures only (results.csv); "
        "confirm more runs (a larger top or sample) before trusting the screen here.</p>")
    differences = pd.DataFrame(
        [{"metric": name, "largest |screen - exact|": value}
         for name, value in found.largest_difference.items()])
    return section("screen", "Screen and engine", (
        f"<p>{combinations:,} combinations were screened in {seconds:.1f} s with the "
        "strategy's vectorised signals (next-open fills, proportional costs at the dated "
        "rates and the configured slippage; no lots, no commission minimum, no price limits, "
        "no T+1, no cash dividends). The A-share engine then ran the best "
        f"{screen.top} by screened {metric} and {screen.sample} others drawn at random "
        f"(seed {screen.seed}): {found.confirmed} confirmed runs. Every other section of this "
        "page, results.csv and best/ hold exact runs only; screen.csv holds every "
        "combination's screened figures and which were confirmed.</p>"
        f"<p>Rank correlation (Spearman) of {metric}, screen against engine: "
        f"<b>{_number(found.rank_correlation)}</b> over the {found.confirmed} confirmed runs, "
        f"{_number(found.top_rank_correlation)} within the top {screen.top} alone. Of the "
        f"screen's top {screen.top}, {found.top_overlap} are also among the engine's best "
        f"{screen.top} of the confirmed runs.</p>" + verdict
        + table_html(differences.round(6))))
