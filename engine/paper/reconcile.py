"""Reconciliation: what the broker actually filled against what the paper account booked
(docs/paper-trading.md, "Reconciliation").

Real fills (:mod:`huice.engine.paper.statement`) and paper fills are grouped by day, code and
side, and each group is compared:

- ``status``: ``matched`` (same quantity), ``partial`` (the broker filled less), ``over`` (more),
  ``missed`` (the paper account filled, the broker did not), ``extra`` (the broker filled what
  the paper account did not);
- slippage per unit against the paper price, signed so that positive is worse for the account
  (paid more on a buy, got less on a sale), in CNY, in ticks, and in CNY over the quantity both
  filled;
- fees: the broker's less the paper's;
- the drift of each code's position (real less paper units) and of cash (real less paper),
  cumulative over every reconciled day.

Besides the groups, ``fills`` has one row per broker fill (FILL_ROW_COLUMNS): its statement
line, price and quantity, its slippage against its group's paper price, and each fee the broker
charged (commission, stamp duty, transfer fee, other fees) against the paper's, the paper's
being its group's fee per unit times the fill's quantity (so a fill's shares sum to the group's,
and a minimum commission charged once shows on the fills it was spread over).

Only days the paper account has booked are reconciled, and within the statement's first and
last day a paper fill with no broker fill is ``missed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from huice.feeds.codes import bare_code

RECONCILED_COLUMNS = ["date", "code", "side", "paper_quantity", "real_quantity", "paper_price",
                      "real_price", "slippage_per_unit", "slippage_ticks", "slippage_cost",
                      "paper_fees", "real_fees", "fee_difference", "status", "order_ids"]

DEFAULT_TICK = 0.001  # a code with no tick given (an ETF's), for slippage in ticks
FEE_PARTS = ("commission", "stamp_duty", "transfer_fee", "other_fees")
FILL_ROW_COLUMNS = (["date", "code", "side", "line", "quantity", "price", "paper_price",
                     "slippage_per_unit", "slippage_ticks", "slippage_cost", "status",
                     "order_ids"]
                    + [f"{kind}_{part}" for part in FEE_PARTS for kind in ("real", "paper")]
                    + [f"{part}_difference" for part in FEE_PARTS])


@dataclass(frozen=True)
class Reconciliation:
    """The compared groups, the broker's fills one by one, and the drift after the last
    reconciled day."""

    rows: pd.DataFrame                  # RECONCILED_COLUMNS
    fills: pd.DataFrame                 # FILL_ROW_COLUMNS, one row per broker fill
    position_drift: dict[str, int]      # code -> real less paper units
    cash_drift: float                   # real less paper cash
    first: str
    last: str

    @property
    def differences(self) -> int:
        """How many groups are not matched exactly, plus one for any drift."""
        rows = self.rows
        unmatched = int((rows["status"] != "matched").sum())
        fees = int(((rows["status"] == "matched") & (rows["fee_difference"].abs() > 0.005)).sum())
        drift = bool(abs(self.cash_drift) > 0.005 or any(self.position_drift.values()))
        return unmatched + fees + int(drift)

    def summary(self) -> list[str]:
        """One line per finding worth a look, then the totals."""
        rows = self.rows
        lines = [f"reconciled {self.first} .. {self.last}"]
        for row in rows[rows["status"] == "moved"].itertuples():
            paper_ids, paper_day = _paper_orders_and_day(row.order_ids)
            lines.append(f"{row.date} {row.code} {row.side}: moved: the broker filled "
                         f"{row.real_quantity:,.0f} on {row.date}, the paper account on "
                         f"{paper_day} (order {paper_ids})")
        for row in rows[~rows["status"].isin(["matched", "moved", "price"])].itertuples():
            lines.append(f"{row.date} {row.code} {row.side}: {row.status} (paper "
                         f"{row.paper_quantity:,.0f}, broker {row.real_quantity:,.0f})")
        for row in rows[(rows["fee_difference"].abs() > 0.005)
                        & (rows["real_quantity"] > 0) & (rows["paper_quantity"] > 0)].itertuples():
            lines.append(f"{row.date} {row.code} {row.side}: fees {row.real_fees:,.2f} against "
                         f"the paper's {row.paper_fees:,.2f} ({row.fee_difference:+,.2f})")
        worse = rows[rows["slippage_ticks"].abs() >= 1]
        for row in worse.itertuples():
            lines.append(f"{row.date} {row.code} {row.side}: filled {row.real_price:g} against "
                         f"the paper {row.paper_price:g}: {row.slippage_ticks:+g} tick(s), "
                         f"{row.slippage_cost:,.2f} CNY")
        lines.append(f"{len(rows)} group(s) {self.first} .. {self.last}: slippage "
                     f"{rows['slippage_cost'].sum():,.2f} CNY, fees "
                     f"{rows['fee_difference'].sum():+,.2f} CNY against the paper's; drift: cash "
                     f"{self.cash_drift:+,.2f}"
                     + "".join(f", {code} {units:+,d}" for code, units
                               in sorted(self.position_drift.items()) if units))
        return lines


def _cash_flow(side: pd.Series, value: pd.Series, fees: pd.Series) -> pd.Series:
    return (value.where(side == "sell", -value) - fees).round(2)


MOVE_WINDOW_DAYS = 10  # a broker fill is looked for on a paper fill this many days away


def reconcile(paper_fills: pd.DataFrame, real: pd.DataFrame, ticks: dict[str, float],
              first: str | None = None, last: str | None = None) -> Reconciliation:
    """Compare the paper fills with the broker's (both with date, side, quantity, value, fees;
    the paper's with symbol and order_id, the broker's with code and its stated price) over
    ``first`` .. ``last`` (default: the statement's span). ``ticks``: code -> tick."""
    first = first or str(real["date"].min())
    last = last or str(real["date"].max())
    real = real[(real["date"] >= first) & (real["date"] <= last)].copy()
    real["cost"] = real["quantity"] * real["price"]
    paper = paper_fills[(paper_fills["date"] >= first) & (paper_fills["date"] <= last)].copy()
    paper["code"] = paper["symbol"].map(bare_code)
    keys = ["date", "code", "side"]
    paper_groups = paper.groupby(keys).agg(paper_quantity=("quantity", "sum"),
                                           paper_value=("value", "sum"),
                                           paper_fees=("fees", "sum"),
                                           order_ids=("order_id", lambda ids: " ".join(
                                               str(i) for i in sorted(set(ids)))))
    real_groups = real.groupby(keys).agg(real_quantity=("quantity", "sum"),
                                         real_value=("cost", "sum"), real_fees=("fees", "sum"))
    rows = paper_groups.join(real_groups, how="outer").reset_index()
    for column in ("paper_quantity", "paper_value", "paper_fees", "real_quantity",
                   "real_value", "real_fees"):
        rows[column] = rows[column].fillna(0.0)
    rows["order_ids"] = rows["order_ids"].fillna("")
    rows["paper_price"] = (rows["paper_value"] / rows["paper_quantity"]).where(
        rows["paper_quantity"] > 0)
    rows["real_price"] = (rows["real_value"] / rows["real_quantity"]).where(
        rows["real_quantity"] > 0)
    sign = rows["side"].map({"buy": 1.0, "sell": -1.0})
    per_unit = ((rows["real_price"] - rows["paper_price"]) * sign).fillna(0.0)
    rows["slippage_per_unit"] = per_unit.round(6)
    tick = rows["code"].map(ticks).fillna(DEFAULT_TICK)
    rows["slippage_ticks"] = (per_unit / tick).round(2)
    both = rows[["paper_quantity", "real_quantity"]].min(axis=1)
    rows["slippage_cost"] = (per_unit * both).round(2)
    rows["fee_difference"] = (rows["real_fees"] - rows["paper_fees"]).round(2)
    rows["status"] = "matched"
    rows.loc[rows["real_quantity"] < rows["paper_quantity"], "status"] = "partial"
    rows.loc[rows["real_quantity"] > rows["paper_quantity"], "status"] = "over"
    rows.loc[(rows["status"] == "matched") & (rows["slippage_ticks"].abs() >= 1 - 1e-9),
             "status"] = "price"  # off by a tick or more: not matched
    rows.loc[rows["real_quantity"] == 0, "status"] = "missed"
    rows.loc[rows["paper_quantity"] == 0, "status"] = "extra"
    rows = rows.sort_values(keys).reset_index(drop=True)
    rows = _moved(rows)
    rows = rows[RECONCILED_COLUMNS].round({"paper_price": 6, "real_price": 6, "paper_fees": 2,
                                           "real_fees": 2})
    positions, cash = drift_of(rows)
    return Reconciliation(rows, fill_rows(paper, real, rows, ticks), positions, cash, first,
                          last)


def fill_rows(paper: pd.DataFrame, real: pd.DataFrame, rows: pd.DataFrame,
              ticks: dict[str, float]) -> pd.DataFrame:
    """One row per broker fill (``real``, with its statement ``line``) against its reconciled
    group in ``rows`` (a ``moved`` group's paper side is the paper's day in its order_ids).
    The paper's fees per fill are its group's per unit times the fill's quantity."""
    paper = paper.copy()
    for part in FEE_PARTS:
        if part not in paper:
            paper[part] = 0.0
    per_group = paper.groupby(["date", "code", "side"])[["quantity", *FEE_PARTS]].sum()
    groups = rows.set_index(["date", "code", "side"])
    out = []
    for fill in real.sort_values(["date", "code", "side", "line"]).itertuples(index=False):
        key = (fill.date, fill.code, fill.side)
        group = groups.loc[key] if key in groups.index else None
        paper_day = fill.date
        if group is not None and group["status"] == "moved":
            paper_day = _paper_orders_and_day(group["order_ids"])[1]
        paper_key = (paper_day, fill.code, fill.side)
        sums = per_group.loc[paper_key] if paper_key in per_group.index else None
        paper_price = float(group["paper_price"]) if group is not None else float("nan")
        sign = 1.0 if fill.side == "buy" else -1.0
        per_unit = 0.0 if math.isnan(paper_price) else (fill.price - paper_price) * sign
        row = {"date": fill.date, "code": fill.code, "side": fill.side,
               "line": int(getattr(fill, "line", 0)), "quantity": float(fill.quantity),
               "price": float(fill.price), "paper_price": paper_price,
               "slippage_per_unit": round(per_unit, 6),
               "slippage_ticks": round(per_unit / ticks.get(fill.code, DEFAULT_TICK), 2),
               "slippage_cost": round(per_unit * fill.quantity, 2),
               "status": group["status"] if group is not None else "extra",
               "order_ids": group["order_ids"] if group is not None else ""}
        for part in FEE_PARTS:
            charged = float(getattr(fill, part, 0.0) or 0.0)
            share = (float(sums[part]) / float(sums["quantity"]) * fill.quantity
                     if sums is not None and sums["quantity"] > 0 else 0.0)
            row[f"real_{part}"] = round(charged, 2)
            row[f"paper_{part}"] = round(share, 2)
            row[f"{part}_difference"] = round(charged - share, 2)
        out.append(row)
    return pd.DataFrame(out, columns=FILL_ROW_COLUMNS)


def _paper_orders_and_day(order_ids: object) -> tuple[str, str]:
    """A ``moved`` group's ``order_ids`` (``"<paper order ids> @<paper's day>"``), split."""
    ids, _, day = str(order_ids).partition(" @")
    return ids, day


def _moved(rows: pd.DataFrame) -> pd.DataFrame:
    """A broker fill on a day the paper account did not fill (``extra``) that matches a
    ``missed`` paper fill of the same code, side and quantity a few days away is one fill on
    another day: the two rows become one ``moved`` row on the broker's day, the paper's day in
    its ``order_ids`` (``12 @2025-01-03``), so that no false drift follows."""
    extra = rows.index[rows["status"] == "extra"]
    used: set[int] = set()
    for index in extra:
        row = rows.loc[index]
        day = pd.Timestamp(row["date"])
        candidates = rows[(rows["status"] == "missed") & (rows["code"] == row["code"])
                          & (rows["side"] == row["side"])
                          & (rows["paper_quantity"] == row["real_quantity"])
                          & ~rows.index.isin(list(used))]
        near = candidates[(pd.to_datetime(candidates["date"]) - day).abs()
                          <= pd.Timedelta(days=MOVE_WINDOW_DAYS)]
        if near.empty:
            continue
        paper = near.iloc[(pd.to_datetime(near["date"]) - day).abs().argsort().iloc[0]]
        used.add(int(paper.name))
        merged = row.copy()
        for column in ("paper_quantity", "paper_price", "paper_fees"):
            merged[column] = paper[column]
        merged["order_ids"] = f"{paper['order_ids']} @{paper['date']}"
        sign = 1.0 if row["side"] == "buy" else -1.0
        per_unit = (row["real_price"] - paper["paper_price"]) * sign
        merged["slippage_per_unit"] = round(per_unit, 6)
        merged["slippage_cost"] = round(per_unit * row["real_quantity"], 2)
        merged["fee_difference"] = round(row["real_fees"] - paper["paper_fees"], 2)
        merged["status"] = "moved"
        rows.loc[index] = merged
    return rows.drop(index=list(used)).reset_index(drop=True)


def drift_of(rows: pd.DataFrame) -> tuple[dict[str, int], float]:
    """Position drift per code (real less paper units) and cash drift (real less paper CNY)
    over reconciled groups (RECONCILED_COLUMNS; the value is quantity x average price)."""
    if rows.empty:
        return {}, 0.0
    sign = rows["side"].map({"buy": 1.0, "sell": -1.0})
    units = ((rows["real_quantity"] - rows["paper_quantity"]) * sign).groupby(rows["code"]).sum()
    real_value = rows["real_quantity"] * rows["real_price"].fillna(0.0)
    paper_value = rows["paper_quantity"] * rows["paper_price"].fillna(0.0)
    cash = (_cash_flow(rows["side"], real_value, rows["real_fees"])
            - _cash_flow(rows["side"], paper_value, rows["paper_fees"])).sum()
    return ({code: round(float(v)) for code, v in units.items() if round(float(v))},
            round(float(cash), 2))
