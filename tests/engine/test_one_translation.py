"""One way to translate: every word a reader sees comes from a words file (engine/results/
labels.yaml, strategies/words.yaml) read through huice.config.language; a missing word raises
instead of showing its key; no code outside that module compares a language; both languages
carry the same placeholders; and the crowding monitor speaks both."""

from __future__ import annotations

import ast
import datetime as dt
import re
import string

import pytest

from huice.config.language import LANGUAGES, MissingWords, in_language
from huice.engine.results.labels import ENGINE_WORDS, config_value, text
from huice.strategies.words import STRATEGY_WORDS
from tests.conftest import EXAMPLES, REPO
from tests.engine.test_report_zh import (
    IDENTIFIERS,
    VisibleText,
    chinese_sentences_with_config_words,
    latin_words,
)

WORD_FILES = (ENGINE_WORDS, STRATEGY_WORDS)
CODE = ("engine", "config", "feeds", "strategies", "src/huice")


def entries(node, path=()):
    """Every (path, entry) of a words file: the mappings holding an ``en`` wording."""
    if isinstance(node, dict) and "en" in node:
        yield path, node
    elif isinstance(node, dict):
        for key, child in node.items():
            yield from entries(child, (*path, str(key)))


# entries whose languages may fill different placeholders, and why
DIFFERENT_PLACEHOLDERS = {
    ("notes", "data_finding"): "the bar check's detail is its own English sentence; a Chinese "
                               "note names the finding's kind instead",
}


def placeholders(wording: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(wording) if name}


@pytest.mark.parametrize("words", WORD_FILES, ids=lambda w: w.path.name)
def test_every_entry_has_both_languages_with_the_same_placeholders(words):
    found = 0
    for path, entry in entries({k: v for k, v in words.tables().items() if k != "groups"}):
        found += 1
        assert set(entry) == set(LANGUAGES), (path, sorted(entry))
        assert all(isinstance(entry[lang], str) for lang in LANGUAGES), path
        if path not in DIFFERENT_PLACEHOLDERS:
            assert placeholders(entry["en"]) == placeholders(entry["zh"]), path
    assert found > 20


def test_a_missing_word_raises_and_names_the_file_and_key():
    with pytest.raises(MissingWords, match=r"labels.yaml: no words for 'columns.no_such_col'"):
        text("columns", "no_such_col", "zh")
    with pytest.raises(MissingWords, match=r"config_values\.board\.mars"):
        config_value("board", "mars", "en")
    with pytest.raises(ValueError, match="language 'fr'"):
        text("words", "year", "fr")
    assert text("words", "year", "zh") == "年份"
    assert config_value("board", "chinext", "zh") == "创业板"


def test_in_language_falls_back_to_the_other_wording():
    assert in_language("zh", en="Electronics", zh="申万电子") == "申万电子"
    assert in_language("zh", en="Electronics", zh="") == "Electronics"
    assert in_language("en", en="", zh="申万电子") == "申万电子"


def compares_a_language(node: ast.AST) -> bool:
    if not isinstance(node, ast.Compare):
        return False
    sides = [node.left, *node.comparators]
    named = any((isinstance(s, ast.Name) and "language" in s.id)
                or (isinstance(s, ast.Attribute) and "language" in s.attr) for s in sides)
    literal = any(isinstance(s, ast.Constant) and s.value in LANGUAGES for s in sides)
    return named or literal


def test_no_code_outside_the_language_module_compares_a_language():
    found = []
    for folder in CODE:
        for path in sorted((REPO / folder).rglob("*.py")):
            if path == REPO / "config" / "language.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found += [f"{path.relative_to(REPO)}:{node.lineno}" for node in ast.walk(tree)
                      if compares_a_language(node)]
    assert found == []


def test_the_check_finds_a_planted_branch():
    planted = ast.parse('x = "每月" if language == "zh" else "monthly"')
    assert any(compares_a_language(node) for node in ast.walk(planted))


def test_config_words_in_a_chinese_sentence_are_found():
    assert chinese_sentences_with_config_words("equal 权重，monthly 于 last 交易日再平衡") \
        == {"equal", "monthly", "last"}
    assert chinese_sentences_with_config_words("按 main 板涨跌停") == {"main"}
    # a YAML setting quoted as such names the config, and an English sentence is English
    assert chinese_sentences_with_config_words("因果回测请设 window: expanding。") == set()
    assert chinese_sentences_with_config_words("equal weights, rebalanced monthly") == set()


@pytest.mark.slow  # the crowding score of 31 industries over the bundled span
def test_the_crowding_monitor_page_speaks_chinese(tmp_path):
    import huice

    config = huice.load_config(EXAMPLES / "industry_rotation.yaml",
                               overrides={"report.language": "zh"})
    huice.monitor_crowding(config, date=dt.date(2025, 3, 18), out=tmp_path / "crowding")
    page = (tmp_path / "crowding" / "report.html").read_text(encoding="utf-8")
    parser = VisibleText()
    parser.feed(page)
    seen = " ".join(parser.parts) + " ".join(re.findall(r'"(?:text|name)": "([^"]*)"', page))
    assert "行业拥挤度监控" in seen and "换手率百分位" in seen and "申万电子" in seen
    assert '<html lang="zh-CN">' in page
    # the research's measurement is named by its file
    assert latin_words(seen) - IDENTIFIERS - {"docs", "strategies", "industry_rotation",
                                              "md"} == set()
    assert chinese_sentences_with_config_words(seen) == set()
