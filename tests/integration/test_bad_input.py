"""Bad configs and bad data files: exit code 2, a one-line message naming the file and the
problem, and no output written."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tests.conftest import DATA, REPO, run_cli

GOOD = """\
name: bad_input_case
data:
  start: 2012-01-04
  end: 2013-12-31
strategy:
  name: drawdown_reversion
  params:
    target: 801080.SI
    window: expanding
    min_history_days: 100
broker:
  execution: open
"""


def real_rows(symbol: str, count: int = 60) -> list[str]:
    """The header and first ``count`` rows of a bundled bar file (2012 onwards)."""
    with gzip.open(DATA / f"bars/{symbol}.csv.gz", "rt") as handle:
        lines = handle.read().splitlines()
    header, body = lines[0], [line for line in lines[1:] if line >= "2012-01-04"]
    return [header] + body[:count]


def with_data_file(tmp: Path, rows: list[str]) -> str:
    (tmp / "bars.csv").write_text("\n".join(rows) + "\n")
    return GOOD.replace("data:\n", "data:\n  files:\n    801080.SI:\n      path: bars.csv\n"
                                   "      asset_class: index\n")


def corrupt(column: str, value: str, row: int = 10):
    def build(tmp: Path) -> str:
        rows = real_rows("801080.SI")
        header = rows[0].split(",")
        cells = rows[row].split(",")
        cells[header.index(column)] = value
        rows[row] = ",".join(cells)
        return with_data_file(tmp, rows)
    return build


def swap_rows(tmp: Path) -> str:
    rows = real_rows("801080.SI")
    rows[5], rows[6] = rows[6], rows[5]
    return with_data_file(tmp, rows)


def duplicate_row(tmp: Path) -> str:
    rows = real_rows("801080.SI")
    rows.insert(8, rows[7])
    return with_data_file(tmp, rows)


def drop_column(tmp: Path) -> str:
    rows = [",".join(r.split(",")[:4] + r.split(",")[5:]) for r in real_rows("801080.SI")]
    return with_data_file(tmp, rows)


def garbled_gzip(tmp: Path) -> str:
    """A gzip header followed by bytes that do not inflate (zlib.error inside pandas)."""
    (tmp / "bars.csv.gz").write_bytes(gzip.compress(b"date,open,high,low,close\n" * 50)[:20]
                                      + bytes(range(256)) * 4)
    return GOOD.replace("data:\n", "data:\n  files:\n    801080.SI:\n      path: bars.csv.gz\n"
                                    "      asset_class: index\n")


def text(replacement: str):
    return lambda tmp: replacement


def replace(old: str, new: str):
    def build(tmp: Path) -> str:
        assert old in GOOD
        return GOOD.replace(old, new)
    return build


CASES = {
    # YAML and schema
    "not yaml": (text("name: x\ndata: [unclosed\n"), ["not valid YAML", "run.yaml:3"]),
    "top level list": (text("- a\n- b\n"), ["top level must be a mapping"]),
    "misspelt top key": (replace("strategy:", "stratgy:"),
                         ["unknown key 'stratgy'", "did you mean 'strategy'"]),
    "share out of range": (replace("    window: expanding", "    share: 1.5\n    window: expanding"),
                           ["run.yaml:9: strategy.params.share: must be in (0, 1], got 1.5"]),
    "unknown param": (replace("    window: expanding", "    windw: expanding"),
                      ["strategy.params.windw", "did you mean 'window'"]),
    "unknown strategy": (replace("name: drawdown_reversion", "name: drawdown_reversoin"),
                         ["unknown strategy 'drawdown_reversoin'", "did you mean "
                                                                   "'drawdown_reversion'"]),
    "bad execution": (replace("execution: open", "execution: opne"),
                      ["broker.execution", "must be one of", "did you mean 'open'"]),
    "start after end": (replace("end: 2013-12-31", "end: 2011-12-31"), ["is after end"]),
    "duplicate key": (replace("broker:\n", "broker:\n  initial_cash: 5\n  initial_cash: 6\n"),
                      ["duplicate key 'initial_cash'"]),
    "negative cash": (replace("broker:\n", "broker:\n  initial_cash: -5\n"),
                      ["broker.initial_cash: must be > 0, got -5"]),
    "missing name": (replace("name: bad_input_case\n", ""), ["name: is required"]),
    "bad slippage kind": (replace("broker:\n", "broker:\n  slippage: {kind: pct}\n"),
                          ["broker.slippage.kind", "must be one of"]),
    "override for absent instrument": (
        replace("broker:\n", "broker:\n  instruments:\n    510300.SH: {lot: 100}\n"),
        ["broker.instruments[510300.SH]", "not an instrument of this run"]),
    "unimportable strategy module": (replace("name: drawdown_reversion", "name: nosuch.module:X"),
                                     ["cannot import 'nosuch.module'"]),
    "unknown symbol": (replace("target: 801080.SI", "target: 801081.SI"),
                       ["unknown symbol '801081.SI'", "did you mean 801080.SI"]),
    "missing catalog": (replace("data:\n", "data:\n  catalog: nowhere/catalog.csv\n"),
                        ["catalog file not found", "nowhere/catalog.csv"]),
    "empty window": (replace("start: 2012-01-04\n  end: 2013-12-31", "start: 2030-01-04"),
                     ["run.yaml:3: data.start: no bars for", "2030-01-04 is after the last bar",
                      "(its data covers 1999-12-30 .. 2026-02-26)"]),
    "unknown symbol at its line": (replace("target: 801080.SI", "target: 801081.SI"),
                                   ["run.yaml:8: strategy.params.target: unknown symbol"]),
    "name pattern keeps its regex": (replace("name: bad_input_case", "name: bad case"),
                                     ["should match pattern '^[A-Za-z0-9_.\\-]+$'"]),
    "yaml alias bomb": (lambda tmp: GOOD + "".join(
        ["x0: &a0 [a, b, c, d, e, f, g, h, i]\n"]
        + [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)]),
        ["YAML aliases expand this config past 20,000 nodes"]),
    "garbled gzip": (garbled_gzip, ["bars.csv.gz", "cannot read as gzip CSV"]),
    "n/a close is not a number": (corrupt("close", "n/a"), ["bars.csv:11", "close 'n/a' is not a number"]),
    "unclassifiable code": (lambda tmp: with_data_file(tmp, real_rows("801080.SI")).replace(
        "801080.SI", "MYIDX").replace("      asset_class: index\n", ""),
        ["data.files[MYIDX].asset_class", "cannot tell the asset class of 'MYIDX'"]),
    # data files
    "data file missing": (lambda tmp: GOOD.replace(
        "data:\n", "data:\n  files:\n    801080.SI: {path: none.csv}\n"),
        ["none.csv", "data file not found"]),
    "unsorted dates": (swap_rows, ["bars.csv:7", "sorted"]),
    "duplicate date": (duplicate_row, ["bars.csv:9", "duplicate date"]),
    "high below close": (corrupt("high", "1.0"), ["bars.csv:11", "high >= max(open, close)"]),
    "missing close": (corrupt("close", ""), ["bars.csv:11", "close is missing"]),
    "negative volume": (corrupt("volume", "-100"), ["bars.csv:11", "volume >= 0"]),
    "text price": (corrupt("open", "abc"), ["bars.csv:11", "open 'abc' is not a number"]),
    "zero price": (corrupt("low", "0"), ["bars.csv:11", "positive prices"]),
    "bad date": (corrupt("date", "2012-13-45"), ["bars.csv:11", "is not a date"]),
    "missing column": (drop_column, ["bars.csv:1", "missing column(s) close"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_exits_2_with_a_clear_message(tmp_path, case):
    build, expected = CASES[case]
    config = tmp_path / "run.yaml"
    config.write_text(build(tmp_path))
    out = tmp_path / "out"
    result = run_cli("backtest", str(config), "--out", str(out))
    assert result.code == 2, result.stderr
    message = result.stderr.strip()
    assert message.startswith("error: "), message
    assert len(message.splitlines()) <= 2, message
    assert "Traceback" not in message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    # the message names a file: the config or a data/catalog file
    assert any(name in message for name in ("run.yaml", "bars.csv", ".csv")), message
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_missing_config_file(tmp_path):
    result = run_cli("validate", str(tmp_path / "absent.yaml"))
    assert result.code == 2
    assert "absent.yaml" in result.stderr and "config file not found" in result.stderr


def test_verbose_adds_traceback(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(GOOD.replace("execution: open", "execution: opne"))
    result = run_cli("validate", str(config), "-v")
    assert result.code == 2
    assert "Traceback" in result.stderr


# -- messages that say what happened and what to do (issue 20, point 8) --------------------
def test_an_impossible_date_is_one_line_naming_the_yaml_line(tmp_path):
    config = tmp_path / "bad_date.yaml"
    config.write_text("name: bad_date\ndata:\n  start: 2013-02-30\n  end: 2014-01-01\n"
                      "strategy:\n  name: drawdown_reversion\n  params: {target: 801080.SI}\n")
    result = run_cli("validate", str(config))
    assert result.code == 2 and "Traceback" not in result.stderr
    assert (f"{config}:3: data.start: '2013-02-30' is not a date (day is out of range for "
            "month); write dates as YYYY-MM-DD") in result.stderr


def test_a_missing_default_benchmark_says_where_it_comes_from(tmp_path):
    catalog = tmp_path / "catalog.csv"
    rows = [line for line in (REPO / "data/catalog.csv").read_text().splitlines()
            if line.startswith(("symbol,", "801080.SI", "801050.SI"))]
    catalog.write_text("\n".join(r.replace("bars/", str(REPO / "data/bars") + "/")
                                 for r in rows) + "\n")
    config = tmp_path / "run.yaml"
    config.write_text("name: nobench\ndata:\n  catalog: catalog.csv\n  start: 2015-01-05\n"
                      "  end: 2016-12-30\nstrategy:\n  name: drawdown_reversion\n"
                      "  params: {target: 801080.SI, reference: 801050.SI}\n")
    result = run_cli("backtest", str(config), "--out", str(tmp_path / "out"))
    assert result.code == 2 and not (tmp_path / "out").exists()
    assert "unknown symbol '000300.SH'" in result.stderr
    assert "it is the default data.benchmark (000300.SH), which this config does not set" \
        in result.stderr and "benchmark: null" in result.stderr


def test_a_run_shorter_than_asked_says_why(tmp_path):
    weights = tmp_path / "w.csv"
    weights.write_text("date,symbol,weight\n2019-12-31,510300.SH,1.0\n")
    config = tmp_path / "late.yaml"
    config.write_text(f"name: late\ndata:\n  start: 2012-01-04\n  end: 2030-12-31\n"
                      f"  benchmark: null\nstrategy:\n  name: target_weights\n"
                      f"  params: {{path: {weights}}}\n")
    result = run_cli("validate", str(config))
    assert result.code == 0
    assert ("The run starts 2012-05-28 (the first day any of its instruments has a bar), not at "
            "data.start 2012-01-04 and ends 2023-06-08 (the last day any of its instruments has "
            "a bar), not at data.end 2030-12-31") in result.stdout
    assert "dilute" not in result.stdout
