"""Config schema and loader: frozen, unknown keys rejected, paths relative to the file."""

from __future__ import annotations

import pydantic
import pytest

from huice.config.errors import ConfigError
from huice.config.loader import load_config
from huice.config.schema import RunConfig


def write(tmp_path, text):
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path


BASE = "name: t\ndata: {catalog: sub/catalog.csv}\nstrategy: {name: x}\n"


def test_paths_resolve_relative_to_the_config_file(tmp_path):
    loaded = load_config(write(tmp_path, BASE))
    assert loaded.config.data.catalog == tmp_path.resolve() / "sub" / "catalog.csv"


def test_config_is_frozen(tmp_path):
    config = load_config(write(tmp_path, BASE)).config
    with pytest.raises(pydantic.ValidationError):
        config.name = "other"


def test_defaults_are_filled():
    config = RunConfig.model_validate({"name": "t", "data": {}, "strategy": {"name": "x"}})
    assert config.broker.execution == "open" and config.broker.costs == "a_share"
    assert config.broker.initial_cash == 1_000_000
    assert config.report.periods_per_year == 252


def test_dated_schedule_must_increase(tmp_path):
    text = BASE + ("broker:\n  asset_classes:\n    stock:\n      stamp_duty:\n"
                   "        - {from: 2023-08-28, rate: 0.0005}\n"
                   "        - {from: 2008-09-19, rate: 0.001}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert "broker.asset_classes.stock.stamp_duty" in str(caught.value)
    assert "strictly increasing" in str(caught.value)


def test_yaml_tags_that_build_objects_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "name: !!python/object/apply:os.system ['true']\n"))


def test_unknown_asset_class_lists_the_allowed(tmp_path):
    text = BASE + "broker:\n  asset_classes:\n    stocks: {lot: 100}\n"
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    message = str(caught.value)
    assert "broker.asset_classes.stocks" in message and "'stock'" in message
