"""Order tickets from a broker state's pending orders, and the exchange-rule check."""

from __future__ import annotations

import dataclasses
import datetime as dt

from huice.config.schema import BrokerConfig
from huice.engine.broker.rules import resolve_rules
from huice.engine.paper.tickets import build_tickets, check_tickets, easytrader_calls

RULES = {"510300.SH": resolve_rules("510300.SH", "etf", "main", BrokerConfig()),
         "159915.SZ": resolve_rules("159915.SZ", "etf", "chinext", BrokerConfig()),
         "801080.SI": resolve_rules("801080.SI", "index", None, BrokerConfig())}
CLOSES = {"510300.SH": 5.562, "159915.SZ": 3.321, "801080.SI": 5000.0}
SESSION = dt.date(2021, 1, 22)


def order(order_id, symbol, is_buy, quantity, **extra):
    return {"order_id": order_id, "symbol": symbol, "is_buy": is_buy, "quantity": quantity,
            "filled": 0.0, "validity": "day", "tag": "rebalance", **extra}


def test_each_kind_of_order_becomes_a_ticket():
    tickets = build_tickets([
        order(1, "510300.SH", True, 20000),                                   # market buy
        order(2, "159915.SZ", False, 3000, kind="limit", limit_price=2.5),  # below the band
        order(3, "510300.SH", False, 5000, kind="stop", stop_price=5.3),
        order(4, "801080.SI", True, 100),
        order(5, "510300.SH", True, 900, filled=300, kind="limit", limit_price=5.55555),
    ], SESSION, RULES, CLOSES)
    by_id = {t.order_id: t for t in tickets}
    # 5.562 x 1.1 = 6.1182 -> 6.118 (limit-up); 5.562 x 0.9 = 5.0058 -> 5.006
    assert (by_id[1].order_type, by_id[1].limit_price, by_id[1].band_low, by_id[1].band_high,
            by_id[1].lots, by_id[1].action) == ("limit", 6.118, 5.006, 6.118, 200.0, "place")
    # ChiNext's 20% band: 3.321 x 0.8 = 2.6568 -> 2.657; a sell limit below it goes to its edge
    assert by_id[2].limit_price == 2.657 and "outside the band: placed at 2.657" in by_id[2].note
    assert by_id[3].action == "watch" and by_id[3].stop_price == 5.3
    assert by_id[4].action == "watch" and "an index is not traded" in by_id[4].note
    # the rest of a partly filled order, its buy limit rounded down onto the tick
    assert (by_id[5].quantity, by_id[5].limit_price) == (600, 5.555)
    assert check_tickets(tickets, RULES, {"510300.SH": 5000, "159915.SZ": 3000}) == []
    calls = easytrader_calls(tickets)
    assert [c["order_id"] for c in calls] == [1, 2, 5]
    assert calls[1] == {"method": "sell", "kwargs": {"security": "159915", "price": 2.657,
                                                     "amount": 3000},
                        "order_id": 2, "reason": "rebalance"}


def test_the_check_names_what_the_exchange_refuses():
    ticket = build_tickets([order(1, "510300.SH", True, 20000)], SESSION, RULES, CLOSES)[0]
    bad = [dataclasses.replace(ticket, quantity=150),
           dataclasses.replace(ticket, order_id=2, limit_price=5.5555),
           dataclasses.replace(ticket, order_id=3, limit_price=6.2),
           dataclasses.replace(ticket, order_id=4, side="sell", quantity=7000),
           dataclasses.replace(ticket, order_id=5, side="sell", quantity=50)]
    problems = check_tickets(bad, RULES, {"510300.SH": 5050})
    assert problems == [
        "ticket #1 buy 150 510300.SH: a buy must be whole lots of 100",
        "ticket #2 buy 20000 510300.SH: limit 5.5555 is not on the 0.001 tick",
        "ticket #3 buy 20000 510300.SH: limit 6.2 outside the band 5.006 .. 6.118",
        "ticket #4 sell 7000 510300.SH: sells 7000 in all, more than the 5050 held",
        "ticket #5 sell 50 510300.SH: sells 7050 in all, more than the 5050 held"]
    odd = check_tickets([dataclasses.replace(ticket, side="sell", quantity=50)], RULES,
                        {"510300.SH": 5050})
    assert odd == ["ticket #1 sell 50 510300.SH: an odd lot may only be sold with the whole "
                   "position"]
