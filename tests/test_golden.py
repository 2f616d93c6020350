"""Golden outputs: every example config's metrics.json and the hashes of its fills.csv,
equity.csv, orders.csv, positions.csv and signals.csv are pinned in tests/golden/, with a small
summary of each file (tests/golden/<example>.summary.csv: row counts, hashes of blocks of rows,
column totals) so that a failure says which file, rows and columns changed. Regenerate only on
purpose with ``pytest tests/test_golden.py --regen-golden`` and review the diff."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import EXAMPLES, run_cli
from tests.helpers.example_runs import example_output, shared_root
from tests.helpers.golden_summary import describe_changes, summarise

GOLDEN = Path(__file__).resolve().parent / "golden"
# the sweep examples are pinned by their base run (the sweeps themselves: tests/integration)
CONFIGS = sorted(EXAMPLES.glob("*.yaml"))
PINNED_FILES = ("fills.csv", "equity.csv", "orders.csv", "positions.csv", "signals.csv")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# the fast tier (make check) pins one example per strategy, run by the engine's own runner;
# make test pins them all, each run by Cerebro and by the engine's runner, byte for byte equal
FAST_TIER = {"drawdown_reversion_801080", "drawdown_reversion_801080_report", "barbell_etf",
             "etf_flow_rotation", "industry_rotation"}


@pytest.mark.parametrize("config", [
    pytest.param(c, marks=() if c.stem in FAST_TIER else pytest.mark.slow) for c in CONFIGS],
    ids=lambda p: p.stem)
def test_example_outputs_match_the_golden_record(config, tmp_path, tmp_path_factory, request):
    regen = request.config.getoption("--regen-golden")
    quick = fast_tier_only(request.config) and not regen
    if quick:  # make check: the engine's own runner's run (make test adds Cerebro's, below)
        out = example_output(config, shared_root(tmp_path_factory))
    else:  # Cerebro, the default runner
        out = tmp_path / "out"
        result = run_cli("backtest", str(config), "--out", str(out))
        assert result.code == 0, result.stderr
    record = {"metrics": json.loads((out / "metrics.json").read_text()),
              "sha256": {name: digest(out / name) for name in PINNED_FILES}}
    golden = GOLDEN / f"{config.stem}.json"
    summary_file = GOLDEN / f"{config.stem}.summary.csv"
    summary = summarise(out, PINNED_FILES)
    if regen:
        golden.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        summary.to_csv(summary_file, index=False, lineterminator="\n")
        pytest.skip(f"regenerated {golden.name}")
    assert golden.is_file(), f"no golden record for {config.name}: run with --regen-golden"
    expected = json.loads(golden.read_text())
    changed = {k: (expected["metrics"].get(k), v) for k, v in record["metrics"].items()
               if expected["metrics"].get(k) != v}
    changed.update({k: (v, None) for k, v in expected["metrics"].items()
                    if k not in record["metrics"]})
    assert not changed, "metrics changed (golden -> now):\n" + "\n".join(
        f"  {k}: {old!r} -> {new!r}" for k, (old, new) in sorted(changed.items()))
    if record["sha256"] != expected["sha256"]:
        before = pd.read_csv(summary_file, dtype=str, keep_default_na=False)
        changes = describe_changes(before, summary, out) or (
            "the hashes differ but the summaries agree: the summaries are older than the "
            "hashes; regenerate both on purpose with --regen-golden")
        changed_files = sorted(k for k, v in record["sha256"].items()
                               if expected["sha256"].get(k) != v)
        pytest.fail(f"outputs changed ({', '.join(changed_files)}):\n{changes}", pytrace=False)
    if not quick:
        # make test: the engine's own runner writes the same bytes as Cerebro, every file, for
        # every example, beside the Cerebro run just made (make check runs the first only)
        # (the fast run is shared with the browser test, which opens its report.html)
        fast = example_output(config, shared_root(tmp_path_factory))
        assert_same_files(out, fast)


def fast_tier_only(config: pytest.Config) -> bool:
    """Whether this session runs the fast tier only (``-m "not slow"``, as make check does)."""
    return "not slow" in (config.getoption("markexpr") or "")


def assert_same_files(cerebro: Path, fast: Path) -> None:
    """Every file of the two runs, byte for byte."""
    names = sorted(p.name for p in cerebro.iterdir())
    assert names == sorted(p.name for p in fast.iterdir())
    for name in names:
        assert (cerebro / name).read_bytes() == (fast / name).read_bytes(), name
