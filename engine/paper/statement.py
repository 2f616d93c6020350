"""A broker's fills export (成交明细 / 交割单), read into one canonical frame.

Brokers' desktop clients export fills as CSV or Excel in GBK, with Chinese headers that vary a
little between brokers. The default mapping takes the usual names (the first one present wins);
``paper.statement.columns`` overrides any of them. Canonical columns: ``date`` (成交日期),
``code`` (证券代码), ``side`` (买卖标志: 买入/卖出, 证券买入/证券卖出, B/S), ``quantity``
(成交数量), ``price`` (成交价格), ``value`` (成交金额), and the fees where the export has them:
``commission`` (佣金), ``stamp_duty`` (印花税), ``transfer_fee`` (过户费), ``other_fees``
(其他费/规费/经手费). Rows that are not trades are recognised: totals (合计) are skipped,
cash flows (银证转账 in and out, 红利入账, 利息归本) are kept apart with their amount (发生金额),
and anything else is listed; an amount that disagrees with price x quantity is flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
    "amount": ("发生金额", "清算金额", "资金发生数", "收付金额", "amount"),
    "description": ("摘要", "业务名称", "备注", "操作", "description"),
}
REQUIRED = ("date", "code", "side", "quantity", "price")
BUY_WORDS = ("买入", "证券买入", "买", "B", "buy")
SELL_WORDS = ("卖出", "证券卖出", "卖", "S", "sell")
TOTAL_WORDS = ("合计", "总计", "小计", "汇总")
# cash flows that are not trades, by the words of their row (side or description)
FLOW_KINDS = (("dividend", ("红利", "股息", "派息", "分红")),
              ("interest", ("利息",)),
              ("transfer", ("银证", "转账", "转入", "转出", "存入", "取出")))
# a row's amount may differ from price x quantity by this much per unit (a cent) before it is
# flagged: brokers round the amount, never by more
AMOUNT_TOLERANCE_PER_UNIT = 0.01


@dataclass(frozen=True)
class Statement:
    """A broker's export read: its fills, its cash flows that are not trades, and notes
    (totals skipped, rows not understood, amounts that disagree with price x quantity)."""

    fills: pd.DataFrame       # date, code, side, quantity, price, value, fees..., line
    cash_flows: pd.DataFrame  # date, kind (transfer, dividend, interest), amount, code, line
    notes: list[str]
    unrecognised: list[str]   # one line per row that is neither a trade nor a known flow
    inconsistent: list[str]   # one line per fill whose amount is not price x quantity


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("").str.strip()


def _choose(raw: pd.DataFrame, columns: Mapping[str, str] | None, path: Path) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for name, candidates in DEFAULT_COLUMNS.items():
        given = (columns or {}).get(name)
        if given is not None:
            if given not in raw.columns:
                raise HuiceError(f"paper.statement.columns.{name}: no column {given!r} in the "
                                 f"statement (it has {', '.join(raw.columns)})", source=path)
            chosen[name] = given
            continue
        found = next((c for c in candidates if c in raw.columns and c not in chosen.values()),
                     None)
        if found is not None:
            chosen[name] = found
    missing = [name for name in REQUIRED if name not in chosen]
    if missing:
        raise HuiceError(f"cannot find the {', '.join(missing)} column(s) of a fills export "
                         f"(found {', '.join(raw.columns)}); name them under "
                         "paper.statement.columns (e.g. quantity: 成交数量)", source=path)
    return chosen


def _numbers(frame: pd.DataFrame, name: str, chosen: dict[str, str], path: Path) -> pd.Series:
    if name not in frame:
        return pd.Series(0.0, index=frame.index)
    values = parse_numbers(frame[name])
    text = _text(frame[name])
    bad = values.isna() & (text != "")
    if bad.any():
        row = frame.index[bad.to_numpy()][0]
        raise HuiceError(f"{chosen[name]} {frame.loc[row, name]!r} is not a number",
                         source=f"{path}:{int(frame.loc[row, 'line'])}")
    return values.fillna(0.0)


def read_statement(path: Path, columns: Mapping[str, str] | None = None) -> Statement:
    """A broker's export, every row classified: a buy or a sell (a fill), a cash flow that is
    not a trade (银证转账 in or out, 红利入账, 利息归本), a totals row (合计, skipped), or a row
    not understood (listed, never a traceback)."""
    raw = read_table(Path(path))
    raw.columns = [str(c).strip() for c in raw.columns]
    chosen = _choose(raw, columns, path)
    frame = pd.DataFrame({name: raw[column] for name, column in chosen.items()})
    frame["line"] = np.arange(len(raw)) + 2
    side = _text(frame["side"])
    words = side + " " + (_text(frame["description"]) if "description" in frame else "")
    every_cell = raw.astype("string").fillna("").agg(" ".join, axis=1)
    totals = every_cell.apply(lambda cells: any(w in cells for w in TOTAL_WORDS)).to_numpy()
    buys = (side.isin(BUY_WORDS) | side.str.contains("买入", regex=False)).to_numpy() & ~totals
    sells = (side.isin(SELL_WORDS) | side.str.contains("卖出", regex=False)).to_numpy() & ~totals
    trades = buys | sells
    flow_kind = pd.Series("", index=frame.index, dtype=object)
    for kind, markers in reversed(FLOW_KINDS):  # the first kind named wins
        hit = words.apply(lambda text, m=markers: any(w in text for w in m)).to_numpy()
        flow_kind[hit & ~trades & ~totals] = kind
    flows = (flow_kind != "").to_numpy()
    notes = []
    if totals.any():
        notes.append(f"{int(totals.sum())} totals row(s) skipped (line(s) "
                     f"{', '.join(str(n) for n in frame['line'][totals])})")
    other = ~(trades | flows | totals)
    unrecognised = [f"line {int(row.line)}: {' '.join(str(v) for v in raw.iloc[i] if str(v) != 'nan')}"
                    f": neither a buy or sell nor a known cash flow"
                    for i, row in enumerate(frame.itertuples()) if other[i]]
    if unrecognised:
        notes.append(f"{len(unrecognised)} row(s) not understood, listed below")
    for name in ("quantity", "price", "value", "commission", "stamp_duty", "transfer_fee",
                 "other_fees", "amount"):
        frame[name] = _numbers(frame[~other & ~totals], name, chosen, path).reindex(
            frame.index, fill_value=0.0)
    text_dates = _text(frame["date"])
    frame["date"] = parse_dates(frame["date"].where(trades | flows))
    undated = (trades | flows) & frame["date"].isna().to_numpy()
    if undated.any():
        row = frame.index[undated][0]
        raise HuiceError(f"{chosen['date']} {text_dates[row]!r} is not a date",
                         source=f"{path}:{int(frame.loc[row, 'line'])}")
    frame["code"] = _text(frame["code"]).str.split(".").str[0].str.zfill(6)
    cash = frame[flows].copy()
    cash["kind"] = flow_kind[flows]
    amount = cash["amount"].where(cash["amount"] != 0, cash["value"])
    # an outgoing transfer's amount may be written positive: the words say its direction
    outgoing = words[flows].str.contains("转出|取出", regex=True).to_numpy()
    cash["amount"] = np.where(outgoing, -amount.abs(), amount)
    cash["date"] = cash["date"].dt.date.astype(str)
    cash = cash[["date", "kind", "amount", "code", "line"]].reset_index(drop=True)
    fills = frame[trades].copy()
    fills["side"] = np.where(buys[trades], "buy", "sell")
    for name in ("quantity", "price", "value", "commission", "stamp_duty", "transfer_fee",
                 "other_fees"):
        fills[name] = fills[name].abs()
    if (fills["value"] == 0).all():
        fills["value"] = (fills["quantity"] * fills["price"]).round(2)
    mismatch = (fills["value"] - fills["quantity"] * fills["price"]).abs() > \
        AMOUNT_TOLERANCE_PER_UNIT * fills["quantity"] + 1e-9
    inconsistent = [f"line {int(r.line)}: {r.code} {r.side} {r.quantity:,.0f} at {r.price:g} is "
                    f"{r.quantity * r.price:,.2f}, but its amount says {r.value:,.2f}: the "
                    "price is taken as stated; check the row"
                    for r in fills[mismatch].itertuples()]
    fills["fees"] = fills[["commission", "stamp_duty", "transfer_fee", "other_fees"]].sum(axis=1)
    fills["date"] = fills["date"].dt.date.astype(str)
    fills = fills.drop(columns=[c for c in ("amount", "description") if c in fills])
    return Statement(fills.sort_values(["date", "line"]).reset_index(drop=True), cash, notes,
                     unrecognised, inconsistent)
