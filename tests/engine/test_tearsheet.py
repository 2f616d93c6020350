"""The tear sheet's figures against an independent library (empyrical-reloaded) and against
pandas computations written here, on the 801080 examples and on the barbell."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import huice
from huice.engine.results.html_tables import notes_by_code
from huice.engine.results.tearsheet import build_tear_sheet
from tests.conftest import EXAMPLES

TOLERANCE = 1e-6


@pytest.fixture(scope="module", params=["drawdown_reversion_801080",
                                        "drawdown_reversion_801080_report", "barbell_etf"])
def run(request):
    result = huice.backtest(huice.load_config(EXAMPLES / f"{request.param}.yaml"))
    return result, result.tear_sheet()


def independent_returns(result) -> tuple[pd.Series, pd.Series]:
    """Daily returns recomputed with pandas from the equity table: the first bar against the
    initial cash, the benchmark against its own first close."""
    initial = result.metrics.initial_cash
    equity = result.equity["equity"]
    strategy = pd.concat([pd.Series([initial]), equity.reset_index(drop=True)]).pct_change()
    strategy = pd.Series(strategy.iloc[1:].to_numpy(), index=equity.index)
    benchmark = result.equity["benchmark"].ffill().pct_change().fillna(0.0)
    return strategy, benchmark


def test_ratios_agree_with_empyrical(run):
    import empyrical  # imported here: 1.5 s that only these tests need, not every collection

    result, sheet = run
    returns, benchmark = independent_returns(result)
    figures = sheet.figures
    expected = {
        "sharpe": empyrical.sharpe_ratio(returns),
        "sortino": empyrical.sortino_ratio(returns),
        "calmar": empyrical.calmar_ratio(returns),
        "alpha": empyrical.alpha(returns, benchmark),
        "beta": empyrical.beta(returns, benchmark),
        # empyrical's excess Sharpe is not annualised; ours is, by sqrt(252)
        "information_ratio": empyrical.excess_sharpe(returns, benchmark) * math.sqrt(252),
        "annual_return": empyrical.annual_return(returns),
        "volatility": empyrical.annual_volatility(returns),
        "max_drawdown": -empyrical.max_drawdown(returns),
    }
    for name, value in expected.items():
        assert figures[name] == pytest.approx(value, abs=TOLERANCE, rel=TOLERANCE), name
    active = returns - benchmark
    assert figures["tracking_error"] == pytest.approx(active.std(ddof=1) * math.sqrt(252),
                                                      rel=TOLERANCE)


def test_the_801080_figures_are_pinned():
    """The causal 801080 example's tear sheet, pinned after the empyrical check above: a change
    to the engine that moves them fails here (as it does in the golden record)."""
    result = huice.backtest(huice.load_config(EXAMPLES / "drawdown_reversion_801080.yaml"))
    figures = result.tear_sheet().figures
    pinned = {"sharpe": 0.485246, "sortino": 0.685267, "calmar": 0.135224, "alpha": 0.074977,
              "beta": 0.361803, "information_ratio": 0.246934, "tracking_error": 0.208263}
    for name, value in pinned.items():
        assert figures[name] == pytest.approx(value, abs=1e-6), name
    # the deepest fall: the peak of 2015-06-12, the low of 2019-01-03, made good on 2020-02-17
    assert figures["max_drawdown_dates"] == "2015-06-12 / 2019-01-03 / 2020-02-17"
    returns, _ = independent_returns(result)
    assert figures["daily_win_rate"] == pytest.approx((returns > 0).mean())


def test_yearly_and_monthly_returns_compound_to_the_total(run):
    result, sheet = run
    total = result.metrics.total_return
    assert np.prod(1 + sheet.yearly["strategy"].to_numpy()) - 1 == pytest.approx(total, abs=1e-9)
    months = sheet.monthly.to_numpy(dtype=float)
    assert np.prod(1 + months[np.isfinite(months)]) - 1 == pytest.approx(total, abs=1e-9)
    # each year's months compound to that year
    for year, row in sheet.monthly.iterrows():
        value = np.prod(1 + row.dropna().to_numpy()) - 1
        assert value == pytest.approx(
            sheet.yearly.set_index("year").loc[year, "strategy"], abs=1e-9)
    bench = result.equity["benchmark"].dropna()
    assert (np.prod(1 + sheet.yearly["benchmark"].to_numpy()) - 1
            == pytest.approx(bench.iloc[-1] / bench.iloc[0] - 1, abs=1e-9))


def test_drawdown_periods_match_the_curve(run):
    result, sheet = run
    worst = sheet.drawdowns[0]
    assert worst.depth == pytest.approx(result.metrics.max_drawdown, abs=1e-12)
    curve = result.equity["equity"]
    peak_value = curve.loc[worst.start] if worst.start in curve.index else \
        result.metrics.initial_cash
    assert curve.loc[worst.trough] == pytest.approx(peak_value * (1 - worst.depth))
    if worst.recovery is not None:
        between = curve.loc[worst.start:worst.recovery].iloc[1:-1]
        assert (between < peak_value).all() and curve.loc[worst.recovery] >= peak_value
    depths = [period.depth for period in sheet.drawdowns]
    assert depths == sorted(depths, reverse=True) and len(depths) <= 10


def test_trade_statistics_from_the_round_trips(run):
    result, sheet = run
    closed = result.trades[result.trades["closed"].notna()]["pnl"]
    wins, losses = closed[closed > 0], closed[closed < 0]
    if len(closed):
        assert sheet.figures["trade_win_rate"] == pytest.approx(len(wins) / len(closed))
    if len(losses):
        assert sheet.figures["profit_factor"] == pytest.approx(wins.sum() / -losses.sum())


def test_no_benchmark_leaves_relative_figures_undefined():
    result = huice.backtest(huice.load_config(EXAMPLES / "barbell_etf.yaml",
                                              overrides={"data.benchmark": None}))
    figures = result.tear_sheet().figures
    for name in ("alpha", "beta", "information_ratio", "tracking_error"):
        assert math.isnan(figures[name])
    html = result.report_html()
    assert 'data-metric="beta">n/a<' in html


def test_build_tear_sheet_of_an_empty_run_does_not_fail():
    equity = pd.DataFrame(columns=["cash", "holdings", "equity", "benchmark"],
                          index=pd.DatetimeIndex([]), dtype=float)
    metrics = {"initial_cash": 1e6, "annual_return": 0.0, "max_drawdown": 0.0,
               "fees": {"commission": 0.0, "stamp_duty": 0.0, "transfer_fee": 0.0, "total": 0.0},
               "contribution": {}}
    sheet = build_tear_sheet(metrics, equity, pd.DataFrame(columns=["closed", "pnl"]), 252)
    assert sheet.figures["fees_share"] == 0.0 and sheet.drawdowns == []


def test_notes_are_grouped_by_the_brokers_codes_not_their_wording():
    orders = pd.DataFrame({"order_id": [1, 2, 3], "status": ["filled", "expired", "filled"],
                           "codes": ["cash_short", "not_reached limit_up", ""],
                           "reason": ["cash short: 4539.00 CNY buys 1800 of 1900 at 2.5",
                                      "limit: ...; limit-up: ...", "an older note"]})
    grouped = notes_by_code(orders)
    assert grouped["code"].tolist() == ["cash_short", "not_reached", "limit_up", "(not coded)"]
    assert grouped["status"].tolist() == ["filled", "expired", "expired", "filled"]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("end", ["2024-01-02", "2024-01-03"])
def test_a_run_of_one_or_two_bars_has_a_report_without_warnings(end):
    result = huice.backtest(huice.load_config(EXAMPLES / "barbell_etf.yaml", overrides={
        "data.start": "2024-01-02", "data.end": end}))
    page = result.report_html()
    assert 'id="yearly-returns"' in page
    if end == "2024-01-02":
        assert math.isnan(result.tear_sheet().figures["beta"])


def test_gains_are_red_in_a_chinese_report_and_green_in_an_english_one():
    """红涨绿跌: a zh report colours gains red and losses green (report.colors: auto), an en
    report the other way; report.colors overrides either."""
    config = EXAMPLES / "barbell_etf.yaml"
    red, green = "rgba(192,57,43,", "rgba(46,139,87,"

    def page(**overrides):
        return huice.backtest(huice.load_config(config, overrides=overrides)).report_html()

    zh, en = page(**{"report.language": "zh"}), page()
    underwater = '"fillcolor": "{}0.35)"'
    assert underwater.format(green) in zh and underwater.format(red) in en
    assert underwater.format(red) in page(**{"report.language": "zh", "report.colors": "intl"})
    assert underwater.format(green) in page(**{"report.colors": "cn"})


def test_sweep_heatmap_follows_report_colors():
    from huice.engine.results.plotly_traces import GREEN_UP, RED_UP, gain_loss_scale

    assert gain_loss_scale(RED_UP) == [[0.0, "rgba(46,139,87,1.00)"], [0.5, "#f7f7f7"],
                                       [1.0, "rgba(192,57,43,1.00)"]]
    assert gain_loss_scale(GREEN_UP)[0][1] == "rgba(192,57,43,1.00)"


def test_instruments_are_named_beside_their_codes_in_both_languages():
    config = EXAMPLES / "drawdown_reversion_801080.yaml"
    result = huice.backtest(config, runner="fast")
    assert result.display_name("801080.SI") == "801080.SI SW Electronics"
    assert result.display_name("801080.SI", "zh") == "801080.SI 申万电子"
    assert result.display_name("000300.SH", "zh") == "000300.SH 沪深300"
    assert result.display_name("NOT.IN.CATALOG") == "NOT.IN.CATALOG"
    en = result.report_html()
    zh = huice.backtest(huice.load_config(config, overrides={"report.language": "zh"}),
                        runner="fast").report_html()
    assert "买入持有 801080.SI 申万电子" in zh and "buy & hold 801080.SI SW Electronics" in en
    assert "<td>801080.SI 申万电子</td>" in zh  # the round trips


def test_distribution_and_period_figures_agree_with_empyrical_and_scipy(run):
    """The depth added after quantstats' and pyfolio's tear sheets, each against an independent
    computation: empyrical for VaR, CVaR, the tail ratio and the monthly returns, scipy.stats
    (what quantstats calls) for skew and kurtosis, pandas on the equity table for the rest."""
    import empyrical
    from scipy import stats

    result, sheet = run
    figures = sheet.figures
    returns, _ = independent_returns(result)
    months = empyrical.aggregate_returns(returns, "monthly")
    expected = {
        "skew": stats.skew(returns, bias=False),
        "kurtosis": stats.kurtosis(returns, fisher=True, bias=False),
        "var_95": empyrical.value_at_risk(returns, cutoff=0.05),
        "cvar_95": empyrical.conditional_value_at_risk(returns, cutoff=0.05),
        "tail_ratio": empyrical.tail_ratio(returns),
        "best_day": returns.max(), "worst_day": returns.min(),
        "best_month": months.max(), "worst_month": months.min(),
        # quantstats' win rate: positive days over days that moved
        "win_rate_in_market": (returns > 0).sum() / (returns != 0).sum(),
    }
    for name, value in expected.items():
        assert figures[name] == pytest.approx(value, abs=TOLERANCE, rel=TOLERANCE), name
    # MTD / YTD / trailing: compounded daily returns since the anchor close, as quantstats does
    last = returns.index[-1]
    month_start = returns[(returns.index.year == last.year) & (returns.index.month == last.month)]
    year_start = returns[returns.index.year == last.year]
    assert figures["mtd"] == pytest.approx(empyrical.cum_returns_final(month_start), abs=1e-9)
    assert figures["ytd"] == pytest.approx(empyrical.cum_returns_final(year_start), abs=1e-9)
    for years in (1, 3, 5):
        anchor = returns.index[returns.index <= last - pd.DateOffset(years=years)]
        if len(anchor) == 0:
            assert math.isnan(figures[f"trailing_{years}y"])
            continue
        growth = 1 + empyrical.cum_returns_final(returns[returns.index > anchor[-1]])
        expected_trailing = growth ** (1 / years) - 1 if years > 1 else growth - 1
        assert figures[f"trailing_{years}y"] == pytest.approx(expected_trailing, abs=1e-9), years


def test_rolling_beta_agrees_with_empyrical():
    import empyrical

    from huice.engine.results.tearsheet import rolling_beta

    result = huice.backtest(huice.load_config(EXAMPLES / "drawdown_reversion_801080.yaml"),
                            runner="fast")
    returns, benchmark = independent_returns(result)
    ours = rolling_beta(returns, benchmark, 126)
    theirs = empyrical.roll_beta(returns, benchmark, window=126)
    both = pd.concat([ours, theirs], axis=1).dropna()
    assert len(both) > 2000
    assert np.allclose(both.iloc[:, 0], both.iloc[:, 1], atol=1e-9)


def chart_payload(html_text: str, chart_id: str) -> dict:
    """The figure a chart's script draws: its JSON, with a shared x put back into the traces
    that carry it once (as the page's own script does)."""
    import json

    decoder = json.JSONDecoder()
    script = html_text[:html_text.index(f'Plotly.newPlot("{chart_id}"')]
    start = script.rindex("var f=") + len("var f=")
    figure, end = decoder.raw_decode(script, start)
    rest = script[end:]
    if rest.startswith(";var x="):
        shared, after = decoder.raw_decode(rest, len(";var x="))
        indices, _ = decoder.raw_decode(rest, after + 1)
        for index in indices:
            figure["data"][index]["x"] = shared
    return figure


def test_fees_and_turnover_by_month_add_up_to_the_ledger():
    from huice.engine.results.report_charts import costs_chart, returns_histogram

    result = huice.backtest(huice.load_config(EXAMPLES / "barbell_etf.yaml"), runner="fast")
    fees, turnover = chart_payload(costs_chart(result.fills, result.equity), "chart-costs")["data"]
    months = pd.to_datetime(result.fills["date"]).dt.strftime("%Y-%m")
    by_month = result.fills.groupby(months)["fees"].sum()
    shown = dict(zip(fees["x"], fees["y"]))
    for month, value in by_month.items():
        assert shown[month] == pytest.approx(round(value, 2), abs=1e-9), month
    assert sum(fees["y"]) == pytest.approx(result.metrics.fees.total, abs=0.005 * len(shown))
    # turnover of a month: value traded over that month's mean equity
    month = "2020-01"
    equity = result.equity["equity"]
    traded = result.fills[months == month]["value"].sum()
    mean = equity[equity.index.strftime("%Y-%m") == month].mean()
    assert turnover["y"][turnover["x"].index(month)] == pytest.approx(traded / mean, rel=1e-6)
    histogram = chart_payload(returns_histogram(result.tear_sheet().returns),
                              "chart-returns-histogram")["data"][0]
    assert sum(histogram["y"]) == len(result.equity)  # every day in one bin


def test_many_traded_instruments_get_one_equal_parts_buy_and_hold_line():
    """31 industries: one buy-and-hold line of equal parts (not 31), ending at 1 + the
    buy-and-hold return of metrics.json."""
    from huice.engine.results.report_charts import equal_parts_buy_and_hold

    result = huice.backtest(huice.load_config(EXAMPLES / "industry_rotation.yaml"),
                            runner="fast")
    benchmark = result.resolved_config["data"]["benchmark"]
    traded = {s: p for s, p in result.prices.items() if s != benchmark}
    assert len(traded) == 31
    curve = equal_parts_buy_and_hold(traded, result.equity.index)
    assert curve.iloc[-1] == pytest.approx(1 + result.metrics.buy_and_hold_return, rel=1e-12)
    names = [t["name"] for t in chart_payload(result.report_html(), "chart-equity")["data"]]
    assert names == ["strategy", "benchmark", "buy & hold equal parts of the 31 traded instruments"]
