"""Dividends and splits booked on their ex-dates, before any fill of the day."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from huice.engine.broker.account import Account
from huice.engine.broker.clock import MarketClock
from huice.engine.broker.dividend_tax import LotBook
from huice.engine.broker.money import round_cents
from huice.engine.broker.orders import CorporateAction
from huice.engine.broker.rules import InstrumentRules


def book_corporate_actions(clock: MarketClock, account: Account,
                           rules: Mapping[str, InstrumentRules], actions: list[CorporateAction],
                           on_split: Callable[[str, float, float], None],
                           lots: LotBook | None = None) -> None:
    """On an ex-date, positions held at the previous close get the cash dividend (credited
    on the ex-date; the real payment comes a few days later) or the split's units (whole
    units; fractions are dropped). A dividend is also credited to the open round trip."""
    if clock.index not in clock.action_days:  # nothing goes ex today
        return
    with_actions = clock.with_actions
    for symbol in [s for s in account.positions if s in with_actions]:
        dividend, split = clock.corporate_action(symbol)
        if dividend == 0.0 and split == 1.0:
            continue
        position = account.positions[symbol]
        fractional = rules[symbol].fractional
        before = position.quantity
        if dividend > 0:
            cash = before * dividend
            cash = cash if fractional else round_cents(cash)
            account.cash = account.cash + cash if fractional else round_cents(account.cash + cash)
            actions.append(CorporateAction(clock.day, symbol, "dividend", before, before,
                                           dividend, cash, account.cash))
            trade = account.open_trades.get(symbol)
            if trade is not None:
                trade.dividends += cash
            if lots is not None and rules[symbol].dividend_tax:
                lots.dividend(symbol, dividend)
        if split != 1.0:
            after = before * split if fractional else math.floor(before * split + 1e-9)
            position.quantity = float(after)
            position.bought_today = min(position.bought_today * split, position.quantity)
            actions.append(CorporateAction(clock.day, symbol, "split", before, position.quantity,
                                           split, 0.0, account.cash))
            on_split(symbol, before, position.quantity)
            if lots is not None and rules[symbol].dividend_tax:
                lots.split(symbol, before, position.quantity)
