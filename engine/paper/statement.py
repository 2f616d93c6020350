"""A broker's fills export (成交明细 / 交割单), read into one canonical frame.

Brokers' desktop clients export fills as CSV or Excel in GBK, with Chinese headers that vary a
little between brokers. The default mapping takes the usual names (the first one present wins);
``paper.statement.columns`` overrides any of them. Canonical columns: ``date`` (成交日期),
``code`` (证券代码), ``side`` (买卖标志: 买入/卖出, 证券买入/证券卖出, B/S), ``quantity``
(成交数量), ``price`` (成交价格), ``value`` (成交金额), and the fees where the export has them:
``commission`` (佣金), ``stamp_duty`` (印花税), ``transfer_fee`` (过户费), ``other_fees``
(其他费/规费/经手费). Rows that are not trades (银证转账, 红利入账, ...) are left out and
counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from huice.config.errors import HuiceError
from huice.feeds.formats import parse_dates, parse_numbers
from huice.feeds.importing import read_table

DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("成交日期", "交收日期", "发生日期", "日期", "date"),
    "code": ("证券代码", "代码", "code"),
    "side": ("买卖标志", "操作", "业务名称", "委托类别", "买卖方向", "side"),
    "quantity": ("成交数量", "成交股数", "数量", "quantity"),
    "price": ("成交价格", "成交均价", "价格", "price"),
    "value": ("成交金额", "value"),
    "commission": ("佣金", "手续费", "commission"),
    "stamp_duty": ("印花税", "stamp_duty"),
    "transfer_fee": ("过户费", "transfer_fee"),
    "other_fees": ("其他费", "规费", "经手费", "证管费", "其他杂费", "other_fees"),
}
REQUIRED = ("date", "code", "side", "quantity", "price")
BUY_WORDS = ("买入", "证券买入", "买", "B", "buy")
SELL_WORDS = ("卖出", "证券卖出", "卖", "S", "sell")


def read_statement(path: Path, columns: Mapping[str, str] | None = None) -> tuple[pd.DataFrame,
                                                                                  list[str]]:
    """The fills of a broker's export as (frame, notes): one row per fill with the canonical
    columns, ``line`` (the file's line) and ``fees`` (their sum), oldest first."""
    raw = read_table(Path(path))
    raw.columns = [str(c).strip() for c in raw.columns]
    chosen: dict[str, str] = {}
    for name, candidates in DEFAULT_COLUMNS.items():
        given = (columns or {}).get(name)
        if given is not None:
            if given not in raw.columns:
                raise HuiceError(f"paper.statement.columns.{name}: no column {given!r} in the "
                                 f"statement (it has {', '.join(raw.columns)})", source=path)
            chosen[name] = given
            continue
        found = next((c for c in candidates if c in raw.columns), None)
        if found is not None:
            chosen[name] = found
    missing = [name for name in REQUIRED if name not in chosen]
    if missing:
        raise HuiceError(f"cannot find the {', '.join(missing)} column(s) of a fills export "
                         f"(found {', '.join(raw.columns)}); name them under "
                         "paper.statement.columns (e.g. quantity: 成交数量)", source=path)
    frame = pd.DataFrame({name: raw[column] for name, column in chosen.items()})
    frame["line"] = np.arange(len(raw)) + 2
    side = frame["side"].astype(str).str.strip()
    buys = side.isin(BUY_WORDS) | side.str.contains("买入", regex=False)
    sells = side.isin(SELL_WORDS) | side.str.contains("卖出", regex=False)
    trades = buys | sells
    notes = []
    if (~trades).any():
        kinds = ", ".join(sorted(set(side[~trades]))[:5])
        notes.append(f"{int((~trades).sum())} row(s) that are not buys or sells left out "
                     f"({kinds})")
    frame = frame[trades].copy()
    frame["side"] = np.where(buys[trades], "buy", "sell")
    for name in ("quantity", "price", "value", "commission", "stamp_duty", "transfer_fee",
                 "other_fees"):
        if name in frame:
            values = parse_numbers(frame[name])
            text = frame[name].astype("string").str.strip()
            bad = values.isna() & text.notna() & (text != "")
            if bad.any():
                row = frame.index[bad.to_numpy()][0]
                raise HuiceError(f"{chosen[name]} {frame.loc[row, name]!r} is not a number",
                                 source=f"{path}:{int(frame.loc[row, 'line'])}")
            frame[name] = values.abs().fillna(0.0)
        else:
            frame[name] = 0.0
    text_dates = frame["date"].astype(str).str.strip()
    frame["date"] = parse_dates(frame["date"])
    if frame["date"].isna().any():
        row = frame.index[frame["date"].isna().to_numpy()][0]
        raise HuiceError(f"{chosen['date']} {text_dates[row]!r} is not a date",
                         source=f"{path}:{int(frame.loc[row, 'line'])}")
    frame["code"] = frame["code"].astype(str).str.strip().str.split(".").str[0].str.zfill(6)
    if (frame["value"] == 0).all():
        frame["value"] = (frame["quantity"] * frame["price"]).round(2)
    frame["fees"] = frame[["commission", "stamp_duty", "transfer_fee", "other_fees"]].sum(axis=1)
    frame["date"] = frame["date"].dt.date.astype(str)
    return frame.sort_values(["date", "line"]).reset_index(drop=True), notes
