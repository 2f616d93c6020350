"""The golden summaries point at what changed."""

from __future__ import annotations

import pandas as pd

from tests.helpers.golden_summary import describe_changes, summarise


def test_a_changed_row_is_located_and_its_column_totals_shown(tmp_path):
    frame = pd.DataFrame({"date": [f"2024-01-{d:02d}" for d in range(1, 31)],
                          "price": [1.0 + d / 100 for d in range(30)], "tag": ["x"] * 30})
    frame.to_csv(tmp_path / "fills.csv", index=False)
    before = summarise(tmp_path, ("fills.csv",))
    frame.loc[17, "price"] = 9.99
    frame.to_csv(tmp_path / "fills.csv", index=False)
    after = summarise(tmp_path, ("fills.csv",))
    text = describe_changes(before, after, tmp_path)
    assert "fills.csv: rows 30 -> 30" in text
    assert "total price: " in text and "9.99" in text
    assert "first changed rows: 0..19" in text
    assert any(line.split() == ["2024-01-18", "9.99", "x"] for line in text.splitlines())
    assert describe_changes(before, before, tmp_path) == ""
