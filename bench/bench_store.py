"""Issue 12 benchmark: loading 500 instruments x 2,500 days for one run, from the Parquet store
against the gzip-CSV reader (the bundled data's format). Both read through huice's catalog and
validate every frame (``load_market``), so the comparison is the file format alone."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from bench.synthetic_universe import synthetic_universe
from bench.timing import interleaved, median

INSTRUMENTS, DAYS = 500, 2500


def build(folder: Path) -> tuple[Path, Path, list[str]]:
    """The same synthetic universe as a Parquet store and as a gzip-CSV catalog."""
    from huice.feeds.store import CatalogStore

    frames, instruments = synthetic_universe(INSTRUMENTS, DAYS)
    CatalogStore(folder / "store").write({s: (instruments[s], frames[s]) for s in frames})
    csv_dir = folder / "csv"
    (csv_dir / "bars").mkdir(parents=True)
    rows = []
    for symbol, frame in frames.items():
        frame.to_csv(csv_dir / "bars" / f"{symbol}.csv.gz", date_format="%Y-%m-%d")
        rows.append({"symbol": symbol, "name": symbol, "asset_class": "etf", "board": "main",
                     "tracks": "", "path": f"bars/{symbol}.csv.gz"})
    pd.DataFrame(rows).to_csv(csv_dir / "catalog.csv", index=False)
    return folder / "store" / "catalog.csv", csv_dir / "catalog.csv", list(frames)


def loader(catalog: Path, symbols: list[str]):
    from huice.config.schema import DataConfig
    from huice.feeds.loading import load_market

    config = DataConfig(catalog=catalog, benchmark=None, calendar="data")

    def run():
        return load_market(config, symbols)
    return run


def measure(rounds: int = 3) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store, csv, symbols = build(Path(tmp))
        times = interleaved({"gzip CSV catalog": loader(csv, symbols),
                             "Parquet store": loader(store, symbols)}, rounds)
    return {name: median(values) for name, values in times.items()}


def markdown(results: dict) -> str:
    base = results["gzip CSV catalog"]
    rows = "\n".join(f"| {name} | {seconds:.2f} s | {seconds / base:.2f}x |"
                     for name, seconds in results.items())
    return ("## Loading from the store (issue 12)\n\n"
            f"{INSTRUMENTS} synthetic ETFs x {DAYS} days (OHLCV, amount, shares) loaded for one "
            "run through the catalog (load_market): gzip CSV files, parsed and validated by the "
            "bar rules on every read, against the Parquet store, whose files were validated "
            "when written and are hash-checked on read (a changed file is validated again).\n\n"
            "| reader | median | ratio |\n|---|---|---|\n" + rows + "\n")


if __name__ == "__main__":
    print(markdown(measure()))
