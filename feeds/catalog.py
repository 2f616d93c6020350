"""The instrument catalog: which symbols exist, what they are, and where their bars live."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from huice.config.language import in_language
from huice.config.schema import ASSET_CLASSES
from huice.feeds.errors import DataError

BUNDLED_CATALOG = Path(__file__).resolve().parent.parent / "data" / "catalog.csv"
CATALOG_COLUMNS = ("symbol", "name", "asset_class", "board", "tracks", "path")


@dataclass(frozen=True)
class Instrument:
    """What an instrument is. ``components`` is set for derived ratio instruments (A/B)."""

    symbol: str
    name: str = ""
    asset_class: str = "stock"
    board: str | None = None
    tracks: str | None = None
    source: str = ""
    components: tuple[str, str] | None = None
    class_inferred: str = ""  # why the asset class was inferred from the code ("" if given)
    name_zh: str = ""  # the Chinese display name (catalog column name_zh; optional)
    listed: dt.date | None = None  # the listing date (catalog ``listed``, else ``first``)

    def display_name(self, language: str = "en") -> str:
        """The name a report shows beside the code: the Chinese one in a Chinese report when
        the catalog has it, else ``name``."""
        return in_language(language, en=self.name, zh=self.name_zh)


@dataclass(frozen=True)
class Catalog:
    """Symbols with their metadata and bar-file paths (resolved against the catalog's folder)."""

    path: Path
    entries: dict[str, tuple[Instrument, Path]]

    def lookup(self, symbol: str) -> tuple[Instrument, Path]:
        """Return the instrument and its bar file, or raise a DataError with near names."""
        if symbol in self.entries:
            return self.entries[symbol]
        near = difflib.get_close_matches(symbol, list(self.entries), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        error = DataError(f"unknown symbol '{symbol}'{hint} (the catalog {self.path} has "
                          f"{len(self.entries)} symbols; add the file under data.files to use "
                          "another)", source=self.path)
        error.symbol = symbol  # type: ignore[attr-defined]  # the caller points at its line
        raise error

    @property
    def symbols(self) -> list[str]:
        return sorted(self.entries)


def read_catalog(path: str | Path) -> Catalog:
    """Read a catalog CSV with columns symbol, name, asset_class, board, tracks, path (and
    optionally name_zh, the Chinese display name, and listed). Read once per content in a
    process (kept by the file's size and modification time; the catalog is small and every
    run of a notebook or a sweep reads it)."""
    path = Path(path)
    if not path.is_file():
        raise DataError("catalog file not found", source=path)
    stat = path.stat()
    found = _read_catalog(path, path.resolve(), stat.st_size, stat.st_mtime_ns)
    return Catalog(path=path, entries=dict(found.entries))


@functools.lru_cache(maxsize=16)
def _read_catalog(path: Path, resolved: Path, size: int, mtime: int) -> Catalog:
    """The catalog at ``path`` (its entries' files relative to it, as given); ``resolved``,
    ``size`` and ``mtime`` key the cache: the same text in another folder is another file."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read catalog: {exc}", source=path) from exc
    missing = [c for c in CATALOG_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", source=path, line=1,
                        where="columns")
    entries: dict[str, tuple[Instrument, Path]] = {}
    for position, row in enumerate(frame.itertuples(index=False)):
        line = position + 2
        if row.asset_class not in ASSET_CLASSES:
            raise DataError(f"asset_class '{row.asset_class}' is not one of "
                            f"{', '.join(ASSET_CLASSES)}", source=path, line=line,
                            where="asset_class")
        if row.symbol in entries:
            raise DataError(f"symbol '{row.symbol}' listed twice", source=path, line=line,
                            where="symbol")
        bar_path = Path(row.path)
        if not bar_path.is_absolute():
            bar_path = path.parent / bar_path
        listed_text = getattr(row, "listed", "") or getattr(row, "first", "")
        try:
            listed = dt.date.fromisoformat(listed_text) if listed_text else None
        except ValueError as exc:
            raise DataError(f"listed/first {listed_text!r} is not a date (YYYY-MM-DD)",
                            source=path, line=line, where="listed") from exc
        instrument = Instrument(symbol=row.symbol, name=row.name, asset_class=row.asset_class,
                                board=row.board or None, tracks=row.tracks or None,
                                source=str(bar_path), name_zh=getattr(row, "name_zh", ""),
                                listed=listed)
        entries[row.symbol] = (instrument, bar_path)
    return Catalog(path=path, entries=entries)


def bundled_instrument(symbol: str) -> Instrument | None:
    """What the bundled catalog says of ``symbol`` (or of its unadjusted code for a ``.qfq``
    symbol): board and tracked index of the ETFs it ships."""
    entries = _bundled_entries()
    for candidate in (symbol, symbol.removesuffix(".qfq"), f"{symbol}.qfq"):
        if candidate in entries:
            return entries[candidate][0]
    return None


def bundled_bars(symbol: str) -> pd.DataFrame | None:
    """The bundled catalog's bars of exactly ``symbol`` (None when it ships none)."""
    entry = _bundled_entries().get(symbol)
    if entry is None:
        return None
    from huice.feeds.csv_source import read_bars

    return read_bars(entry[1])


@functools.lru_cache(maxsize=1)
def _bundled_entries() -> dict[str, tuple[Instrument, Path]]:
    """The bundled catalog, read once per process (it ships with the package)."""
    return read_catalog(BUNDLED_CATALOG).entries
