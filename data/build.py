"""Build the bundled dataset in ``data/`` from the raw public files in ``../shared/data/raw``.

Run from the repo root::

    python data/build.py [--raw ../shared/data/raw]

Every repair is written to ``data/BUILD_LOG.md`` so the bundle documents itself. The output
is deterministic: the same raw files give byte-identical ``.csv.gz`` files (gzip mtime 0).

Units in the output: prices in index points or CNY, volume in shares, amount in CNY.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from huice.data.calendar_extension import extend_calendar
from huice.data.etf_info import ETF_INFO
from huice.data.nav_build import build_nav
from huice.data.total_return import build_total_return_index

REPO_DATA = Path(__file__).resolve().parent
BARS_DIR = REPO_DATA / "bars"
HUNDRED_MILLION = 1e8

# Shenwan level-1 industries (SW2021), code -> English name.
SHENWAN_L1 = {
    "801010": "Agriculture", "801030": "Basic chemicals", "801040": "Steel",
    "801050": "Non-ferrous metals", "801080": "Electronics", "801110": "Home appliances",
    "801120": "Food & beverage", "801130": "Textiles & apparel", "801140": "Light manufacturing",
    "801150": "Pharma & biotech", "801160": "Utilities", "801170": "Transportation",
    "801180": "Real estate", "801200": "Retail", "801210": "Social services",
    "801230": "Conglomerates", "801710": "Building materials", "801720": "Construction",
    "801730": "Power equipment", "801740": "Defence", "801750": "Computers", "801760": "Media",
    "801770": "Telecoms", "801780": "Banks", "801790": "Non-bank financials", "801880": "Autos",
    "801890": "Machinery", "801950": "Coal", "801960": "Oil & petrochemicals",
    "801970": "Environmental protection", "801980": "Beauty care",
}
# Chinese display names of the broad indices (the industries' come from their file names)
INDEX_NAMES_ZH = {"000300.SH": "沪深300", "000905.SH": "中证500", "000852.SH": "中证1000",
                  "000922.CSI": "中证红利", "H00300.CSI": "沪深300全收益",
                  "H00905.CSI": "中证500全收益", "H00852.CSI": "中证1000全收益"}
# 801950 in the primary source is a different series before this date (SOURCES.md).
COAL_PRIMARY_VALID_FROM = pd.Timestamp("2021-12-13")


@dataclass
class BuildLog:
    """Collects what the build did, for data/BUILD_LOG.md."""

    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.lines.append(text)
        print(text)


def write_csv_gz(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame as gzip CSV with a fixed header (mtime 0) so rebuilds are byte-identical."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.to_csv(index=False, lineterminator="\n", float_format="%.10g")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    path.write_bytes(buffer.getvalue())


def trading_calendar(raw: Path) -> pd.DatetimeIndex:
    """The SSE/SZSE trading calendar: CSI 300 dates from the two complete sources."""
    primary = pd.read_csv(raw / "IdealAuror-trader-vic-strategy/sh000300.csv", parse_dates=["date"])
    long_history = pd.read_csv(raw / "hriszc-zechenhehuo/sh000300.csv", parse_dates=["date"])
    dates = pd.DatetimeIndex(sorted(set(primary["date"]) | set(long_history["date"])))
    return dates


def build_csi300(raw: Path, log: BuildLog) -> pd.DataFrame:
    """CSI 300: primary OHLCV file, with amount (CNY) joined from the baostock file."""
    primary = pd.read_csv(raw / "IdealAuror-trader-vic-strategy/sh000300.csv", parse_dates=["date"])
    baostock = pd.read_csv(raw / "hriszc-zechenhehuo/sh000300.csv", parse_dates=["date"])
    merged = primary.merge(baostock[["date", "close", "amount"]], on="date", how="left",
                           suffixes=("", "_check"))
    relative_gap = ((merged["close"] - merged["close_check"]).abs() / merged["close"]).max()
    log.add(f"- 000300.SH: {len(primary)} rows from IdealAuror (primary); amount joined from "
            f"hriszc; largest relative close difference between them {relative_gap:.2e}.")
    return merged[["date", "open", "high", "low", "close", "volume", "amount"]]


def build_baostock_index(raw: Path, file_name: str, symbol: str, log: BuildLog) -> pd.DataFrame:
    """An index from the hriszc (baostock) files: OHLCV in shares, amount in CNY."""
    frame = pd.read_csv(raw / "hriszc-zechenhehuo" / file_name, parse_dates=["date"])
    frame = frame[["date", "open", "high", "low", "close", "volume", "amount"]]
    log.add(f"- {symbol}: {len(frame)} rows from hriszc/{file_name}, "
            f"{frame['date'].min().date()} .. {frame['date'].max().date()}.")
    return frame


def repair_bar_bounds(frame: pd.DataFrame, symbol: str, log: BuildLog) -> pd.DataFrame:
    """Widen high/low where a source row has them inside the open/close (a source defect)."""
    frame = frame.copy()
    body_high = frame[["open", "close"]].max(axis=1)
    body_low = frame[["open", "close"]].min(axis=1)
    bad = (frame["high"] < body_high) | (frame["low"] > body_low)
    if bad.any():
        days = ", ".join(frame.loc[bad, "date"].dt.strftime("%Y-%m-%d"))
        log.add(f"- {symbol}: {int(bad.sum())} row(s) with high below or low above the open/close "
                f"({days}): high set to max(high, open, close), low to min(low, open, close).")
        frame["high"] = frame["high"].where(~bad, frame[["high", "open", "close"]].max(axis=1))
        frame["low"] = frame["low"].where(~bad, frame[["low", "open", "close"]].min(axis=1))
    return frame


def repair_csi500(frame: pd.DataFrame, log: BuildLog) -> pd.DataFrame:
    """Replace the bad 2014-08-07 close (4341.94) with the true close 4286.09 (SOURCES.md)."""
    frame = frame.copy()
    bad_day = frame["date"] == pd.Timestamp("2014-08-07")
    old_close = float(frame.loc[bad_day, "close"].iloc[0])
    true_close = 4286.09
    frame.loc[bad_day, "close"] = true_close
    frame.loc[bad_day, "low"] = frame.loc[bad_day, ["low", "close"]].min(axis=1)
    log.add(f"- 000905.SH: repaired 2014-08-07 close {old_close} -> {true_close} (confirmed by "
            "zedmon3tr and the 510500/159922 moves); low lowered to the close so low <= close.")
    return frame


def build_csi1000(raw: Path, log: BuildLog) -> pd.DataFrame:
    frame = build_baostock_index(raw, "sh000852.csv", "000852.SH", log)
    in_2011 = frame["date"].dt.year == 2011
    log.add(f"- 000852.SH: the whole of 2011 is missing in the source ({int(in_2011.sum())} rows "
            "present in 2011); no other source covers it, so it stays missing. Use CSI 1000 from "
            "2012 on. Values before the 2014-10-17 launch are CSI's back-filled history.")
    return frame


def build_csi_dividend(raw: Path, log: BuildLog) -> pd.DataFrame:
    """CSI Dividend 000922: close only (+ PE, PB, dividend yield). OHLC are all set to the close."""
    frame = pd.read_csv(raw / "zedmon3tr-index-valuation/csv/000922.csv", parse_dates=["date"])
    dropped = int(frame["close"].isna().sum())
    frame = frame.dropna(subset=["close"]).copy()
    for column in ("open", "high", "low"):
        frame[column] = frame["close"]
    frame["volume"] = float("nan")
    frame["amount"] = float("nan")
    frame["dividend_yield"] = frame["dy"] / 100.0
    log.add(f"- 000922.CSI: {len(frame)} rows from zedmon3tr (close only; {dropped} rows with no "
            "close dropped, 2005-01 .. 2008-07). open = high = low = close; volume unknown (empty). "
            "dividend_yield is a fraction (source dy in percent / 100); pe and pb as published.")
    return frame[["date", "open", "high", "low", "close", "volume", "amount", "pe", "pb",
                  "dividend_yield"]]


def build_shenwan(raw: Path, calendar: pd.DatetimeIndex, log: BuildLog) -> dict[str, pd.DataFrame]:
    """All 31 SW L1 industries: wxygeek primary, gaps filled from the Wind export (open/close)."""
    wind = pd.read_csv(raw / "oonauzz-chinese-industries-rotation-quant-model/"
                       "sw_l1_31_open_close_2013_2023.csv", parse_dates=["date"])
    primary_dir = raw / "wxygeek-industry-trend/sw_level1_daily"
    result: dict[str, pd.DataFrame] = {}
    log.add("\n### Shenwan level-1 industries\n")
    log.add("| symbol | first | last | rows | filled from Wind | still missing (trading days) |")
    log.add("|---|---|---|---|---|---|")
    for code in SHENWAN_L1:
        path = next(primary_dir.glob(f"{code}_*.csv"))
        primary = pd.read_csv(path, parse_dates=["date"])
        primary["volume"] = primary["volume"] * HUNDRED_MILLION
        primary["amount"] = primary["amount"] * HUNDRED_MILLION
        if code == "801950":
            primary = primary[primary["date"] >= COAL_PRIMARY_VALID_FROM]
        wind_rows = wind[wind["code"] == f"{code}.SI"].set_index("date")
        first_day = min(primary["date"].min(), wind_rows.index.min())
        last_day = primary["date"].max()
        expected = calendar[(calendar >= first_day) & (calendar <= last_day)]
        missing = expected.difference(pd.DatetimeIndex(primary["date"]))
        fillable = missing.intersection(wind_rows.index)
        fill = wind_rows.loc[fillable, ["open", "close"]].reset_index()
        fill["high"] = fill[["open", "close"]].max(axis=1)
        fill["low"] = fill[["open", "close"]].min(axis=1)
        fill["volume"] = float("nan")
        fill["amount"] = float("nan")
        columns = ["date", "open", "high", "low", "close", "volume", "amount"]
        frame = pd.concat([primary[columns], fill[columns]]).sort_values("date")
        frame = frame.reset_index(drop=True)
        still_missing = missing.difference(fillable)
        shown = ", ".join(d.strftime("%Y-%m-%d") for d in still_missing[:40])
        if len(still_missing) > 40:
            shown += f", ... (+{len(still_missing) - 40} more)"
        log.add(f"| {code}.SI | {frame['date'].min().date()} | {frame['date'].max().date()} | "
                f"{len(frame)} | {len(fillable)} | {len(still_missing)}: {shown or '-'} |")
        result[f"{code}.SI"] = frame
    log.add("\nFilled rows carry Wind's open and close; high/low are max/min of them and volume "
            "and amount are empty (unknown). 801950 rows before 2021-12-13 come from Wind only "
            "(the primary series is a different index there). Volume is converted from 1e8 "
            "shares to shares, amount from 1e8 CNY to CNY.")
    return result


# ETF -> (asset class, board of what it tracks, tracked index) for the bundled ETFs.


def build_etf_qfq(raw: Path, log: BuildLog, shares: dict[str, pd.Series] | None = None
                  ) -> list[tuple[str, str, str, str, str, pd.DataFrame]]:
    """Forward-adjusted ETF bars (chenkx612): volume from lots of 100 to shares."""
    folder = raw / "chenkx612-Multifactor-ETF-Strategy"
    listing = pd.read_csv(folder / "etf_list.csv", dtype=str)
    names = {row["代码"][2:]: row["名称"] for _, row in listing.iterrows()}
    result = []
    for path in sorted((folder / "etf_qfq").glob("*.csv")):
        code = path.stem
        exchange = "SH" if code.startswith(("5", "6")) else "SZ"
        frame = pd.read_csv(path, parse_dates=["datetime"]).rename(
            columns={"datetime": "date", "成交额": "amount"})
        frame["volume"] = frame["volume"] * 100.0
        asset_class, board, tracks = ETF_INFO.get(code, ("etf", "main", ""))
        columns = ["date", "open", "high", "low", "close", "volume", "amount"]
        if shares and code in shares:
            frame["shares"] = shares[code].reindex(frame["date"]).to_numpy()
            columns.append("shares")
        result.append((f"{code}.{exchange}.qfq", names.get(code, code), asset_class, board,
                       tracks, frame[columns]))
    log.add(f"- {len(result)} ETFs, forward-adjusted (qfq as of 2025-07-04) from chenkx612, "
            "2019-07-01 (or listing) .. 2025-07-04, symbols '<code>.<SH|SZ>.qfq'. Volume is "
            "converted from lots of 100 to shares; amount is CNY. Adjusted prices are not the "
            "prices traded on the day: see data/README.md.")
    return result


def build_etf_shares(raw: Path, log: BuildLog) -> dict[str, pd.Series]:
    """Official daily shares outstanding (in shares) per ETF code."""
    sse_szse = pd.read_csv(raw / "beimingmaster-csi300-etf-shares/etf-shares.csv",
                           dtype={"code": str}, parse_dates=["date"])
    estimated = sse_szse["quality"] != "official"
    official = sse_szse[~estimated]
    shares = {code: (group.set_index("date")["shares_100m"] * HUNDRED_MILLION)
              for code, group in official.groupby("code")}
    szse = pd.read_csv(raw / "zxtcc-szse-etf-share/szse_etf_shares_2023_2026.csv",
                       dtype={"code": str}, parse_dates=["date"])
    for code, group in szse.groupby("code"):
        series = group.set_index("date")["shares_10k"] * 1e4
        if code in shares:
            both = shares[code].index.intersection(series.index)
            gap = (shares[code].loc[both] - series.loc[both]).abs().max()
            log.add(f"- shares {code}: beimingmaster and zxtcc agree on {len(both)} shared days "
                    f"(largest difference {gap:.0f} shares); beimingmaster kept, zxtcc fills "
                    "any other day.")
            series = pd.concat([shares[code], series[~series.index.isin(shares[code].index)]])
        shares[code] = series.sort_index()
    log.add(f"- shares: {int(estimated.sum())} 'estimated' SZSE rows (2012 .. 2016-08-02, "
            "inferred from turnover, nearly flat) dropped: only official disclosures are used. "
            + "; ".join(f"{c} from {v.index.min().date()}" for c, v in sorted(shares.items())))
    return shares


def build_etf_unadjusted(raw: Path, shares: dict[str, pd.Series], log: BuildLog
                         ) -> list[tuple[str, str, pd.DataFrame]]:
    """Traded (unadjusted) ETF bars to 2023-06-08, with the day's cash dividend per share and
    split ratio derived from the exchange's adjusted previous close."""
    folder = raw / "chrisphoenixsoar-etf_rotation/etf"
    result = []
    events = []
    for path in sorted(folder.glob("*.csv")):
        frame = pd.read_csv(path, parse_dates=["date"])
        frame = frame.dropna(subset=["vol"]).reset_index(drop=True)
        code, exchange = path.stem.split(".")
        previous = frame["close"].shift()
        ratio = previous / frame["pre_close"]
        changed = (frame["pre_close"] - previous).abs() > 1e-9
        split = changed & ((ratio > 1.3) | (ratio < 0.77))
        dividend = changed & ~split & (previous > frame["pre_close"])
        frame["dividend"] = (previous - frame["pre_close"]).where(dividend, 0.0).round(4)
        frame["split_ratio"] = ratio.where(split, 1.0).round(6)
        frame = frame.rename(columns={"vol": "volume"})
        if code in shares:
            frame["shares"] = shares[code].reindex(frame["date"]).to_numpy()
        for day in frame.loc[split, "date"]:
            events.append(f"{code} split x{frame.loc[frame['date'] == day, 'split_ratio'].iloc[0]:g} "
                          f"on {day.date()}")
        columns = ["date", "open", "high", "low", "close", "volume", "amount", "dividend",
                   "split_ratio"] + (["shares"] if code in shares else [])
        name = str(frame["name"].iloc[0]) if "name" in frame.columns else code
        result.append((f"{code}.{exchange}", name, frame[columns]))
    log.add(f"- {len(result)} ETFs, unadjusted (traded prices) from chrisphoenixsoar, listing .. "
            "2023-06-08, symbols '<code>.<SH|SZ>'; placeholder rows before listing (no volume) "
            "dropped. 'dividend' is the cash per share going ex that day (previous close minus "
            "the exchange's adjusted previous close, to the 0.001 tick); 'split_ratio' the new "
            "shares per old share (when that ratio is outside 0.77..1.3): "
            + ("; ".join(events) or "none") + ".")
    return result


def check_qfq_against_unadjusted(raw: Path, log: BuildLog) -> None:
    """A forward-adjusted close over the traded close is constant between corporate actions;
    log the ETFs where it drifts (more than 20 days with a >1% change)."""
    drifting = []
    for path in sorted((raw / "chenkx612-Multifactor-ETF-Strategy/etf_qfq").glob("*.csv")):
        twins = list((raw / "chrisphoenixsoar-etf_rotation/etf").glob(f"{path.stem}.*.csv"))
        if not twins:
            continue
        adjusted = pd.read_csv(path, index_col="datetime")["close"]
        traded = pd.read_csv(twins[0], index_col="date").dropna(subset=["vol"])["close"]
        moves = (adjusted / traded).dropna().pct_change().abs()
        if (moves > 0.01).sum() > 20:
            drifting.append(f"{path.stem} ({int((moves > 0.01).sum())} days)")
    log.add("- qfq check against traded prices (2019-07 .. 2023-06): the adjustment factor drifts "
            f"day to day for {', '.join(drifting) or 'none'}: their OHLC are not usable as "
            "prices (do not trade them); their amount / volume (the day's traded VWAP) and "
            "shares are sound. Every other ETF's factor only steps at dividends and splits.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=REPO_DATA.parent.parent / "shared/data/raw",
                        help="folder holding the raw files (default: ../shared/data/raw)")
    args = parser.parse_args(argv)
    raw: Path = args.raw
    if not (raw / "SOURCES.md").exists():
        print(f"error: {raw} does not look like shared/data/raw (no SOURCES.md)", file=sys.stderr)
        return 2
    log = BuildLog()
    log.add("# Build log (written by data/build.py; do not edit)\n")
    log.add("### Broad indices\n")
    calendar = trading_calendar(raw)
    catalog_rows: list[dict[str, str]] = []

    def emit(symbol: str, name: str, asset_class: str, frame: pd.DataFrame, source: str,
             board: str = "", tracks: str = "", name_zh: str = "") -> None:
        frame = repair_bar_bounds(frame, symbol, log)
        frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
        relative = f"bars/{symbol}.csv.gz"
        write_csv_gz(frame, REPO_DATA / relative)
        catalog_rows.append({"symbol": symbol, "name": name,
                             "name_zh": name_zh or INDEX_NAMES_ZH.get(symbol, name),
                             "asset_class": asset_class,
                             "board": board, "tracks": tracks, "path": relative,
                             "first": frame["date"].iloc[0], "last": frame["date"].iloc[-1],
                             "source": source})

    emit("000300.SH", "CSI 300", "index", build_csi300(raw, log),
         "IdealAuror/trader-vic-strategy + hriszc/zechenhehuo (amount)")
    csi500 = repair_csi500(build_baostock_index(raw, "sh000905.csv", "000905.SH", log), log)
    emit("000905.SH", "CSI 500", "index", csi500, "hriszc/zechenhehuo (repaired 2014-08-07)")
    emit("000852.SH", "CSI 1000", "index", build_csi1000(raw, log), "hriszc/zechenhehuo")
    emit("000922.CSI", "CSI Dividend", "index", build_csi_dividend(raw, log),
         "zedmon3tr/index-valuation")
    for code, name in (("H00300", "CSI 300"), ("H00905", "CSI 500"), ("H00852", "CSI 1000")):
        emit(f"{code}.CSI", f"{name} Total Return", "index",
             build_total_return_index(raw, f"{code.lower()}.csv", f"{code}.CSI", calendar, log),
             "hriszc/zechenhehuo (total return, close only)")
    industry_files = raw / "wxygeek-industry-trend/sw_level1_daily"
    for symbol, frame in build_shenwan(raw, calendar, log).items():
        name_zh = next(industry_files.glob(f"{symbol[:6]}_*.csv")).stem.split("_", 1)[1]
        emit(symbol, f"SW {SHENWAN_L1[symbol[:6]]}", "index", frame,
             "wxygeek/industry-trend + oonauzz Wind export (gaps)", name_zh=f"申万{name_zh}")

    log.add("\n### ETFs\n")
    shares = build_etf_shares(raw, log)
    for symbol, name, asset_class, board, tracks, frame in build_etf_qfq(raw, log, shares):
        emit(symbol, f"{name} (qfq)", asset_class, frame,
             "chenkx612/Multifactor-ETF-Strategy etf_qfq (forward-adjusted)", board, tracks)
    check_qfq_against_unadjusted(raw, log)
    for symbol, name, frame in build_etf_unadjusted(raw, shares, log):
        asset_class, board, tracks = ETF_INFO.get(symbol[:6], ("etf", "main", ""))
        if symbol[:6] == "511010":
            asset_class = "bond_etf"
        emit(symbol, name, asset_class, frame, "chrisphoenixsoar/etf_rotation (unadjusted)",
             board, tracks)

    first_bar = {row["symbol"]: pd.Timestamp(row["first"]) for row in catalog_rows}
    for symbol, frame in build_nav(raw, calendar, first_bar, log).items():
        write_csv_gz(frame, REPO_DATA / "nav" / f"{symbol}.csv.gz")

    calendar = extend_calendar(calendar, log)
    calendar_frame = pd.DataFrame({"date": calendar.strftime("%Y-%m-%d")})
    write_csv_gz(calendar_frame, REPO_DATA / "calendar.csv.gz")
    catalog = pd.DataFrame(catalog_rows).sort_values("symbol")
    catalog.to_csv(REPO_DATA / "catalog.csv", index=False, lineterminator="\n")
    (REPO_DATA / "BUILD_LOG.md").write_text("\n".join(log.lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
