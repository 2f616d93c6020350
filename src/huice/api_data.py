"""The Python API of a catalog folder of your own bars: import files, fetch and update with
akshare, undo the last change (docs/data.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from huice.feeds.import_joins import FileReport

__all__ = ["data_fetch", "data_import", "data_undo", "data_update"]


def data_import(paths: Sequence[str | Path], catalog: str | Path, *, symbol: str | None = None,
                asset_class: str | None = None, snapshot_date: str | None = None,
                board: str | None = None, strict: bool = False,
                replace: bool = False, drop_bad_rows: bool = False) -> list[FileReport]:
    """Import akshare, tushare, baostock or plain OHLCV files (and shares files) into the
    catalog folder in one atomic change; one report per file (what was found, converted,
    repaired, dropped or warned). Dividend tables join bars imported with them or stored;
    ``drop_bad_rows`` leaves out (and lists) bars that break the bar rules beyond a rounding
    glitch instead of refusing the file."""
    from huice.feeds.importing import import_paths

    return import_paths(paths, catalog, symbol=symbol, asset_class=asset_class,
                        snapshot_date=snapshot_date, board=board, strict=strict,
                        replace=replace, drop_bad_rows=drop_bad_rows)


def data_fetch(symbols: Sequence[str], catalog: str | Path, start: dt.date,
               end: dt.date | None = None, *, nav: bool = False, throttle_seconds: float = 1.0,
               retries: int = 4) -> list[str]:
    """Download ``symbols`` with akshare into the catalog folder; what was stored, line by
    line. ``nav``: each fund's unit NAV too, as its bars' ``nav`` line (akshare's
    fund_etf_fund_info_em, failing over to fund_open_fund_info_em; docs/data.md). Calls are
    spaced by ``throttle_seconds`` and tried ``retries`` times with exponential backoff."""
    from huice.feeds.akshare_source import AkshareClient, Entries, fetch
    from huice.feeds.nav_sources import make_nav_sources
    from huice.feeds.nav_update import carries_nav, update_nav
    from huice.feeds.store import CatalogStore

    client = AkshareClient(throttle_seconds=throttle_seconds, retries=retries)
    last = end or dt.date.today()
    nav_sources = make_nav_sources(client)

    def with_nav(entries: Entries) -> list[str]:
        lines: list[str] = []
        for name, (instrument, bars) in list(entries.items()):
            if not name.endswith(".qfq") and carries_nav(bars, instrument.asset_class, True):
                found = update_nav(name, bars, nav_sources, last, check_days=0)
                entries[name] = (instrument, found.bars)
                lines += found.lines
        return lines

    return fetch(CatalogStore(catalog), client, list(symbols), start, last,
                 complete=with_nav if nav else None)


def data_update(catalog: str | Path, end: dt.date | None = None, *,
                sources: Sequence[str] = ("em", "sina", "tencent"), check_days: int = 3,
                nav: bool = False, tushare_token_file: str | Path | None = None,
                throttle_seconds: float = 1.0, retries: int = 4) -> list[str]:
    """Fetch the days after each fetched symbol's last stored one from ``sources`` in order
    (the first with fresh bars wins; em, sina, tencent, baostock, tushare), then cross-check
    the last ``check_days`` days against every other source that answers (docs/data.md,
    "Sources"). Every fund whose bars carry a ``nav`` line gets the NAV of its new days the
    same way (fund_etf_fund_info_em, then fund_open_fund_info_em, cross-checked); ``nav``
    starts the line for every fund that lacks one. tushare needs a token:
    ``tushare_token_file`` or ``TUSHARE_TOKEN``."""
    from huice.feeds.akshare_source import AkshareClient
    from huice.feeds.daily_sources import make_sources, tushare_token
    from huice.feeds.errors import DataError
    from huice.feeds.failover import update_with_failover
    from huice.feeds.nav_sources import make_nav_sources
    from huice.feeds.store import CatalogStore

    token = tushare_token(tushare_token_file) if "tushare" in sources else None
    chosen = make_sources(list(sources), token, lambda module: AkshareClient(
        module=module, throttle_seconds=throttle_seconds, retries=retries))
    lines = [] if token is not None or "tushare" not in sources else [
        "tushare left out: no token (TUSHARE_TOKEN, or --tushare-token-file)"]
    try:
        nav_sources = make_nav_sources(AkshareClient(throttle_seconds=throttle_seconds,
                                                     retries=retries))
    except DataError:  # akshare is not installed: only a run asking for NAV needs it
        if nav:
            raise
        nav_sources = []
    return lines + update_with_failover(CatalogStore(catalog), chosen, end or dt.date.today(),
                                        check_days, nav_sources=nav_sources, start_nav=nav)


def data_undo(catalog: str | Path) -> list[str]:
    """Restore the catalog as it was before its last change; the symbols whose bars changed."""
    from huice.feeds.store import CatalogStore

    return CatalogStore(catalog).undo()


def catalog_file(catalog: str | Path) -> Path:
    """The catalog CSV of a catalog folder (what a config names as ``data.catalog``)."""
    from huice.feeds.store import CatalogStore

    return CatalogStore(catalog).catalog_path
