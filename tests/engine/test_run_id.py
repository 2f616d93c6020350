"""A run's id names what it computed, not where its files live: the same config and data
give the same id from any checkout, any paper state path and any data folder."""

from __future__ import annotations

import pytest

import huice
from tests.conftest import EXAMPLES


def test_run_id_ignores_where_state_and_data_live(tmp_path):
    config = EXAMPLES / "paper_barbell_etf.yaml"
    here = huice.backtest(huice.load_config(config)).run_id
    elsewhere = huice.backtest(huice.load_config(config, overrides={
        "paper.state": str(tmp_path / "somewhere" / "else.sqlite"),
        "paper.log_file": str(tmp_path / "log.txt")})).run_id
    assert here == elsewhere


def test_run_id_changes_with_what_is_computed():
    config = EXAMPLES / "paper_barbell_etf.yaml"
    base = huice.backtest(huice.load_config(config)).run_id
    other = huice.backtest(huice.load_config(
        config, overrides={"strategy.params.drift_band": 0.06})).run_id
    assert base != other


def test_report_language_changes_neither_the_run_id_nor_a_paper_account():
    """Accounts created before report.language existed keep opening: the wording of the
    report is not part of what identifies a run or an account."""
    from huice.engine.paper.trader import account_config_hash

    config = EXAMPLES / "paper_barbell_etf.yaml"
    english, chinese = (huice.load_config(config, overrides={"report.language": language})
                        for language in ("en", "zh"))
    assert account_config_hash(english) == account_config_hash(chinese)
    assert huice.backtest(english).run_id == huice.backtest(chinese).run_id
    other = huice.load_config(config, overrides={"report.risk_free_rate": 0.02})
    assert account_config_hash(other) != account_config_hash(english)


def _account_hash_before_the_schema_marks(config) -> str:
    """The account identity as huice computed it by hand before the schema marked it (the
    oracle: accounts created then must keep opening)."""
    import hashlib
    import json

    from huice.config.overrides import config_tree

    tree = config_tree(config, exclude={"paper", "sweep"})
    tree["data"].pop("end", None)
    tree.pop("runner", None)
    tree.get("report", {}).pop("language", None)
    tree.get("report", {}).pop("colors", None)  # added later and left out, as language is
    tree["data"].pop("quality", None)  # added later: a policy, never part of an account
    if not tree["data"].get("accept"):
        tree["data"].pop("accept", None)  # added later, and left out while empty
    if not tree["data"].get("nav_lag_days"):
        tree["data"].pop("nav_lag_days", None)  # the same
    if not tree.get("broker", {}).get("st_history"):
        tree.get("broker", {}).pop("st_history", None)  # the same
    if not tree["strategy"].get("instruments"):
        tree["strategy"].pop("instruments", None)
    return hashlib.sha256(json.dumps(tree, sort_keys=True).encode()).hexdigest()[:16]


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_identity_is_marked_once_in_the_schema_and_both_hashes_read_it(example):
    """Every example's account keeps the hash it had before the marks existed (accounts created
    then keep opening), and each mark does what it says for both identities."""
    import huice
    from huice.config.identity import identity_tree
    from huice.config.overrides import config_tree
    from huice.config.schema import RunConfig
    from huice.engine.paper.trader import account_config_hash

    config = huice.load_config(EXAMPLES / example)
    assert account_config_hash(config) == _account_hash_before_the_schema_marks(config)
    tree = config_tree(config)
    run = identity_tree(RunConfig, tree, "run")
    account = identity_tree(RunConfig, tree, "account")
    assert "catalog" not in run["data"] and "language" not in run["report"]
    assert "runner" not in run and "runner" not in account
    assert "paper" not in account and "sweep" not in account and "end" not in account["data"]
    assert "language" not in account["report"]
    if config.paper is not None:
        assert "state" not in run["paper"] and "log_file" not in run["paper"]
    assert run["data"].get("end") == tree["data"].get("end")  # a run's span is what it computed
