"""Order tickets: the next session's orders of a paper account, in a form a trader can read or
an execution tool can take (docs/paper-trading.md, "Order tickets").

After a step books its last day, the broker's pending orders are the orders the next session
will try. Each becomes one ticket line: the code and its exchange, side, quantity (and lots),
order type and a limit price on the tick inside the session's price band, and the strategy's
reason. The band is computed from the last booked close (the exchange computes it from the
ex-rights previous close, so on an ex-dividend day the real band is a little lower: the ticket
says so). A market order becomes a marketable limit at the band's edge (limit-up for a buy,
limit-down for a sell), which is how an A-share market order is protected; a limit outside the
band is brought to the band's edge (the exchange refuses a price outside it; every price the
order could fill at is still inside). Stop, trailing and at-close orders have no exchange
equivalent on SSE/SZSE for retail accounts: they are listed with ``action`` = ``watch`` and not
exported to the execution file.

:func:`check_tickets` validates a ticket against the exchange rules (lots, tick, band,
sellable quantity); every ticket written has passed it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from huice.engine.broker.commission import compute_fees
from huice.engine.broker.money import round_cents, tick_decimals
from huice.engine.broker.rules import InstrumentRules
from huice.engine.results.writer import write_csv_atomically, write_file_atomically

TICKET_COLUMNS = ["session", "order_id", "symbol", "code", "exchange", "side", "quantity",
                  "lots", "order_type", "limit_price", "stop_price", "band_low", "band_high",
                  "action", "validity", "reason", "note"]
EXECUTABLE = ("market", "limit")
# The price cage (价格笼子) bounds a stock's limit orders around the best quote in continuous
# trading only; the quote is not known the evening before, and its figures per board and date
# could not be confirmed from the exchanges' notices here (docs/broker.md), so the ticket says
# when it does not apply rather than guessing a price.
CAGE_NOTE = ("a stock: place it in the opening call auction (9:15-9:25), where no price cage "
             "applies; in continuous trading the cage (价格笼子) may refuse or hold a limit "
             "far from the best quote, which is not checked here")


@dataclass(frozen=True)
class Ticket:
    """One order for the next session."""

    session: str
    order_id: int
    symbol: str
    code: str
    exchange: str
    side: str
    quantity: int
    lots: float
    order_type: str
    limit_price: float | None
    stop_price: float | None
    band_low: float | None
    band_high: float | None
    action: str          # place | watch | skip (a buy the cash cannot pay, see fit_to_cash)
    validity: str
    reason: str
    note: str


def _code(symbol: str) -> tuple[str, str]:
    parts = symbol.removesuffix(".qfq").split(".")
    return parts[0], (parts[1] if len(parts) > 1 else "")


def buy_limit_price(rule: InstrumentRules, last_close: float, up: float | None,
                    kind: str, value: float) -> float | None:
    """A market buy's ticket limit: the band's edge, or the close plus ``value`` percent or
    ticks, rounded down onto the tick and never past the band."""
    if kind == "band":
        return up
    tick = rule.tick or 0.0
    price = last_close * (1 + value) if kind == "percent" else last_close + value * tick
    price = rule.limit_on_tick(price, True) if tick else price
    return min(price, up) if up is not None else price


def traded_prices(pending: list[dict[str, Any]], closes: dict[str, float],
                  scales: Mapping[str, float]) -> list[dict[str, Any]]:
    """``pending`` with an adjusted series' limit and stop prices (and ``closes``, in place)
    scaled to traded prices by ``scales`` (symbol -> traded / adjusted close)."""
    for symbol, scale in scales.items():
        if symbol in closes:
            closes[symbol] = closes[symbol] * scale
    if not scales:
        return pending
    scaled = []
    for order in pending:
        factor = scales.get(order["symbol"], 1.0)
        if factor != 1.0:
            order = {**order, **{key: order[key] * factor for key in ("limit_price", "stop_price")
                                 if order.get(key) is not None}}
        scaled.append(order)
    return scaled


def build_tickets(pending: list[dict[str, Any]], session: dt.date,
                  rules: Mapping[str, InstrumentRules], last_close: Mapping[str, float],
                  buy_limit: tuple[str, float] = ("band", 0.0)) -> list[Ticket]:
    """The tickets of ``pending`` (the broker state's pending orders) for ``session``;
    ``buy_limit`` (kind, value) prices a market buy (see :func:`buy_limit_price`)."""
    tickets = []
    for order in pending:
        if not order.get("active", True):
            continue  # a bracket child waits for its parent: not an order yet
        symbol = order["symbol"]
        rule = rules[symbol]
        is_buy = bool(order["is_buy"])
        remaining = round(float(order["quantity"]) - float(order.get("filled", 0.0)))
        kind = order.get("kind", "market")
        up, down = rule.day_limits(float(last_close[symbol]), session)
        notes = []
        limit = order.get("limit_price")
        action = "place"
        if kind in ("market", "close"):
            limit = buy_limit_price(rule, float(last_close[symbol]), up, *buy_limit) \
                if is_buy else down
            order_type = "limit" if limit is not None else "market"
            if limit is not None and (not is_buy or buy_limit[0] == "band"):
                notes.append("a market order as a marketable limit at the band's edge")
            elif limit is not None:
                notes.append(f"a market order as a limit at the close + {buy_limit[1]:g}"
                             f"{'' if buy_limit[0] == 'ticks' else ' (fraction)'}"
                             f"{' ticks' if buy_limit[0] == 'ticks' else ''}, inside the band")
            if kind == "close":
                action = "watch"
                notes.append("at the close: place it in the closing call auction by hand")
        elif kind == "limit":
            order_type = "limit"
            limit = rule.limit_on_tick(float(order["limit_price"]), is_buy)
            if up is not None and down is not None and not down <= limit <= up:
                edge = up if limit > up else down
                notes.append(f"limit {limit:g} outside the band: placed at {edge:g}")
                limit = edge
        else:
            order_type = kind
            action = "watch"
            notes.append("no exchange stop order: watch the price and place it when the stop "
                         "is reached")
        if rule.asset_class == "stock" and action == "place" and order_type == "limit":
            notes.append(CAGE_NOTE)
        if rule.asset_class in ("index", "synthetic"):
            action = "watch"
            notes.append("an index is not traded: place the order on an ETF that tracks it")
        if up is not None:
            notes.append("band from the last close; on an ex-dividend day the exchange's band "
                         "starts from the ex-rights price")
        lots = rule.lots_of(remaining)
        code, exchange = _code(symbol)
        tickets.append(Ticket(
            session=session.isoformat(), order_id=int(order["order_id"]), symbol=symbol,
            code=code, exchange=exchange, side="buy" if is_buy else "sell",
            quantity=remaining, lots=round(lots, 4), order_type=order_type,
            limit_price=_price(limit, rule), stop_price=_price(order.get("stop_price"), rule),
            band_low=_price(down, rule), band_high=_price(up, rule), action=action,
            validity=order.get("valid_until") or order.get("validity", "day"),
            reason=order.get("tag", ""), note="; ".join(notes)))
    return tickets


def _price(value: float | None, rule: InstrumentRules) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), tick_decimals(rule.tick)) if rule.tick else float(value)


def _frozen(ticket: Ticket, rule: InstrumentRules, quantity: float, day: dt.date) -> float:
    """What the broker freezes for a buy (quantity x its limit, plus the fees on that), or
    what a sale is sure to bring (quantity x its limit, less the fees on that)."""
    value = round_cents(quantity * float(ticket.limit_price or 0.0))
    fees = compute_fees(rule, ticket.side == "buy", value, day).total
    return value + fees if ticket.side == "buy" else value - fees


def _placed(ticket: Ticket) -> bool:
    return ticket.action == "place" and ticket.limit_price is not None


def fit_to_cash(tickets: list[Ticket], rules: Mapping[str, InstrumentRules],
                cash: float) -> list[Ticket]:
    """The tickets as a set the broker accepts: the sales first, each sure to bring its
    quantity x its limit less fees; then each buy in turn, whose frozen amount (quantity x its
    limit, plus fees) must fit the cash available at that point (the account's cash plus only
    those sure proceeds). A buy that does not fit is cut to the whole lots that do, or not
    placed (``action`` = ``skip``) when not one lot does; the ticket's note states the rule and
    the cut."""
    available = cash
    for ticket in tickets:
        if ticket.side == "sell" and _placed(ticket):
            available += _frozen(ticket, rules[ticket.symbol], ticket.quantity,
                                 dt.date.fromisoformat(ticket.session))
    fitted = []
    for ticket in tickets:
        if ticket.side != "buy" or not _placed(ticket):
            fitted.append(ticket)
            continue
        rule, day = rules[ticket.symbol], dt.date.fromisoformat(ticket.session)
        quantity = float(ticket.quantity)
        need = _frozen(ticket, rule, quantity, day)
        if need > available + 1e-9:
            quantity = rule.whole_lots(max(available, 0.0) / float(ticket.limit_price or 1.0))
            while quantity > 0 and _frozen(ticket, rule, quantity, day) > available + 1e-9:
                quantity = rule.one_lot_less(quantity)
            rule_text = (f"cash: the broker freezes quantity x limit {ticket.limit_price:g} + "
                         f"fees ({need:,.2f} CNY for {ticket.quantity:,}), more than the "
                         f"{available:,.2f} CNY available (cash and the sales' sure proceeds)")
            if quantity <= 0:
                ticket = replace(ticket, action="skip", note="; ".join(
                    [n for n in (ticket.note, f"{rule_text}: not one lot fits, not placed") if n]))
                fitted.append(ticket)
                continue
            lots = rule.lots_of(quantity)
            ticket = replace(ticket, quantity=int(quantity), lots=round(lots, 4), note="; ".join(
                [n for n in (ticket.note, f"{rule_text}: cut to {int(quantity):,}") if n]))
            need = _frozen(ticket, rule, quantity, day)
        available -= need
        fitted.append(ticket)
    return fitted


def _cash_problems(tickets: list[Ticket], rules: Mapping[str, InstrumentRules],
                   cash: float) -> list[str]:
    """Buys whose frozen amount is more than the cash and the sales' sure proceeds left when
    they are placed, in order."""
    problems = []
    available = cash + sum(_frozen(t, rules[t.symbol], t.quantity,
                                   dt.date.fromisoformat(t.session))
                           for t in tickets if t.side == "sell" and _placed(t))
    for ticket in tickets:
        if ticket.side == "buy" and _placed(ticket):
            need = _frozen(ticket, rules[ticket.symbol], ticket.quantity,
                           dt.date.fromisoformat(ticket.session))
            if need > available + 1e-9:
                problems.append(f"ticket #{ticket.order_id} buy {ticket.quantity} "
                                f"{ticket.symbol}: freezes {need:,.2f} CNY, more than the "
                                f"{available:,.2f} available")
            available -= need
    return problems


def check_tickets(tickets: list[Ticket], rules: Mapping[str, InstrumentRules],
                  holdings: Mapping[str, float], cash: float | None = None) -> list[str]:
    """What breaks the exchange's rules in ``tickets`` (empty when nothing does): whole lots for
    buys (a sale may end with the odd lot of a position), limit prices on the tick and inside
    the band, sales within the quantity held at the close (all of it is sellable next session
    under T+1), counting every sale of the same code; with ``cash``, the buys' frozen amounts
    within the cash and the sales' sure proceeds, in the order they are placed."""
    problems = [] if cash is None else _cash_problems(tickets, rules, cash)
    selling: dict[str, float] = {}
    for ticket in tickets:
        rule = rules[ticket.symbol]
        where = f"ticket #{ticket.order_id} {ticket.side} {ticket.quantity} {ticket.symbol}"
        if ticket.quantity <= 0:
            problems.append(f"{where}: no quantity")
        if ticket.side == "buy" and not rule.is_whole_lots(ticket.quantity):
            problems.append(f"{where}: a buy must be whole {rule.describe_lots()}")
        if ticket.side == "sell":
            selling[ticket.symbol] = selling.get(ticket.symbol, 0.0) + ticket.quantity
            held = float(holdings.get(ticket.symbol, 0.0))
            if selling[ticket.symbol] > held + 1e-9:
                problems.append(f"{where}: sells {selling[ticket.symbol]:g} in all, more than "
                                f"the {held:g} held")
            elif rule.is_odd_lot(ticket.quantity) and \
                    abs(selling[ticket.symbol] - held) > 1e-9:
                problems.append(f"{where}: an odd lot may only be sold with the whole position")
        if ticket.action != "place" or ticket.limit_price is None:
            continue
        if not rule.is_on_tick(ticket.limit_price):
            problems.append(f"{where}: limit {ticket.limit_price} is not on the "
                            f"{rule.tick:g} tick")
        if ticket.band_low is not None and ticket.band_high is not None and not (
                ticket.band_low - 1e-9 <= ticket.limit_price <= ticket.band_high + 1e-9):
            problems.append(f"{where}: limit {ticket.limit_price} outside the band "
                            f"{ticket.band_low} .. {ticket.band_high}")
    return problems


def tickets_frame(tickets: list[Ticket]) -> pd.DataFrame:
    """The tickets as a table (the CSV's columns)."""
    return pd.DataFrame([asdict(t) for t in tickets], columns=TICKET_COLUMNS)


def easytrader_calls(tickets: list[Ticket]) -> list[dict[str, Any]]:
    """The tickets to place as easytrader calls: ``user.buy(security, price, amount)`` and
    ``user.sell(security, price, amount)`` (limit orders). Orders to watch are left out."""
    return [{"method": t.side, "kwargs": {"security": t.code, "price": t.limit_price,
                                          "amount": t.quantity},
             "order_id": t.order_id, "reason": t.reason}
            for t in tickets if t.action == "place" and t.limit_price is not None]


def tickets_json(tickets: list[Ticket]) -> str:
    """The tickets as JSON text (one object per ticket)."""
    return json.dumps([asdict(t) for t in tickets], ensure_ascii=False, indent=1) + "\n"


def write_ticket_files(folder: Path, tickets: list[Ticket], session: dt.date) -> list[Path]:
    """``<session>.csv``, ``<session>.json`` and ``<session>.easytrader.json`` in ``folder``,
    each written atomically (a folder of earlier sessions' tickets is kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = session.isoformat()
    paths = [folder / f"{stem}.csv", folder / f"{stem}.json", folder / f"{stem}.easytrader.json"]
    write_csv_atomically(tickets_frame(tickets), paths[0])
    write_file_atomically(paths[1], tickets_json(tickets))
    write_file_atomically(paths[2], json.dumps(easytrader_calls(tickets), ensure_ascii=False,
                                               indent=1) + "\n")
    return paths
