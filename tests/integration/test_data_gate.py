"""One data gate for every door a bar enters by (issue 31): real bundled bars of 510500.SH
(unadjusted) and 000300.SH with one fault planted at a time (a bar x10, a Saturday bar, a
dropped bar, a stale bar, a benchmark bar x10), through each door: a backtest on
``data.files``, a backtest on a catalog, a sweep, ``huice.backtest`` with frames, a paper
account's first step and its evening step. Each gives the same finding, worded the same way
(the sentence of feeds/quality.py), and the documented treatment under each policy."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

import huice
from huice.config.errors import HuiceError
from tests.conftest import DATA, run_cli

TRADED, BENCHMARK = "510500.SH", "000300.SH"
START, END = "2021-01-04", "2021-04-30"
FAULT_DAY = "2021-03-10"  # a Wednesday, with bars on both sides

def real_bars(symbol: str) -> pd.DataFrame:
    with gzip.open(DATA / f"bars/{symbol}.csv.gz", "rt") as handle:
        frame = pd.read_csv(handle)
    return frame[(frame["date"] >= START) & (frame["date"] <= END)].reset_index(drop=True)


def _bar(symbol: str, day: str) -> pd.Series:
    frame = real_bars(symbol)
    return frame[frame["date"] == day].iloc[0]


def _tick_half_up(price: float) -> float:
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(repr(float(price))).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def details() -> dict[str, str]:
    """What each fault's finding says, in every door, worked out here from the raw bars: the
    previous close, the day's limits at 10% rounded half up to the 0.001 tick."""
    bar, before = _bar(TRADED, FAULT_DAY), _bar(TRADED, "2021-03-09")
    up, down = _tick_half_up(before.close * 1.1), _tick_half_up(before.close * 0.9)
    index, index_before = _bar(BENCHMARK, FAULT_DAY), _bar(BENCHMARK, "2021-03-09")
    ratio = index.close * 10 / index_before.close
    return {
        "x10": f"open {bar.open * 10:g} and close {bar.close * 10:g} beyond the day's limits "
               f"{down:g} .. {up:g} from the previous close {before.close:g} and no dividend "
               "or split that day explains it",
        "saturday": "a bar dated on a day the exchange did not trade (a weekend or a holiday)",
        "dropped": "no bar, though the source has later ones: a dropped bar, or a suspension",
        "stale": "the bar repeats 2021-03-09's exactly (open, high, low, close and volume): a "
                 "stale bar under a new date",
        "benchmark_x10": f"close {index.close * 10:g} is {ratio:.3g}x the previous close "
                         f"{index_before.close:g}, and it has no price limit to explain it",
    }


DETAILS = details()
KINDS = {"x10": "limit_jump", "saturday": "not_trading_day", "dropped": "missing",
         "stale": "stale", "benchmark_x10": "magnitude"}
FAULT_ON = {"x10": TRADED, "saturday": TRADED, "dropped": TRADED, "stale": TRADED,
            "benchmark_x10": BENCHMARK}


def faulty(fault: str) -> dict[str, pd.DataFrame]:
    frames = {TRADED: real_bars(TRADED), BENCHMARK: real_bars(BENCHMARK)}
    frame = frames[FAULT_ON[fault]]
    at = int(frame.index[frame["date"] == FAULT_DAY][0])
    if fault in ("x10", "benchmark_x10"):
        for column in ("open", "high", "low", "close"):
            frame.loc[at, column] = frame.loc[at, column] * 10
    elif fault == "saturday":
        row = frame.iloc[[at]].copy()
        row["date"] = "2021-03-13"
        frame = pd.concat([frame.iloc[:at + 3], row, frame.iloc[at + 3:]], ignore_index=True)
    elif fault == "dropped":
        frame = frame.drop(index=at).reset_index(drop=True)
    elif fault == "stale":
        for column in ("open", "high", "low", "close", "volume", "amount"):
            frame.loc[at, column] = frame.loc[at - 1, column]
    frames[FAULT_ON[fault]] = frame
    return frames


def write(folder: Path, frames: dict[str, pd.DataFrame]) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for symbol, frame in frames.items():
        paths[symbol] = folder / f"{symbol}.csv"
        frame.to_csv(paths[symbol], index=False, lineterminator="\n")
    return paths


def orders_file(folder: Path) -> Path:
    path = folder / "orders.csv"
    path.write_text(f"date,symbol,side,quantity\n2021-01-04,{TRADED},buy,20000\n"
                    f"2021-04-01,{TRADED},sell,20000\n")
    return path


def config_for(folder: Path, data: dict, **extra) -> dict:
    return {"name": "gate", "data": {"start": START, "end": END, "benchmark": BENCHMARK, **data},
            "strategy": {"name": "orders", "params": {"path": str(orders_file(folder))}},
            **extra}


def files_config(tmp_path: Path, fault: str, **data) -> dict:
    paths = write(tmp_path / "bars", faulty(fault))
    return config_for(tmp_path, {"files": {s: str(p) for s, p in paths.items()}, **data})


def catalog_config(tmp_path: Path, fault: str, **data) -> dict:
    paths = write(tmp_path / "market" / "bars", faulty(fault))
    bundled = pd.read_csv(DATA / "catalog.csv")
    rows = bundled[bundled["symbol"].isin(list(paths))].copy()
    rows["path"] = [f"bars/{s}.csv" for s in rows["symbol"]]
    rows.to_csv(tmp_path / "market" / "catalog.csv", index=False)
    return config_for(tmp_path, {"catalog": str(tmp_path / "market" / "catalog.csv"), **data})


@pytest.mark.parametrize("fault", sorted(DETAILS))
@pytest.mark.parametrize("door", ["files", "catalog", "frames"])
def test_each_fault_is_found_the_same_way_through_each_backtest_door(tmp_path, fault, door):
    """Refused (the jumps and the non-trading day in every policy, the rest under strict) or
    listed (warn), with the same sentence; refusals name the file and line for a file."""
    frames = faulty(fault)
    if door == "files":
        config = files_config(tmp_path, fault)
    elif door == "catalog":
        config = catalog_config(tmp_path, fault)
    else:
        config = config_for(tmp_path, {})
    run = (lambda c: huice.backtest(c, frames=frames)) if door == "frames" else huice.backtest
    symbol = FAULT_ON[fault]
    day = "2021-03-13" if fault == "saturday" else FAULT_DAY
    expected = f"{day} {symbol}: {DETAILS[fault]}"
    if KINDS[fault] in ("limit_jump", "not_trading_day", "magnitude"):
        with pytest.raises(HuiceError) as refused:
            run(config)
        assert expected in str(refused.value)
        if door != "frames":
            assert f"{symbol}.csv" in str(refused.value)
        # accepted as real, a x10 bar makes the next (true) bar a jump from it: both named
        days = [day] if fault == "saturday" else [day, "2021-03-11"]
        accepted = {**config, "data": {**config["data"], "accept": [
            {"symbol": symbol, "date": d, "as": "drop" if fault == "saturday" else "bar"}
            for d in days]}}
        result = run(accepted)
        assert result.metrics.data_findings[KINDS[fault]] == 0
        if fault == "saturday":  # left out: the week's five trading days only
            assert "2021-03-13" not in result.equity.index.strftime("%Y-%m-%d")
        return
    result = run(config)
    assert result.metrics.data_findings[KINDS[fault]] == 1
    assert any(expected in note for note in result.notes)
    if fault == "dropped":  # a suspension: the day is there, valued at the last close
        row = result.equity.loc[FAULT_DAY]
        assert row["holdings"] == result.equity.loc["2021-03-09", "holdings"]
    strict = {**config, "data": {**config["data"], "quality": "strict"}}
    with pytest.raises(HuiceError) as refused:
        run(strict)
    assert expected in str(refused.value) and "data.quality is strict" in str(refused.value)


def test_the_cli_refuses_with_exit_2_naming_the_file_and_line(tmp_path):
    config = files_config(tmp_path, "x10")
    path = tmp_path / "run.yaml"
    path.write_text(json.dumps(config))
    result = run_cli("backtest", str(path), "--out", str(tmp_path / "out"))
    assert result.code == 2
    line = int(faulty("x10")[TRADED].index[faulty("x10")[TRADED]["date"] == FAULT_DAY][0]) + 2
    assert f"{TRADED}.csv:{line}:" in result.stderr and DETAILS["x10"] in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_sweep_reports_the_finding_in_its_runs(tmp_path):
    config = files_config(tmp_path, "x10")
    config["sweep"] = {"grid": {"broker.slippage.value": [0.0, 0.001]}}
    config["broker"] = {"slippage": {"kind": "percent", "value": 0.0}}
    frame = huice.sweep(config, workers=1, out=tmp_path / "sweep")
    assert set(frame["status"]) == {"error"}
    assert all(DETAILS["x10"] in error for error in frame["error"])
    path = tmp_path / "sweep.yaml"
    path.write_text(json.dumps(config))
    cli = run_cli("sweep", str(path), "--out", str(tmp_path / "cli"))
    assert cli.code == 2 and "error: all 2 runs failed; the first: " in cli.stderr
    assert DETAILS["x10"] in cli.stderr and (tmp_path / "cli" / "results.csv").exists()
    config["data"]["accept"] = [{"symbol": TRADED, "date": d, "as": "bar"}
                                for d in (FAULT_DAY, "2021-03-11")]
    assert set(huice.sweep(config, workers=1, out=tmp_path / "sweep2")["status"]) == {"ok"}


def test_a_sweeps_workers_log_each_finding_once(tmp_path):
    """The parent gates every market before the workers fork; they inherit what it logged."""
    config = files_config(tmp_path, "dropped")
    config["sweep"] = {"grid": {"broker.slippage.value": [0.0, 0.001, 0.002, 0.003]}}
    config["broker"] = {"slippage": {"kind": "percent", "value": 0.0}}
    path = tmp_path / "sweep.yaml"
    path.write_text(json.dumps(config))
    result = run_cli("sweep", str(path), "--workers", "2", "--out", str(tmp_path / "out"))
    assert result.code == 0, result.stderr
    summaries = [line for line in result.stderr.splitlines() if "finding(s) in the bars" in line]
    assert summaries == ["WARNING data: 1 finding(s) in the bars: 1 missing (a missing bar is a "
                         "suspension; -v lists each, metrics.json counts them)"]
    rows = pd.read_csv(tmp_path / "out" / "results.csv")
    assert len(rows) == 4 and (rows["status"] == "ok").all()


def paper_files(tmp_path: Path, fault: str, start: str) -> Path:
    config = files_config(tmp_path, fault)
    config["paper"] = {"state": "state/paper.sqlite", "poll_seconds": 0,
                       "source": {"kind": "replay", "start": start, "days_per_poll": 5}}
    path = tmp_path / "paper.yaml"
    path.write_text(json.dumps(config))
    return path


@pytest.mark.parametrize("fault", sorted(DETAILS))
def test_a_paper_accounts_first_step_is_gated_like_its_evenings(tmp_path, fault):
    """The fault inside the history of the first step: refused with exit 3 and nothing booked
    (jumps, a non-trading day), or booked as a backtest books it (a dropped or stale bar under
    warn); the same fault on an evening step: exit 3 with the same sentence."""
    day = "2021-03-13" if fault == "saturday" else FAULT_DAY
    config = paper_files(tmp_path / "first", fault, start="2021-04-01")
    result = run_cli("paper", str(config), "--once")
    state = tmp_path / "first" / "state" / "paper.sqlite"
    if KINDS[fault] in ("limit_jump", "not_trading_day", "magnitude"):
        assert result.code == 3, result.stderr
        assert f"gate: {day} {FAULT_ON[fault]}: {DETAILS[fault]}" in result.stderr
        assert huice.paper_status(config).last_bar is None  # nothing booked
    else:
        assert result.code == 0, result.stderr
        assert state.exists()
    evening = paper_files(tmp_path / "evening", fault, start="2021-03-01")
    result = run_cli("paper", str(evening), "--once")
    while result.code == 0 and huice.paper_status(evening).last_bar < day:
        result = run_cli("paper", str(evening), "--once")
    if fault == "saturday":  # the gate names the day, not a symbol
        assert result.code == 3 and f"gate: {day} *: {DETAILS[fault]}" in result.stderr
    else:
        assert result.code == 3 and f"gate: {day} {FAULT_ON[fault]}: {DETAILS[fault]}" \
            in result.stderr, result.stderr


def test_a_single_instrument_suspension_has_every_trading_day(tmp_path):
    """A stock with no bars on two exchange days (a backtrader strategy, whose Cerebro skips
    days none of its feeds has): one equity row per trading day, and its figures equal an
    independent computation over those days."""
    frame = real_bars(TRADED)
    frame = frame[~frame["date"].isin(["2021-03-10", "2021-03-11"])]
    paths = write(tmp_path / "bars", {TRADED: frame})
    strategy = tmp_path / "hold.py"
    strategy.write_text("import backtrader as bt\n\nclass Hold(bt.Strategy):\n"
                        "    def next(self):\n        if not self.position:\n"
                        "            self.buy(size=10000)\n")
    config = {"name": "suspended", "data": {"files": {TRADED: str(paths[TRADED])},
                                            "benchmark": None},
              "strategy": {"name": f"{strategy}:Hold", "instruments": [TRADED]},
              "broker": {"costs": "none"}}
    result = huice.backtest(config)
    calendar = pd.read_csv(DATA / "calendar.csv.gz")["date"]
    days = calendar[(calendar >= frame["date"].iloc[0]) & (calendar <= frame["date"].iloc[-1])]
    assert result.equity.index.strftime("%Y-%m-%d").tolist() == days.tolist()
    assert result.metrics.bars == len(days) == len(frame) + 2
    closes = frame.set_index("date")["close"].reindex(days.tolist()).ffill()
    buy_price = frame["open"].iloc[1]  # bought at the second bar's open, cash aside
    equity = 1_000_000 - 10000 * buy_price + 10000 * closes.iloc[1:]
    assert result.equity["equity"].iloc[1:].round(2).tolist() == equity.round(2).tolist()
    invested = (result.equity["holdings"] > 0).mean()
    assert result.metrics.exposure == pytest.approx(invested) == pytest.approx(
        (len(days) - 1) / len(days))
    assert result.metrics.data_findings["missing"] == 2


def test_data_files_takes_a_plain_path(tmp_path):
    paths = write(tmp_path / "bars", {TRADED: real_bars(TRADED)})
    config = config_for(tmp_path, {"files": {TRADED: str(paths[TRADED])}, "benchmark": None})
    assert huice.backtest(config).metrics.bars == len(real_bars(TRADED))


def test_the_checks_run_once_per_content_of_the_bars(tmp_path, monkeypatch):
    """A second backtest on the same bytes checks nothing again (the findings are kept by the
    bars' content); an edited file is checked anew."""
    from huice.engine.run import data_gate
    from huice.feeds import quality

    calls = []
    real = quality.series_findings

    def counting(symbol, *args, **kwargs):
        calls.append(symbol)
        return real(symbol, *args, **kwargs)

    monkeypatch.setattr(data_gate.quality, "series_findings", counting)
    data_gate._kept.clear()
    config = files_config(tmp_path, "dropped")
    first = huice.backtest(config).metrics.data_findings
    assert sorted(calls) == [BENCHMARK, TRADED]
    assert huice.backtest(config).metrics.data_findings == first
    assert sorted(calls) == [BENCHMARK, TRADED]  # nothing checked again
    path = Path(config["data"]["files"][TRADED])
    frame = pd.read_csv(path)
    frame.loc[5, "volume"] = frame.loc[5, "volume"] + 1
    frame.to_csv(path, index=False)
    huice.backtest(config)
    assert sorted(calls) == [BENCHMARK, TRADED, TRADED]
