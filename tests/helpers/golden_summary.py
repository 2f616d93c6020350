"""Small canonical summaries of a run's CSV files, kept beside the golden hashes so that a
golden failure says which file, which rows and which columns changed.

Per file: its row count, the hash of each block of ``BLOCK`` rows, and the total of each column
(the sum of a numeric column; the number of non-empty values of a text one). One CSV in long
format: ``file,key,value`` with keys ``rows``, ``block <first row>`` and ``total <column>``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

BLOCK = 20
COLUMNS = ["file", "key", "value"]


def summarise(folder: Path, files: tuple[str, ...]) -> pd.DataFrame:
    """The summary of ``files`` in ``folder``."""
    rows: list[tuple[str, str, str]] = []
    for name in files:
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        lines = (folder / name).read_text().splitlines()[1:]
        rows.append((name, "rows", str(len(frame))))
        for first in range(0, len(lines), BLOCK):
            block = "\n".join(lines[first:first + BLOCK]).encode()
            rows.append((name, f"block {first}", hashlib.sha256(block).hexdigest()[:16]))
        for column in frame.columns:
            numbers = pd.to_numeric(frame[column], errors="coerce")
            value = (f"{numbers.sum():.10g}" if numbers.notna().any()
                     else f"{int((frame[column] != '').sum())} non-empty")
            rows.append((name, f"total {column}", value))
    return pd.DataFrame(rows, columns=COLUMNS)


def describe_changes(expected: pd.DataFrame, actual: pd.DataFrame, folder: Path,
                     shown_rows: int = BLOCK) -> str:
    """What changed, file by file: the row counts, the first changed block of rows, the
    column totals that differ (old -> new) and the new run's first rows of that block."""
    old = {(f, k): v for f, k, v in expected.itertuples(index=False)}
    new = {(f, k): v for f, k, v in actual.itertuples(index=False)}
    lines = []
    for name in dict.fromkeys([f for f, _ in old] + [f for f, _ in new]):
        keys = [k for f, k in dict.fromkeys(list(old) + list(new)) if f == name]
        changed = [k for k in keys if old.get((name, k)) != new.get((name, k))]
        if not changed:
            continue
        lines.append(f"{name}: rows {old.get((name, 'rows'))} -> {new.get((name, 'rows'))}")
        blocks = [int(k.split()[1]) for k in changed if k.startswith("block ")]
        for key in changed:
            if key.startswith("total "):
                lines.append(f"  {key}: {old.get((name, key))} -> {new.get((name, key))}")
        if blocks and (folder / name).exists():
            first = min(blocks)
            frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
            lines.append(f"  first changed rows: {first}..{first + BLOCK - 1} (0-based, header "
                         "not counted); the new run's rows there:\n"
                         + frame.iloc[first:first + shown_rows].to_string(index=False,
                                                                           max_colwidth=40))
    return "\n".join(lines)
