"""A stand-in for tushare: ``pro_api(token)`` returns an object with ``fund_daily`` and
``index_daily`` shaped as tushare's (ts_code, trade_date YYYYMMDD, open, high, low, close,
pre_close, change, pct_chg, vol in lots, amount in thousand CNY, newest first), from the
bundled bars and the rehearsal world of :mod:`tests.fakes.akshare_fake`. The token must be the
one in ``EXPECTED_TOKEN_ENV``; every call records that it was used."""

from __future__ import annotations

import os

import pandas as pd

from tests.fakes.akshare_fake import _bars, _seen_by, _window

EXPECTED_TOKEN_ENV = "HUICE_FAKE_TUSHARE_EXPECTED"
USED: list[str] = []


class _Pro:
    def __init__(self, token: str) -> None:
        if token != os.environ.get(EXPECTED_TOKEN_ENV):
            raise PermissionError("invalid token")

    def _daily(self, ts_code: str, start_date: str, end_date: str) -> pd.DataFrame:
        USED.append(ts_code)
        raw = _bars(ts_code)
        previous = (raw["close"].shift() - raw.get("dividend", 0.0)) / raw.get("split_ratio", 1.0)
        frame = _window(_seen_by("tushare", ts_code, raw.assign(pre_close=previous)),
                        start_date, end_date)
        result = pd.DataFrame({
            "ts_code": ts_code, "trade_date": frame.index.strftime("%Y%m%d"),
            "open": frame["open"].to_numpy(), "high": frame["high"].to_numpy(),
            "low": frame["low"].to_numpy(), "close": frame["close"].to_numpy(),
            "pre_close": frame["pre_close"].round(3).to_numpy(),
            "change": (frame["close"] - frame["pre_close"]).round(3).to_numpy(),
            "pct_chg": ((frame["close"] / frame["pre_close"] - 1) * 100).round(4).to_numpy(),
            "vol": (frame["volume"] / 100).round(2).to_numpy(),
            "amount": (frame["amount"] / 1000).round(3).to_numpy()})
        return result.iloc[::-1].reset_index(drop=True)

    def fund_daily(self, ts_code: str, start_date: str = "", end_date: str = "") -> pd.DataFrame:
        return self._daily(ts_code, start_date, end_date)

    def index_daily(self, ts_code: str, start_date: str = "", end_date: str = "") -> pd.DataFrame:
        return self._daily(ts_code, start_date, end_date)


def pro_api(token: str = "") -> _Pro:
    return _Pro(token)
