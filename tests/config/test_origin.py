"""Where a config came from is carried beside it, never written into the frozen model: two equal
configs from two files keep two origins, and a config from code has the current folder's."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import huice
from huice.config.origin import origin_of
from tests.conftest import REPO

EXAMPLE = REPO / "config/examples/barbell_etf.yaml"


def test_two_equal_configs_from_two_files_keep_their_own_origin(tmp_path: Path):
    copy = tmp_path / "copy.yaml"
    copy.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        "../../data", str(REPO / "data")), encoding="utf-8")
    first, second = huice.load_config(EXAMPLE), huice.load_config(copy)
    assert origin_of(first).source == str(EXAMPLE)
    assert origin_of(second).source == str(copy)
    assert origin_of(first).base_dir == EXAMPLE.parent
    assert not first.__pydantic_private__  # nothing set on the model itself
    with pytest.raises(ValidationError):  # frozen
        first.name = "other"  # type: ignore[misc]


def test_a_config_from_code_has_the_current_folder():
    config = huice.load_config(huice.load_config(EXAMPLE).model_dump(mode="json"))
    assert origin_of(config).source is None and origin_of(config).base_dir == Path.cwd()
