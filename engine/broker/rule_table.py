"""The published rule table: every dated A-share rule the broker applies, with the classes and
boards it applies to, its source, and the test that pins it with a worked example.

The rows are built from the very constants the broker uses (engine/broker/rules.py,
engine/run/instrument_rules.py), so the table cannot say one thing while the engine does
another; :func:`rules_markdown` writes docs/rules.md (``python -m
huice.engine.broker.rule_table``), and tests/engine/test_rule_table.py fails when the file is
stale or a row names a test that does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from huice.engine.broker.dividend_tax import DIFFERENTIATED_FROM, LONG_EXEMPT_FROM
from huice.engine.broker.rules import (
    BOARD_LIMITS,
    CHINEXT_20PCT_FROM,
    CLASS_DEFAULTS,
    STAMP_DUTY_STOCK_BUYERS,
    STAMP_DUTY_STOCKS,
    STAR_STOCK_LOTS,
    TRANSFER_FEE_STOCKS,
    DatedSchedule,
)

RULE_TESTS = "tests/engine/test_rule_table.py"


@dataclass(frozen=True)
class Rule:
    """One row of the table."""

    rule: str
    applies_to: str
    start: dt.date | None
    end: dt.date | None
    value: str
    source: str
    test: str  # "path::test_name"


def _dated(schedule: DatedSchedule, name: str, applies_to: str, source: dict[dt.date, str],
           test: str) -> list[Rule]:
    rows = []
    for position, (start, rate) in enumerate(schedule):
        end = schedule[position + 1][0] - dt.timedelta(days=1) \
            if position + 1 < len(schedule) else None
        rows.append(Rule(name, applies_to, start, end, f"{rate:.3%}" if rate else "none",
                         source.get(start, ""), test))
    return rows


STAMP_SOURCES = {
    dt.date(2005, 1, 24): "MoF, 2005-01-23: cut from 0.2% to 0.1%",
    dt.date(2007, 5, 30): "MoF, 2007-05-29: raised from 0.1% to 0.3%",
    dt.date(2008, 4, 24): "MoF, 2008-04-23: cut from 0.3% to 0.1%",
    dt.date(2008, 9, 19): "MoF and SAT, 2008-09-18: the seller only",
    dt.date(2023, 8, 28): "MoF and SAT announcement 2023 No. 39: halved",
}
TRANSFER_SOURCES = {
    dt.date(2015, 8, 1): "CSDC: transfer fee 0.002% of value on both exchanges",
    dt.date(2022, 4, 29): "CSDC: transfer fee halved to 0.001%",
}


def rules() -> list[Rule]:
    """Every row, in the order of docs/rules.md."""
    stamp_test = f"{RULE_TESTS}::test_stamp_duty_by_date_and_side"
    rows = _dated(STAMP_DUTY_STOCKS, "stamp duty, seller", "stock", STAMP_SOURCES, stamp_test)
    rows += _dated(STAMP_DUTY_STOCK_BUYERS, "stamp duty, buyer", "stock", STAMP_SOURCES,
                   stamp_test)
    rows += _dated(TRANSFER_FEE_STOCKS, "transfer fee, both sides", "stock", TRANSFER_SOURCES,
                   f"{RULE_TESTS}::test_transfer_fee_and_commission_minimum_by_hand")
    stock, etf = CLASS_DEFAULTS["stock"], CLASS_DEFAULTS["etf"]
    rows += [
        Rule("commission (default; your broker's rate in YAML)", "stock", None, None,
             f"{stock['commission_rate']:.3%}, at least {stock['commission_min_cny']:g} CNY",
             "typical retail rate (docs/research.md)",
             f"{RULE_TESTS}::test_transfer_fee_and_commission_minimum_by_hand"),
        Rule("commission (default)", "ETFs and other funds", None, None,
             f"{etf['commission_rate']:.3%}, no minimum", "typical retail rate",
             f"{RULE_TESTS}::test_transfer_fee_and_commission_minimum_by_hand"),
        Rule("daily price limit", "main board stocks and ETFs", None, None,
             f"{BOARD_LIMITS['main']:.0%}", "SSE and SZSE trading rules",
             f"{RULE_TESTS}::test_daily_limits_by_board_and_date"),
        Rule("daily price limit", "ChiNext", None, CHINEXT_20PCT_FROM - dt.timedelta(days=1),
             "10%", "SZSE trading rules", f"{RULE_TESTS}::test_daily_limits_by_board_and_date"),
        Rule("daily price limit", "ChiNext", CHINEXT_20PCT_FROM, None, "20%",
             "SZSE ChiNext trading rules (registration reform)",
             f"{RULE_TESTS}::test_daily_limits_by_board_and_date"),
        Rule("daily price limit", "STAR Market", None, None, f"{BOARD_LIMITS['star']:.0%}",
             "SSE STAR Market trading rules", f"{RULE_TESTS}::test_daily_limits_by_board_and_date"),
        Rule("daily price limit", "ST stocks", None, None, f"{BOARD_LIMITS['st']:.0%}",
             "SSE and SZSE trading rules (risk warning)",
             f"{RULE_TESTS}::test_daily_limits_by_board_and_date"),
        Rule("daily price limit, dated risk warning", "main-board stocks in broker.st_history",
             None, None, f"{BOARD_LIMITS['st']:.0%} on the dates the file gives",
             "SSE and SZSE trading rules (risk warning)",
             f"{RULE_TESTS}::test_a_dated_st_history_sets_the_5_percent_limit_on_its_days"),
        Rule("daily price limit", "Beijing Stock Exchange", None, None,
             f"{BOARD_LIMITS['beijing']:.0%}", "BSE trading rules",
             f"{RULE_TESTS}::test_daily_limits_by_board_and_date"),
        Rule("no price limit, first 5 trading days", "new STAR stocks", dt.date(2019, 7, 22),
             None, "none", "SSE STAR Market trading rules",
             f"{RULE_TESTS}::test_a_star_listing_has_no_limit_for_five_days"),
        Rule("no price limit, first 5 trading days", "new ChiNext stocks", CHINEXT_20PCT_FROM,
             None, "none", "SZSE ChiNext trading rules (registration reform)",
             f"{RULE_TESTS}::test_a_chinext_listing_day_3_jump_fills"),
        Rule("no price limit, first 5 trading days", "new main-board stocks",
             dt.date(2023, 4, 10), None, "none",
             "SSE and SZSE main-board rules under full registration",
             f"{RULE_TESTS}::test_daily_limits_by_board_and_date"),
        Rule("lot", "stocks and ETFs", None, None,
             f"buys in lots of {stock['lot']}; a sale may be an odd lot closing the position",
             "SSE and SZSE trading rules", "tests/engine/test_ledger.py::test_rounded_order_says_why"),
        Rule("lot", "STAR Market stocks", None, None,
             f"at least {STAR_STOCK_LOTS['min_quantity']}, then steps of "
             f"{STAR_STOCK_LOTS['lot']}", "SSE STAR Market trading rules",
             "tests/engine/test_order_lifecycle.py::test_star_board_lots_are_one_rule_in_one_place"),
        Rule("tick", "stocks / ETFs", None, None,
             f"{stock['tick']:g} / {etf['tick']:g} CNY", "SSE and SZSE trading rules",
             f"{RULE_TESTS}::test_daily_limits_by_board_and_date"),
        Rule("T+1", "stocks and equity ETFs", None, None,
             "units bought are sellable from the next trading day", "SSE and SZSE trading rules",
             "tests/engine/test_refusals.py::test_same_day_resale_refused_under_t_plus_1"),
        Rule("T+0", "bond, gold, money-market and cross-border ETFs", None, None,
             "sellable the day bought; a same-bar round trip fills",
             "SSE and SZSE fund trading rules",
             f"{RULE_TESTS}::test_a_t0_fund_round_trips_on_one_bar_and_a_t1_fund_does_not"),
        Rule("ex-rights limits", "every traded class", None, None,
             "limits from (previous close - cash) / split ratio on an ex-date",
             "SSE and SZSE trading rules",
             "tests/engine/test_exdate_limits.py::test_split_day_limits_come_from_the_ex_rights_"
             "price"),
        Rule("dividend tax, held up to 1 month", "stocks (individual investors)",
             DIFFERENTIATED_FROM, None, "20% of the dividend, at the sale, first in first out",
             "财税〔2012〕85号; 财税〔2015〕101号",
             f"{RULE_TESTS}::test_dividend_tax_by_holding_period_first_in_first_out"),
        Rule("dividend tax, held 1 month to 1 year", "stocks (individual investors)",
             DIFFERENTIATED_FROM, None, "10% (half the dividend taxed)",
             "财税〔2012〕85号; 财税〔2015〕101号",
             f"{RULE_TESTS}::test_dividend_tax_by_holding_period_first_in_first_out"),
        Rule("dividend tax, held over 1 year", "stocks (individual investors)",
             DIFFERENTIATED_FROM, LONG_EXEMPT_FROM - dt.timedelta(days=1),
             "5% (a quarter taxed)", "财税〔2012〕85号",
             f"{RULE_TESTS}::test_dividend_tax_by_holding_period_first_in_first_out"),
        Rule("dividend tax, held over 1 year", "stocks (individual investors)",
             LONG_EXEMPT_FROM, None, "none", "财税〔2015〕101号",
             f"{RULE_TESTS}::test_dividend_tax_by_holding_period_first_in_first_out"),
        Rule("no dividend tax", "ETFs and other funds", None, None, "none",
             "funds' distributions are not taxed by holding period",
             f"{RULE_TESTS}::test_an_etf_pays_no_dividend_tax_and_a_paper_account_books_the_"
             "stocks"),
        Rule("after-hours fixed-price trading (execution: close_fixed)", "STAR stocks",
             dt.date(2019, 7, 22), None, "at the close, no slippage",
             "SSE STAR Market trading rules (盘后固定价格交易)",
             f"{RULE_TESTS}::test_after_hours_fixed_price_fills_a_star_stock_at_the_close"),
        Rule("after-hours fixed-price trading (execution: close_fixed)", "ChiNext stocks",
             CHINEXT_20PCT_FROM, None, "at the close, no slippage",
             "SZSE ChiNext trading rules (盘后固定价格交易)",
             f"{RULE_TESTS}::test_after_hours_fixed_price_fills_a_star_stock_at_the_close"),
        Rule("bonus shares from pre_close", "stocks (import)", None, None,
             "whole shares per 10 and cash up to 5% inferred, each listed",
             "the exchanges' ex-rights reference price formula",
             f"{RULE_TESTS}::test_bonus_shares_are_inferred_from_pre_close_on_import"),
    ]
    return rows


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def rules_markdown() -> str:
    """docs/rules.md."""
    lines = ["# The A-share rule table", "",
             "Generated by `python -m huice.engine.broker.rule_table` from the constants the "
             "broker uses (engine/broker/rule_table.py); tests/engine/test_rule_table.py fails "
             "when this file is stale or a rule names no existing test. Each test works the "
             "rule out by hand on an example. Explanations, and what is not modelled: "
             "docs/broker.md.", "",
             "| rule | applies to | from | to | value | source | pinned by |",
             "|---|---|---|---|---|---|---|"]
    for row in rules():
        lines.append(f"| {row.rule} | {row.applies_to} | {_day(row.start)} | {_day(row.end)} | "
                     f"{row.value} | {row.source} | `{row.test.split('::')[1]}` "
                     f"({row.test.split('::')[0]}) |")
    lines += ["", "Not in the table, and why (docs/broker.md): the price cage for stock limit "
                  "orders (its dates per board could not be confirmed here from the exchanges' "
                  "notices), the Beijing exchange's lots (the same); stamp duty before "
                  "2005-01-24.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(rules_markdown(), end="")
