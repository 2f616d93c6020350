"""Every example's report.html, twins included, under the 2.5 MB line (1.5 MB of it is
plotly.js): the page must open quickly and mail as an attachment. The browser test checks the
sweep's, the walk-forward's and the Chinese pages' sizes as it opens them."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLES
from tests.helpers.example_runs import example_output, shared_root

MAX_REPORT_BYTES = 2_500_000  # issue 22's line: 1.5 MB of it is plotly.js
RUN_CONFIGS = sorted(p for p in EXAMPLES.glob("*.yaml")
                     if not p.stem.startswith(("sweep_", "walk_forward_")))


@pytest.mark.slow
@pytest.mark.parametrize("config", RUN_CONFIGS, ids=lambda p: p.stem)
def test_example_report_is_under_the_size_line(config, tmp_path_factory):
    report = example_output(config, shared_root(tmp_path_factory)) / "report.html"
    size = report.stat().st_size
    assert size < MAX_REPORT_BYTES, f"{config.stem}: {size / 1e6:.2f} MB"
    # and it is a whole page with its charts, not one that got small by losing them
    page = report.read_text(encoding="utf-8")
    assert page.rstrip().endswith("</html>") and 'id="chart-equity"' in page
