"""Assemble :class:`MarketData` for a run from its data config (catalog, files, frames)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from huice.config.schema import DataConfig
from huice.feeds.calendar import read_exchange_calendar
from huice.feeds.catalog import (
    BUNDLED_CATALOG,
    Catalog,
    Instrument,
    bundled_instrument,
    read_catalog,
)
from huice.feeds.codes import classify_code
from huice.feeds.csv_source import read_bars
from huice.feeds.errors import DataError
from huice.feeds.market import MarketData
from huice.feeds.pandas_source import bars_from_frame
from huice.feeds.ratio import ratio_bars, split_ratio_symbol


def base_symbols(symbols: Iterable[str]) -> list[str]:
    """The file-backed symbols behind ``symbols`` (a ratio ``A/B`` needs A and B)."""
    ordered: list[str] = []
    for symbol in symbols:
        parts = split_ratio_symbol(symbol)
        for part in parts if parts else (symbol,):
            if part not in ordered:
                ordered.append(part)
    return ordered


def explain_benchmark(error: DataError, data: DataConfig) -> None:
    """Say where an unknown benchmark symbol comes from and what to do about it."""
    given = "benchmark" in data.model_fields_set
    origin = ("it is data.benchmark" if given else
              f"it is the default data.benchmark ({data.benchmark}), which this config does not "
              "set")
    error.message += (f"; {origin}: set data.benchmark to a symbol of your catalog, add its "
                      "file under data.files, or write benchmark: null to run without one")
    error.where = error.where or "data.benchmark"


def load_market(data: DataConfig, symbols: Iterable[str],
                frames: Mapping[str, pd.DataFrame] | None = None,
                instruments: Mapping[str, Instrument] | None = None,
                reader: Callable[[Path], pd.DataFrame] = read_bars) -> MarketData:
    """Load, validate and window the bars of ``symbols`` (ratio symbols ``A/B`` are derived).

    Sources, in order: in-memory ``frames`` (with optional ``instruments`` metadata), the
    config's ``data.files``, then the catalog (``data.catalog`` or the bundled one). Files are
    read with ``reader`` (a caching reader lets sweep workers load each file once).

    Raises
    ------
    DataError
        A symbol is unknown, a file is bad, or the window holds no bars for a symbol.
    """
    frames = dict(frames or {})
    symbols = list(dict.fromkeys(symbols))
    catalog: Catalog | None = None
    bars: dict[str, pd.DataFrame] = {}
    metadata: dict[str, Instrument] = {}
    for symbol in base_symbols(symbols):
        if symbol in frames:
            bars[symbol] = bars_from_frame(frames[symbol], name=f"<frame {symbol}>")
            metadata[symbol] = ((instruments or {}).get(symbol)
                                or inferred_instrument(symbol, f"<frame {symbol}>",
                                                       where=f"frames[{symbol}]"))
        elif symbol in data.files:
            metadata[symbol] = file_instrument(symbol, data)
            bars[symbol] = reader(data.files[symbol].path)
        else:
            if catalog is None:
                catalog = read_catalog(data.catalog or BUNDLED_CATALOG)
            instrument, path = catalog.lookup(symbol)
            bars[symbol] = reader(path)
            metadata[symbol] = instrument
    start = pd.Timestamp(data.start) if data.start else None
    end = pd.Timestamp(data.end) if data.end else None
    calendar = read_exchange_calendar() if data.calendar == "exchange" else None
    market = MarketData(bars, metadata, calendar, data.nav_lag_days).between(start, end)

    windowed = {symbol: market.bars(symbol) for symbol in market.symbols}
    for symbol in symbols:
        parts = split_ratio_symbol(symbol)
        if not parts:
            continue
        derived = ratio_bars(windowed[parts[0]], windowed[parts[1]])
        if derived.empty:
            raise DataError(f"{parts[0]} and {parts[1]} share no trading day in the window",
                            where=symbol)
        windowed[symbol] = derived
        names = " / ".join(metadata[p].name or p for p in parts)
        metadata[symbol] = Instrument(symbol=symbol, name=names, asset_class="synthetic",
                                      source=f"derived ratio {symbol}", components=parts)
    return MarketData({s: windowed[s] for s in windowed}, metadata, calendar, data.nav_lag_days)


def inferred_instrument(symbol: str, source: str, *, name: str = "", board: str | None = None,
                        where: str | None = None) -> Instrument:
    """An instrument whose asset class is inferred from its exchange code.

    Raises
    ------
    DataError
        The code does not say what it is: the user is asked for ``asset_class``.
    """
    found = classify_code(symbol)
    if found is None:
        from huice.config.schema import ASSET_CLASSES

        how = ("pass an Instrument with its asset_class in instruments=" if where
               and where.startswith("frames") else "set asset_class")
        raise DataError(f"cannot tell the asset class of '{symbol}' from its code: {how} "
                        f"(one of {', '.join(ASSET_CLASSES)})",
                        where=where or f"data.files[{symbol}].asset_class")
    return Instrument(symbol=symbol, name=name or symbol, asset_class=found.asset_class,
                      board=board or found.board, source=source,
                      class_inferred=f"from its code: {found.reason}")


def file_instrument(symbol: str, data: DataConfig) -> Instrument:
    """What the file under ``data.files[symbol]`` holds: as given, or inferred from the code."""
    spec = data.files[symbol]
    known = bundled_instrument(symbol)  # an ETF the bundled catalog ships: its board and class
    board = spec.board or (known.board if known is not None else None)
    if spec.asset_class is None and known is not None and known.asset_class != "index":
        return Instrument(symbol=symbol, name=spec.name or known.name or symbol,
                          asset_class=known.asset_class, board=board, tracks=known.tracks,
                          source=str(spec.path),
                          class_inferred=f"as the bundled catalog has {known.symbol}")
    if spec.asset_class is None:
        found = inferred_instrument(symbol, str(spec.path), name=spec.name, board=board)
        return replace(found, listed=spec.listed)
    return Instrument(symbol=symbol, name=spec.name or symbol, asset_class=spec.asset_class,
                      board=board, source=str(spec.path), listed=spec.listed)


def instrument_metadata(data: DataConfig, symbol: str) -> Instrument:
    """What ``symbol`` is, from ``data.files``, the catalog, or else its exchange code."""
    if symbol in data.files:
        return file_instrument(symbol, data)
    catalog = read_catalog(data.catalog or BUNDLED_CATALOG)
    if symbol in catalog.entries:
        return catalog.entries[symbol][0]
    return inferred_instrument(symbol, "", where="data")
