"""What a run must never do to a user's files and figures (issue 10): --out never destroys what
the run did not write, a damaged paper state is an error (never rebuilt), metrics.json is strict
JSON, data gaps are announced, user CSVs get the asset class of their code, and a plugin's name
shows where a registered one would."""

from __future__ import annotations

import html
import json
import re
import shutil
import sqlite3

import pytest

from tests.conftest import DATA, EXAMPLES, run_cli

SMALL = """\
name: small
data:
  start: 2021-01-04
  end: 2021-03-31
strategy:
  name: barbell
  params:
    legs:
      - {symbol: 515180.SH.qfq, weight: 0.5}
      - {symbol: 512100.SH.qfq, weight: 0.5}
"""


@pytest.fixture
def small_config(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


# -- 3. --out ----------------------------------------------------------------------------------
def test_out_naming_a_regular_file_is_refused(tmp_path, small_config):
    target = tmp_path / "notes.txt"
    target.write_text("my notes")
    result = run_cli("backtest", str(small_config), "--out", str(target))
    assert result.code == 2 and "notes.txt: exists and is not a folder" in result.stderr
    assert target.read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "small.yaml"]


def test_out_naming_a_folder_of_other_files_is_refused(tmp_path, small_config):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("\\chapter{One}")
    result = run_cli("backtest", str(small_config), "--out", str(folder))
    assert result.code == 2 and "huice did not write" in result.stderr
    assert (folder / "chapter1.tex").read_text() == "\\chapter{One}"
    assert sorted(p.name for p in folder.iterdir()) == ["chapter1.tex"]


def test_empty_folder_and_earlier_output_are_replaced(tmp_path, small_config):
    folder = tmp_path / "out"
    folder.mkdir()
    assert run_cli("backtest", str(small_config), "--out", str(folder)).code == 0
    assert (folder / ".huice-output").is_file() and (folder / "metrics.json").is_file()
    (folder / "stale.csv").write_text("from an earlier run")
    assert run_cli("backtest", str(small_config), "--out", str(folder)).code == 0
    assert not (folder / "stale.csv").exists()  # the whole earlier output was replaced
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_sweep_refuses_a_foreign_folder(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    config = tmp_path / "sweep.yaml"
    config.write_text(SMALL + "sweep:\n  grid:\n    strategy.params.drift_band: [0.05, 0.1]\n")
    result = run_cli("sweep", str(config), "--workers", "1", "--out", str(folder))
    assert result.code == 2 and "huice did not write" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]


# -- 4. paper state ----------------------------------------------------------------------------
@pytest.fixture
def paper_account(tmp_path):
    config = tmp_path / "paper.yaml"
    text = (EXAMPLES / "paper_barbell_etf.yaml").read_text()
    text = text.replace("../../data/catalog.csv", str(DATA / "catalog.csv"))
    text = text.replace("../../runs/paper/paper_barbell_etf.sqlite", "state.sqlite")
    text = text.replace("start: 2024-01-02", "start: 2024-10-08")
    config.write_text(text)
    assert run_cli("paper", str(config), "--once").code == 0
    return config, tmp_path / "state.sqlite"


def damage(kind: str, state):
    good = state.read_bytes()
    for suffix in ("-wal", "-shm"):
        state.with_name(state.name + suffix).unlink(missing_ok=True)
    if kind == "empty":
        state.write_bytes(b"")
    elif kind == "truncated":
        state.write_bytes(good[:len(good) // 3])
    elif kind == "not sqlite":
        state.write_text("name,value\ncash,100\n")
    elif kind == "malformed":
        state.write_bytes(good[:4096] + b"\xff" * (len(good) - 4096))
    return state.read_bytes()


@pytest.mark.parametrize("kind,message", [
    ("empty", "the paper state file is empty (0 bytes)"),
    ("truncated", "damaged paper state database"),
    ("not sqlite", "not a SQLite database"),
    ("malformed", "damaged paper state database"),
])
@pytest.mark.parametrize("command", ["paper", "paper-status", "paper-report"])
def test_damaged_state_is_an_error_never_rebuilt(paper_account, kind, message, command):
    config, state = paper_account
    before = damage(kind, state)
    # checkpoint the good account first so the damage is in the main file
    extra = ["--once"] if command == "paper" else []
    result = run_cli(command, str(config), *extra)
    assert result.code == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "state.sqlite" in lines[0] and message in lines[0]
    assert "restore it from a backup" in lines[0]
    assert state.read_bytes() == before


def test_status_and_report_never_write_to_the_state(paper_account, tmp_path):
    config, state = paper_account
    db = sqlite3.connect(state)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    before = state.read_bytes()
    assert run_cli("paper-status", str(config)).code == 0
    assert run_cli("paper-report", str(config), "--out", str(tmp_path / "r")).code == 0
    assert state.read_bytes() == before


def test_status_without_an_account_creates_nothing(tmp_path):
    config = tmp_path / "paper.yaml"
    text = (EXAMPLES / "paper_barbell_etf.yaml").read_text()
    text = text.replace("../../data/catalog.csv", str(DATA / "catalog.csv"))
    config.write_text(text.replace("../../runs/paper/paper_barbell_etf.sqlite", "state.sqlite"))
    result = run_cli("paper-status", str(config))
    assert result.code == 2 and "no paper account here yet" in result.stderr
    assert not (tmp_path / "state.sqlite").exists()


# -- 6. strict JSON ----------------------------------------------------------------------------
def test_metrics_json_is_strict_without_a_benchmark(tmp_path, small_config):
    small_config.write_text(SMALL.replace("  end: 2021-03-31\n", "  end: 2021-03-31\n"
                                                                 "  benchmark: null\n"))
    result = run_cli("backtest", str(small_config), "--out", str(tmp_path / "out"))
    assert result.code == 0, result.stderr
    text = (tmp_path / "out" / "metrics.json").read_text()
    metrics = json.loads(text, parse_constant=lambda name: pytest.fail(f"bare {name}"))
    assert metrics["benchmark_return"] is None and metrics["excess_vs_benchmark"] is None
    assert re.search(r"benchmark_return +n/a\n", result.stdout)
    report = (tmp_path / "out" / "report.html").read_text()
    assert 'data-metric="benchmark_return">n/a<' in report
    assert 'data-metric="beta">n/a<' in report


# -- 7. data gaps -----------------------------------------------------------------------------
def test_a_traded_instrument_ending_early_is_announced(tmp_path, small_config):
    small_config.write_text(SMALL.replace("2021-03-31", "2024-12-31")
                            .replace("515180.SH.qfq", "510300.SH"))
    result = run_cli("backtest", str(small_config), "--out", str(tmp_path / "out"))
    assert result.code == 0, result.stderr
    warning = ("510300.SH: its data covers 2021-01-04 .. 2023-06-08 only: it ends 2023-06-08, "
               "before the run's last day 2024-12-31; on the run's days without its bars it "
               "cannot be traded and is valued at its last close")
    assert warning in result.stderr
    assert warning in html.unescape((tmp_path / "out" / "report.html").read_text())
    validate = run_cli("validate", str(small_config))
    assert "510300.SH          2021-01-04 .. 2023-06-08" in validate.stdout
    assert "WARNING: run spans 2021-01-04 .. 2024-12-31" in validate.stdout
    assert "512100.SH.qfq      2021-01-04 .. 2024-12-31" in validate.stdout


# -- 8. asset class of user files ------------------------------------------------------------
def user_file_config(tmp_path, asset_class_line: str) -> str:
    shutil.copy(DATA / "bars" / "510300.SH.csv.gz", tmp_path / "510300.csv.gz")
    return (f"name: user_file\ndata:\n  start: 2020-01-02\n  end: 2023-06-08\n  files:\n"
            f"    510300.SH:\n      path: 510300.csv.gz\n{asset_class_line}"
            "strategy:\n  name: barbell\n  params:\n    legs:\n"
            "      - {symbol: 510300.SH, weight: 1.0}\n")


def test_user_csv_class_is_inferred_from_its_code(tmp_path):
    runs = {}
    for label, line in (("inferred", ""), ("etf", "      asset_class: etf\n"),
                        ("stock", "      asset_class: stock\n")):
        config = tmp_path / f"{label}.yaml"
        config.write_text(user_file_config(tmp_path, line))
        assert run_cli("backtest", str(config), "--out", str(tmp_path / label)).code == 0
        runs[label] = json.loads((tmp_path / label / "metrics.json").read_text())
    assert runs["inferred"]["total_return"] == runs["etf"]["total_return"]
    assert runs["inferred"]["fees"]["transfer_fee"] == 0.0
    assert runs["stock"]["fees"]["transfer_fee"] > 0  # a stock pays the transfer fee, an ETF not
    assert runs["stock"]["total_return"] < runs["etf"]["total_return"]
    report = html.unescape((tmp_path / "inferred" / "report.html").read_text())
    # 510300.SH is an ETF the bundled catalog ships: its class (and board) come from there
    assert "traded as etf (class inferred as the bundled catalog has 510300.SH)" in report


# -- 9. a user's plugin ---------------------------------------------------------------------
PLUGIN = '''
from huice.strategies.base import Strategy


class HoldOne(Strategy):
    description = "buys one lot and holds"

    def symbols(self):
        return ["510300.SH.qfq"]

    def on_bar(self, ctx):
        if ctx.position("510300.SH.qfq") == 0:
            ctx.buy("510300.SH.qfq", 100)
'''


def test_a_users_plugin_has_a_name(tmp_path):
    (tmp_path / "hold.py").write_text(PLUGIN)
    config = tmp_path / "hold.yaml"
    config.write_text("name: hold\ndata: {start: 2021-01-04, end: 2021-02-26}\n"
                      "strategy:\n  name: ./hold.py:HoldOne\n")
    validate = run_cli("validate", str(config))
    assert validate.code == 0, validate.stderr
    assert "valid (strategy HoldOne, 1 instruments)" in validate.stdout
    assert run_cli("backtest", str(config), "--out", str(tmp_path / "out")).code == 0
    assert "Strategy <b>HoldOne</b>" in (tmp_path / "out" / "report.html").read_text()


def test_strategies_lists_defaults_as_json():
    result = run_cli("strategies")
    assert "PydanticUndefined" not in result.stdout
    assert 'legs (default [{"symbol": "000922.CSI", "weight": 0.5}' in result.stdout
