"""``python run.py data import|fetch|update``: bring your own data into a catalog folder."""

from __future__ import annotations

import argparse
import datetime as dt

EXIT_OK = 0


def add_data_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]
                      ) -> argparse.ArgumentParser:
    """The ``data`` command and its subcommands (import, fetch, update, undo)."""
    data = commands.add_parser("data", help="import files, or fetch and update with akshare, "
                                            "into a catalog folder (docs/data.md)")
    actions = data.add_subparsers(dest="data_command", required=True)
    imports = actions.add_parser("import", help="import akshare, tushare, baostock or plain "
                                                "OHLCV files (CSV, XLSX, Parquet)")
    imports.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    imports.add_argument("--catalog", required=True, help="catalog folder (created if missing)")
    imports.add_argument("--symbol", help="the instrument's code, when the file cannot tell")
    imports.add_argument("--asset-class", help="stock, etf, index, ... (default: from the code)")
    imports.add_argument("--date", help="the trading day a shares snapshot describes")
    imports.add_argument("--board", choices=["main", "chinext", "star", "st", "beijing", "none"],
                         help="the board whose daily limit applies (default: the bundled "
                              "catalog's for a code it ships, else from the code)")
    imports.add_argument("--strict", action="store_true",
                         help="refuse every OHLC inconsistency instead of repairing rounding "
                              "glitches")
    imports.add_argument("--drop-bad-rows", action="store_true",
                         help="leave out (and list) bars that break the bar rules beyond a "
                              "rounding glitch, instead of refusing the file")
    imports.add_argument("--replace", action="store_true",
                         help="replace a code's stored bars even where they disagree (the "
                              "previous catalog stays restorable with data undo)")
    fetch = actions.add_parser("fetch", help="download symbols with akshare (huice[akshare])")
    fetch.add_argument("symbols", nargs="+", metavar="SYMBOL")
    fetch.add_argument("--catalog", required=True)
    fetch.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2010, 1, 1))
    fetch.add_argument("--end", type=dt.date.fromisoformat, default=None)
    update = actions.add_parser("update", help="fetch the days after each akshare symbol's "
                                               "last stored one")
    update.add_argument("--catalog", required=True)
    update.add_argument("--end", type=dt.date.fromisoformat, default=None)
    update.add_argument("--sources", default="em,sina,tencent",
                        help="sources in the order to try, comma-separated: em, sina, tencent, "
                             "baostock, tushare (default: em,sina,tencent)")
    for sub in (fetch, update):
        sub.add_argument("--nav", action="store_true",
                         help="each fund's unit NAV too, as its bars' nav line (update: start it "
                              "for the funds without one; a fund with one is always updated)")
    update.add_argument("--check-days", type=int, default=3,
                        help="cross-check the last N days against every other source (0: off)")
    update.add_argument("--tushare-token-file",
                        help="a file outside the repo holding the tushare token (default: the "
                             "TUSHARE_TOKEN environment variable)")
    for sub in (fetch, update):
        sub.add_argument("--throttle-seconds", type=float, default=1.0,
                         help="seconds between two calls to a source (default 1)")
        sub.add_argument("--retries", type=int, default=4,
                         help="tries per call, with exponential backoff (default 4)")
    undo = actions.add_parser("undo", help="restore the catalog as it was before the last "
                                           "import or fetch (a second undo redoes it)")
    undo.add_argument("--catalog", required=True)
    for sub in (imports, fetch, update, undo):
        sub.add_argument("-v", "--verbose", action="store_true",
                         help="log detail, and show tracebacks for errors")
    return data


def command_data(args: argparse.Namespace) -> int:
    """Run ``data import``, ``fetch``, ``update`` or ``undo``: one call of the API, printed."""
    from huice import api_data

    if args.data_command == "import":
        reports = api_data.data_import(args.paths, args.catalog, symbol=args.symbol,
                                       asset_class=args.asset_class, snapshot_date=args.date,
                                       board=args.board, strict=args.strict,
                                       replace=args.replace,
                                       drop_bad_rows=args.drop_bad_rows)
        for report in reports:
            print(f"{report.path}:")
            for line in report.lines:
                print(f"  {line}")
        print(f"catalog: {api_data.catalog_file(args.catalog)} "
              f"(name it in a config as data.catalog)")
        return EXIT_OK
    if args.data_command == "undo":
        changed = api_data.data_undo(args.catalog)
        print(f"restored {api_data.catalog_file(args.catalog)} as it was before its last "
              f"change; bars changed back: {', '.join(changed) or 'none'}")
        return EXIT_OK
    if args.data_command == "fetch":
        lines = api_data.data_fetch(args.symbols, args.catalog, args.start, args.end,
                                    nav=args.nav, throttle_seconds=args.throttle_seconds,
                                    retries=args.retries)
    else:
        lines = api_data.data_update(args.catalog, args.end,
                                     sources=[n.strip() for n in args.sources.split(",") if n],
                                     check_days=args.check_days, nav=args.nav,
                                     tushare_token_file=args.tushare_token_file,
                                     throttle_seconds=args.throttle_seconds,
                                     retries=args.retries)
    for line in lines:
        print(line)
    print(f"catalog: {api_data.catalog_file(args.catalog)}")
    return EXIT_OK
