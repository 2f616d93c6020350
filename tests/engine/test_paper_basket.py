"""The basket file: the placeable tickets as MyQuant's (and the EMC terminal's) CSV file order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from huice.config.errors import ConfigError
from huice.config.schema import BrokerConfig
from huice.engine.broker.rules import resolve_rules
from huice.engine.paper.basket import MYQUANT_COLUMNS, myquant_text, write_basket
from huice.engine.paper.tickets import build_tickets

RULES = {"510300.SH": resolve_rules("510300.SH", "etf", "main", BrokerConfig()),
         "159915.SZ": resolve_rules("159915.SZ", "etf", "chinext", BrokerConfig())}
CLOSES = {"510300.SH": 5.562, "159915.SZ": 3.321}
SESSION = dt.date(2021, 1, 22)
ACCOUNT = "1395dc4f-3601-11eb-bda5-001018b67b94"


def order(order_id, symbol, is_buy, quantity, **extra):
    return {"order_id": order_id, "symbol": symbol, "is_buy": is_buy, "quantity": quantity,
            "filled": 0.0, "validity": "day", "tag": "rebalance", **extra}


def tickets():
    return build_tickets([
        order(7, "510300.SH", True, 20000),                                    # market buy
        order(8, "159915.SZ", False, 3000, kind="limit", limit_price=3.2),
        order(9, "510300.SH", False, 5000, kind="stop", stop_price=5.3),     # watch only
    ], SESSION, RULES, CLOSES)


def test_each_placeable_ticket_is_one_limit_row_with_the_terminals_codes(tmp_path):
    text = myquant_text(tickets(), ACCOUNT)
    # the buy at limit-up 5.562 x 1.1 = 6.1182 -> 6.118; the sell at its own limit; the stop
    # has no exchange equivalent and stays out, as in the easytrader file
    assert text.splitlines() == [
        ",".join(MYQUANT_COLUMNS),
        f"huice-20210122-7,{ACCOUNT},SHSE.510300,20000,1,1,6.118,huice order 7",
        f"huice-20210122-8,{ACCOUNT},SZSE.159915,3000,1,2,3.2,huice order 8"]
    path = write_basket(tmp_path / "myquant", text, SESSION)
    assert path.name == "20210122.order.csv"
    assert path.read_bytes() == b"\xef\xbb\xbf" + text.encode("utf-8")
    assert [p.name for p in path.parent.iterdir()] == ["20210122.order.csv"]  # nothing else


def test_a_ticket_the_layout_cannot_express_is_refused_naming_it():
    beijing = dataclasses.replace(tickets()[0], symbol="430047.BJ", code="430047",
                                  exchange="BJ")
    with pytest.raises(ConfigError, match=re.escape(
            "ticket 7 (430047.BJ): the MyQuant file order has no market for exchange 'BJ'")):
        myquant_text([beijing], ACCOUNT)


def test_an_empty_evening_is_a_header_only_file():
    assert myquant_text([], ACCOUNT) == ",".join(MYQUANT_COLUMNS) + "\n"
