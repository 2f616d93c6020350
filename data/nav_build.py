"""ETF unit NAV (单位净值) for the premium model, from shared/data/raw (SOURCES.md section 7).

Two sources, merged per fund: yangmigh/etf-rotation-web ``nav_<code>.csv`` (eastmoney's
``Data_netWorthTrend``) and huyukun662-crypto/ETF_Arbitrage_Strategy's efinance
``<code>_nav.parquet`` (eastmoney through efinance). Where both have a day they must agree
exactly (SOURCES.md found them equal on every shared day; the build fails otherwise). Cleaned as
SOURCES.md says: rows on days the exchange did not trade are dropped (half-year and year-end
dates), so are rows before the fund's first traded bar (pre-listing weekly NAVs and the
份额折算 before listing), and efinance's last row, 2026-04-30, an intraday snapshot. Kept
only for the funds whose unadjusted bars the bundle ships (a premium needs the traded close).
Every repair is written to the build log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pandas as pd

# the funds whose traded (unadjusted) bars the bundle has, and their NAV sources
NAV_FUNDS = {"510300.SH": ("yang", "efinance"), "510500.SH": ("efinance",),
             "159915.SZ": ("yang",), "159919.SZ": ("efinance",),
             "518880.SH": ("yang", "efinance"), "159934.SZ": ("efinance",),
             "513100.SH": ("yang",), "513050.SH": ("yang",), "159920.SZ": ("efinance",)}
EFINANCE_INTRADAY = pd.Timestamp("2026-04-30")


class Log(Protocol):
    def add(self, text: str) -> None: ...


def _yang(raw: Path, code: str) -> pd.Series:
    frame = pd.read_csv(raw / "yangmigh-etf-rotation-web" / f"nav_{code}.csv",
                        parse_dates=["date"])
    return frame.set_index("date")["nav"].astype(float)


def _efinance(raw: Path, code: str) -> pd.Series:
    path = raw / "huyukun662-crypto-ETF_Arbitrage_Strategy" / "efinance" / f"{code}_nav.parquet"
    frame = pd.read_parquet(path)
    frame.index = pd.DatetimeIndex(frame.index).as_unit("ns")
    return frame["nav"].astype(float)


def build_nav(raw: Path, calendar: pd.DatetimeIndex, first_bar: dict[str, pd.Timestamp],
              log: Log) -> dict[str, pd.DataFrame]:
    """``symbol -> frame`` of date, nav (unit NAV on the NAV's own date), cleaned and merged."""
    log.add("\n### ETF unit NAV (data/nav)\n")
    log.add("| symbol | sources | first | last | rows | dropped: not trading days | dropped: "
            "before listing | dropped: intraday | days both sources agree on |")
    log.add("|---|---|---|---|---|---|---|---|---|")
    result = {}
    for symbol, sources in NAV_FUNDS.items():
        code = symbol[:6]
        series = {name: (_yang if name == "yang" else _efinance)(raw, code) for name in sources}
        intraday = 0
        if "efinance" in series and EFINANCE_INTRADAY in series["efinance"].index:
            series["efinance"] = series["efinance"].drop(EFINANCE_INTRADAY)
            intraday = 1
        agreed = 0
        if len(series) == 2:
            first, second = series.values()
            shared = first.index.intersection(second.index)
            differ = shared[(first[shared] - second[shared]).abs() > 1e-9]
            if len(differ):
                raise ValueError(f"{symbol}: the NAV sources differ on {len(differ)} day(s), "
                                 f"first {differ[0].date()}")
            agreed = len(shared)
        merged = pd.concat(series.values())
        merged = merged[~merged.index.duplicated()].sort_index()
        off = ~merged.index.isin(calendar)
        early = merged.index < first_bar[symbol]
        kept = merged[~off & ~early]
        result[symbol] = pd.DataFrame({"date": kept.index.strftime("%Y-%m-%d"),
                                       "nav": kept.to_numpy()})
        log.add(f"| {symbol} | {', '.join(sources)} | {kept.index[0].date()} | "
                f"{kept.index[-1].date()} | {len(kept)} | {int((off & ~early).sum())} | "
                f"{int(early.sum())} | {intraday} | {agreed} |")
    log.add("\nThe NAV goes ex (dividend, split) one trading day before the exchange price: "
            "feeds/nav.py corrects the NAV of the day before each ex-date of the bars, and a "
            "cross-border fund's NAV is seen with its publication lag (docs/data.md, \"ETF "
            "NAV and premium\").")
    return result
