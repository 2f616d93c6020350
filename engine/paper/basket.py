"""Basket files: the next session's placeable tickets in a trading client's own file-order
layout, for accounts that hand orders over as a file (文件单 / 篮子) instead of an API.

``myquant`` is the CSV file order of MyQuant's 掘金 terminal, which the Eastmoney EMC quant
terminal (built on it) takes the same way: the terminal scans an input folder and places each
row of a file it finds there. What is known of the layout, and from where (docs/paper-
trading.md, "Basket files"): MyQuant's own page on file orders (myquant.cn/docs2/tools/文件单)
describes the input folder, the CSV and DBF forms and the output folder of execution reports;
the columns, their codes and the file's name are those of zillionare/trader-gm-adaptor, an
adaptor run against the EMC terminal, whose field table reads

    sid (required: the order's own ID, unique, never reused), account_id (the terminal's
    account ID), symbol (``SHSE.600000`` / ``SZSE.000001``), volume (an integer),
    order_type (1 = limit), order_business(order_biz) (1 = buy, 2 = sell), price (required
    for a limit order), comment (optional)

written UTF-8 with a byte-order mark, one file per day named ``YYYYMMDD.order.csv``.
Every ticket is a limit order (a market order's ticket is a marketable limit), so order_type
is always 1; the sid is ``huice-<session>-<order id>``, the same on every rerun of an evening,
so that a file written twice cannot place an order twice under a terminal that keeps sids
unique.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from huice.config.errors import ConfigError
from huice.engine.paper.tickets import Ticket
from huice.engine.results.writer import write_file_atomically

MYQUANT_COLUMNS = ["sid", "account_id", "symbol", "volume", "order_type",
                   "order_business(order_biz)", "price", "comment"]
MYQUANT_EXCHANGES = {"SH": "SHSE", "SZ": "SZSE"}
MYQUANT_LIMIT = 1
MYQUANT_SIDES = {"buy": 1, "sell": 2}


def myquant_rows(tickets: list[Ticket], account_id: str) -> pd.DataFrame:
    """The placeable tickets as rows of a MyQuant file order (watch and skip tickets are left
    out, as in the easytrader file)."""
    rows = []
    for ticket in tickets:
        if ticket.action != "place" or ticket.limit_price is None:
            continue
        exchange = MYQUANT_EXCHANGES.get(ticket.exchange)
        if exchange is None:
            raise ConfigError(f"ticket {ticket.order_id} ({ticket.symbol}): the MyQuant file "
                              f"order has no market for exchange '{ticket.exchange}' (SH and "
                              "SZ only); no ticket or basket was written",
                              where="paper.basket.format")
        session = ticket.session.replace("-", "")
        rows.append({"sid": f"huice-{session}-{ticket.order_id}", "account_id": account_id,
                     "symbol": f"{exchange}.{ticket.code}", "volume": int(ticket.quantity),
                     "order_type": MYQUANT_LIMIT,
                     "order_business(order_biz)": MYQUANT_SIDES[ticket.side],
                     "price": ticket.limit_price, "comment": f"huice order {ticket.order_id}"})
    return pd.DataFrame(rows, columns=MYQUANT_COLUMNS)


def myquant_text(tickets: list[Ticket], account_id: str) -> str:
    """The file order's text: a header, then one row per placeable ticket (the prices as on
    the tickets, on the tick)."""
    text: str = myquant_rows(tickets, account_id).to_csv(index=False, lineterminator="\n")
    return text


def write_basket(folder: Path, text: str, session: dt.date) -> Path:
    """``<folder>/YYYYMMDD.order.csv`` for ``session`` (``text`` from :func:`myquant_text`),
    written atomically in UTF-8 with a byte-order mark (what the terminal reads). Nothing else
    goes into that folder: the terminal would take any CSV there for an order file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{session:%Y%m%d}.order.csv"
    write_file_atomically(path, "\ufeff" + text)
    return path
