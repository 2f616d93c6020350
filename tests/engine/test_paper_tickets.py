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


def test_buys_are_cut_to_what_cash_and_the_sales_sure_proceeds_freeze():
    """A sale of 3,000 159915.SZ at its band's low 2.657 is sure to bring 7,971.00 less 1.99
    commission (0.025%) = 7,969.01; with 100,000.00 of cash, 107,969.01 is available. The first
    buy, 15,000 510300.SH at limit-up 6.118, freezes 91,770.00 + 22.94 = 91,792.94, leaving
    16,176.07; the second, 5,000 at 6.118 (30,590.00 + 7.65), does not fit: cut to 2,600
    (15,906.80 + 3.98 = 15,910.78; 2,700 would freeze 16,522.73); a third, 1,000, not one lot:
    skipped. The set then passes the cash check, and the uncut set does not."""
    from huice.engine.paper.tickets import fit_to_cash

    tickets = build_tickets([
        order(1, "510300.SH", True, 15000), order(2, "510300.SH", True, 5000),
        order(3, "510300.SH", True, 1000),
        order(4, "159915.SZ", False, 3000, kind="limit", limit_price=2.5),
    ], SESSION, RULES, CLOSES)
    holdings = {"159915.SZ": 3000}
    assert check_tickets(tickets, RULES, holdings, cash=100_000.0) != []
    fitted = {t.order_id: t for t in fit_to_cash(tickets, RULES, 100_000.0)}
    assert (fitted[1].quantity, fitted[1].action) == (15000, "place")
    assert (fitted[2].quantity, fitted[2].lots, fitted[2].action) == (2600, 26.0, "place")
    assert "cut to 2,600" in fitted[2].note and "16,176.07 CNY available" in fitted[2].note
    assert fitted[3].action == "skip" and "not one lot fits" in fitted[3].note
    assert check_tickets(list(fitted.values()), RULES, holdings, cash=100_000.0) == []
    assert [c["order_id"] for c in easytrader_calls(list(fitted.values()))] == [1, 2, 4]


def test_a_buy_limit_at_the_close_plus_a_percent_or_ticks_stays_inside_the_band():
    buy = [order(1, "510300.SH", True, 1000)]
    percent = build_tickets(buy, SESSION, RULES, CLOSES, ("percent", 0.01))[0]
    ticks = build_tickets(buy, SESSION, RULES, CLOSES, ("ticks", 5))[0]
    wide = build_tickets(buy, SESSION, RULES, CLOSES, ("percent", 0.5))[0]
    # 5.562 x 1.01 = 5.61762 -> 5.617 (down onto the tick); 5.562 + 5 x 0.001 = 5.567
    assert (percent.limit_price, ticks.limit_price, wide.limit_price) == (5.617, 5.567, 6.118)


def test_a_stock_ticket_says_when_the_price_cage_does_not_apply():
    rules = {**RULES, "600000.SH": resolve_rules("600000.SH", "stock", "main", BrokerConfig())}
    tickets = build_tickets([order(1, "600000.SH", True, 1000),
                             order(2, "510300.SH", True, 1000),
                             order(3, "600000.SH", False, 500, kind="stop", stop_price=9.0)],
                            SESSION, rules, {**CLOSES, "600000.SH": 10.0})
    by_id = {t.order_id: t for t in tickets}
    # a main-board stock: 10% band, 10.00 x 1.1 = 11.00
    assert by_id[1].limit_price == 11.0
    assert "opening call auction (9:15-9:25), where no price cage applies" in by_id[1].note
    assert "price cage" not in by_id[2].note       # an ETF
    assert "price cage" not in by_id[3].note       # a watched stop is not placed
