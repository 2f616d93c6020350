"""The local store: a catalog folder of Parquet bar files, written atomically.

Parquet (pyarrow) rather than DuckDB: a run reads whole series of a few hundred instruments,
which one columnar file per instrument serves in milliseconds with no server, no lock and no
second query language; the files are portable (pandas, polars, DuckDB itself read them).

Layout of ``DIR``: ``catalog.csv`` (the bundled catalog's columns) and ``bars/<symbol>-<hash>
.parquet``. Every change writes new bar files under new names first and then replaces
``catalog.csv`` in one atomic rename, so a process killed at any instant leaves the previous
catalog readable and unchanged; files no catalog names are removed by the next write.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from huice.feeds.bars import to_bar_frame
from huice.feeds.catalog import CATALOG_COLUMNS, Instrument, read_catalog
from huice.feeds.errors import DataError

CATALOG_NAME = "catalog.csv"
PREVIOUS_NAME = "catalog.previous.csv"
# Fault injection for the crash test: seconds to pause between the bar files and the catalog.
WRITE_PAUSE_ENV = "HUICE_STORE_WRITE_PAUSE"
EXTRA_COLUMNS = ("first", "last", "source")
_STORED = re.compile(r"^(?P<symbol>.+)-[0-9a-f]{12}\.parquet$")


def read_bars_parquet(path: str | Path) -> pd.DataFrame:
    """One instrument's bars from a Parquet file.

    A file the store wrote was validated when written and is named by the hash of its bytes:
    when the bytes still match the name it is read straight into the canonical frame; any other
    Parquet file (or one changed since) goes through the full bar validation.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("data file not found", source=path)
    try:
        data = path.read_bytes()
        stored = _STORED.match(path.name)
        if stored and hashlib.sha256(data).hexdigest()[:12] == path.stem.rsplit("-", 1)[1]:
            return _trusted_frame(data)
        frame = pd.read_parquet(io.BytesIO(data))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read as Parquet: {exc}", source=path) from exc
    return to_bar_frame(frame, path)


def _trusted_frame(data: bytes) -> pd.DataFrame:
    """A frame the store validated, from its Parquet bytes, without pandas' generic path."""
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    columns = {name: table.column(name).to_numpy().astype("float64", copy=False)
               for name in table.column_names if name != "date"}
    index = pd.DatetimeIndex(table.column("date").to_numpy(),
                             name="date")
    return pd.DataFrame(columns, index=index)


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=True, engine="pyarrow", compression="zstd")
    return buffer.getvalue()


def shareable_mode(directory: bool = False) -> int:
    """The mode a new file (or folder) gets under this process's umask (0644 / 0755 under the
    usual 022): what temporary files and folders, created 0600 / 0700, are set to before they
    are renamed into place, so that colleagues and web servers can read the outputs."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if directory else 0o666) & ~mask


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a synced temporary sibling renamed over it."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.chmod(temporary, shareable_mode())
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class CatalogStore:
    """A catalog folder users build with ``data import`` / ``data fetch`` and name in configs
    (``data.catalog: DIR/catalog.csv``)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.catalog_path = self.root / CATALOG_NAME
        if self.root.exists() and not self.root.is_dir():
            raise DataError("exists and is not a folder", source=self.root)
        if self.catalog_path.exists():
            read_catalog(self.catalog_path)  # a damaged catalog is an error, never rewritten

    def rows(self) -> pd.DataFrame:
        """The catalog as it stands (empty when the folder has none yet)."""
        if not self.catalog_path.exists():
            return pd.DataFrame(columns=[*CATALOG_COLUMNS, *EXTRA_COLUMNS])
        frame = pd.read_csv(self.catalog_path, dtype=str, keep_default_na=False)
        for column in EXTRA_COLUMNS:
            if column not in frame:
                frame[column] = ""
        return frame

    def bars(self, symbol: str) -> pd.DataFrame | None:
        """The stored bars of ``symbol`` (None when it is not in the catalog)."""
        rows = self.rows()
        row = rows[rows["symbol"] == symbol]
        if row.empty:
            return None
        path = Path(row["path"].iloc[0])
        path = path if path.is_absolute() else self.root / path
        return read_bars_parquet(path) if path.suffix == ".parquet" else None

    def write(self, entries: Mapping[str, tuple[Instrument, pd.DataFrame]]) -> list[str]:
        """Store each symbol's (instrument, canonical bar frame), replacing earlier bars of the
        same symbols, in one atomic change of the catalog; returns the symbols written."""
        (self.root / "bars").mkdir(parents=True, exist_ok=True)
        rows = self.rows().set_index("symbol", drop=False)
        for symbol, (instrument, frame) in entries.items():
            frame = to_bar_frame(frame, f"<{symbol}>")  # validated before anything is written
            data = _parquet_bytes(frame)
            digest = hashlib.sha256(data).hexdigest()[:12]
            name = f"bars/{symbol}-{digest}.parquet"
            atomic_write(self.root / name, data)
            rows.loc[symbol] = {
                "symbol": symbol, "name": instrument.name or symbol,
                "asset_class": instrument.asset_class, "board": instrument.board or "",
                "tracks": instrument.tracks or "", "path": name,
                "first": frame.index[0].date().isoformat(),
                "last": frame.index[-1].date().isoformat(), "source": instrument.source}
        table = rows.sort_index().reset_index(drop=True)[[*CATALOG_COLUMNS, *EXTRA_COLUMNS]]
        pause = float(os.environ.get(WRITE_PAUSE_ENV, "0") or 0)
        if pause:  # fault injection for the kill test: the new bar files exist, the catalog not
            (self.root / ".writing").write_text("bars written, catalog not yet")
            time.sleep(pause)
        if self.catalog_path.exists():  # the version before this change stays restorable
            atomic_write(self.previous_path, self.catalog_path.read_bytes())
        atomic_write(self.catalog_path, table.to_csv(index=False, lineterminator="\n").encode())
        (self.root / ".writing").unlink(missing_ok=True)
        self._remove_unreferenced(set(table["path"]) | self._previous_paths())
        return list(entries)

    @property
    def previous_path(self) -> Path:
        """The catalog as it was before the last change (``data undo`` restores it)."""
        return self.root / PREVIOUS_NAME

    def _previous_paths(self) -> set[str]:
        if not self.previous_path.exists():
            return set()
        return set(pd.read_csv(self.previous_path, dtype=str, keep_default_na=False)["path"])

    def undo(self) -> list[str]:
        """Restore the catalog as it was before the last import or fetch (the two swap, so a
        second undo redoes it); returns the symbols whose bars changed."""
        if not self.previous_path.exists():
            raise DataError("nothing to undo: no earlier version of this catalog is kept",
                            source=self.catalog_path)
        read_catalog(self.previous_path)  # a damaged earlier version is an error, not restored
        before = self.rows().set_index("symbol")["path"]
        after = pd.read_csv(self.previous_path, dtype=str,
                            keep_default_na=False).set_index("symbol")["path"]
        current = self.catalog_path.read_bytes()
        atomic_write(self.catalog_path, self.previous_path.read_bytes())
        atomic_write(self.previous_path, current)
        symbols = set(before.index) | set(after.index)
        return sorted(s for s in symbols if before.get(s) != after.get(s))

    def _remove_unreferenced(self, referenced: set[str]) -> None:
        for path in (self.root / "bars").glob("*.parquet"):
            if _STORED.match(path.name) and f"bars/{path.name}" not in referenced:
                path.unlink(missing_ok=True)
