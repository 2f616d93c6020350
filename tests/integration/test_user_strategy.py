"""A user writes a plugin in their own folder and runs it from YAML, as docs/writing-a-strategy.md
says; and a package registers one through the entry-point group."""

from __future__ import annotations

import sys
import textwrap

import pandas as pd
import pytest

from huice.strategies.registry import StrategyRegistry
from tests.conftest import run_cli
from tests.helpers import docs


def doc_block(language: str, index: int) -> str:
    return docs.doc_block("writing-a-strategy.md", language, index)


@pytest.fixture
def user_folder(tmp_path):
    (tmp_path / "ma_cross.py").write_text(doc_block("python", 0))
    (tmp_path / "my_run.yaml").write_text(doc_block("yaml", 0))
    yield tmp_path
    sys.modules.pop("ma_cross", None)


@pytest.mark.parametrize("reference", ["ma_cross:MaCross", "./ma_cross.py:MaCross"])
def test_plugin_from_a_users_folder_runs_from_yaml(user_folder, reference, tmp_path_factory):
    config = user_folder / "my_run.yaml"
    config.write_text(config.read_text().replace("ma_cross:MaCross", reference))
    elsewhere = tmp_path_factory.mktemp("cwd")  # run from another folder: found next to the YAML
    result = run_cli("backtest", str(config), "--out", str(user_folder / "out"), cwd=elsewhere)
    assert result.code == 0, result.stderr
    fills = pd.read_csv(user_folder / "out" / "fills.csv")
    signals = pd.read_csv(user_folder / "out" / "signals.csv")
    assert len(fills) >= 4 and {"fast", "slow"} <= set(signals.columns)
    assert (fills["quantity"] % 100 == 0).all()


def test_misspelt_user_param_names_the_yaml_line(user_folder):
    config = user_folder / "my_run.yaml"
    config.write_text(config.read_text().replace("fast_days: 20", "fast_day: 20"))
    result = run_cli("validate", str(config))
    assert result.code == 2
    assert "my_run.yaml:9: strategy.params.fast_day: unknown key 'fast_day'; did you mean " \
           "'fast_days'?" in result.stderr


def test_entry_point_group_registers_an_installed_strategy(tmp_path, monkeypatch):
    package = tmp_path / "site"
    (package / "userpkg").mkdir(parents=True)
    (package / "userpkg" / "__init__.py").write_text("")
    (package / "userpkg" / "cross.py").write_text(doc_block("python", 0))
    dist = package / "userpkg-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: userpkg\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent("""\
        [huice.strategies]
        ma_cross_pkg = userpkg.cross:MaCross
        """))
    monkeypatch.syspath_prepend(str(package))
    registry = StrategyRegistry()
    assert "ma_cross_pkg" in registry.names()
    assert registry.resolve("ma_cross_pkg").__name__ == "MaCross"
    sys.modules.pop("userpkg.cross", None)
    sys.modules.pop("userpkg", None)


def test_registry_refuses_duplicate_names():
    from huice.config.errors import RegistryError
    from huice.strategies.base import Strategy

    registry = StrategyRegistry()
    registry.add("same", type("A", (Strategy,), {}))
    with pytest.raises(RegistryError, match="registered twice"):
        registry.add("same", type("B", (Strategy,), {}))
