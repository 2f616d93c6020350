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
from huice.engine.sweep.words import metric_name, say

GOOD_AGREEMENT = 0.9  # the rank correlation under which the report warns


def _number(value: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def screen_html(found: Agreement, screen: ScreenConfig, combinations: int,
                seconds: float, language: str = "en") -> str:
    """The "Screen and engine" section, in ``language``."""
    metric = html.escape(metric_name(found.metric, language))
    verdict = (say("screen_good", language, good=GOOD_AGREEMENT)
               if found.rank_correlation >= GOOD_AGREEMENT else
               say("screen_poor", language, rho=_number(found.rank_correlation),
                   good=GOOD_AGREEMENT))
    differences = pd.DataFrame(
        [{"metric": metric_name(name, language), "largest_difference": value}
         for name, value in found.largest_difference.items()])
    return section("screen", say("screen_title", language), (
        "<p>" + say("screen_intro", language, combinations=f"{combinations:,}",
                    seconds=f"{seconds:.1f}", top=screen.top, metric=metric,
                    sample=screen.sample, seed=screen.seed, confirmed=found.confirmed) + "</p>"
        + "<p>" + say("screen_agreement", language, metric=metric,
                      all=_number(found.rank_correlation), confirmed=found.confirmed,
                      top_rho=_number(found.top_rank_correlation), top=screen.top,
                      overlap=found.top_overlap) + "</p>"
        + f"<p>{verdict}</p>" + table_html(differences.round(6), language=language)))
