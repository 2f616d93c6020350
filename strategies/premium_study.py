"""The research's claim about the premium Z-score, measured on the bundled data
(docs/research.md section 8): the return over the three trading days after a signal.

An event is a fund and a day t whose premium Z, as a decision on t could see it (the premium of
t - 1, of t - 2 for a cross-border fund: :mod:`huice.strategies.premium_zscore`), is at most
``entry_z`` (a discount: buy) or at least ``exit_z`` (a premium: the research sells, or avoids).
Its return is the fund's from t + 1's open to t + 4's open, what the strategy earns buying at
the next open and holding three days, after a round trip's commission (0.025% each way; ETFs
pay no stamp duty), dividends and splits included (unadjusted bars with their action lines).
For the premium side the return of the sale is minus that. Annualised as the research does,
simply: the mean three-day return x 252 / 3. The t statistic is the mean over its standard
error; events of one fund on consecutive days overlap, so ``independent`` also counts only the
first event of each run of days.

``python -m huice.strategies.premium_study`` prints the table of docs/research.md.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from huice.feeds.market import MarketData
from huice.feeds.nav import BUNDLED_NAV, decision_lag, nav_of, premium
from huice.strategies.premium_zscore import PremiumParams

HOLD_DAYS = 3
ROUND_TRIP_COST = 2 * 0.00025
CLASS_GROUPS = {"etf": "domestic equity", "gold_etf": "gold", "cross_border_etf": "cross-border"}


def events(market: MarketData, params: PremiumParams) -> pd.DataFrame:
    """Every signal day of every fund, with its side, class and three-day return after costs."""
    calendar = market.exchange_calendar if market.exchange_calendar is not None \
        else market.calendar
    rows = []
    for symbol in params.universe:
        bars = market.bars(symbol)
        asset_class = market.instruments[symbol].asset_class
        lag = decision_lag(asset_class)
        seen = premium(bars, nav_of(bars, symbol, params.nav_folder or BUNDLED_NAV),
                       calendar).shift(lag)
        z = (seen - seen.rolling(params.window).mean()) / seen.rolling(params.window).std()
        opens = bars["open"].to_numpy(dtype=float)
        # the value of one unit held from t + 1's open to t + 4's open, actions included
        dividend = bars["dividend"].fillna(0.0).to_numpy() if "dividend" in bars \
            else np.zeros(len(bars))
        split = bars["split_ratio"].fillna(1.0).to_numpy() if "split_ratio" in bars \
            else np.ones(len(bars))
        values = z.to_numpy(dtype=float)
        for t in range(len(bars) - HOLD_DAYS - 1):
            if not np.isfinite(values[t]):
                continue
            side = "discount" if values[t] <= params.entry_z else (
                "premium" if values[t] >= params.exit_z else None)
            if side is None:
                continue
            units, cash = 1.0, 0.0
            for day in range(t + 2, t + 2 + HOLD_DAYS):  # ex-dates while held
                cash += units * dividend[day]
                units *= split[day]
            gross = (units * opens[t + 1 + HOLD_DAYS] + cash) / opens[t + 1] - 1.0
            net = gross - ROUND_TRIP_COST if side == "discount" else -gross - ROUND_TRIP_COST
            rows.append({"symbol": symbol, "date": bars.index[t], "side": side,
                         "group": CLASS_GROUPS.get(asset_class, asset_class), "z": values[t],
                         "return": net, "new_run": t == 0 or not (
                             np.isfinite(values[t - 1]) and (values[t - 1] <= params.entry_z
                                                             if side == "discount"
                                                             else values[t - 1] >= params.exit_z))})
    return pd.DataFrame(rows)


def summary(found: pd.DataFrame) -> pd.DataFrame:
    """By side and group (and all groups): events, independent events, mean three-day return,
    its t statistic, the share of winners, and the mean annualised simply (x 252 / 3)."""
    rows = []
    for (side, group), part in [*found.groupby(["side", "group"]),
                                *[((side, "all"), part) for side, part in found.groupby("side")]]:
        returns = part["return"].to_numpy(dtype=float)
        mean = float(np.mean(returns))
        error = float(np.std(returns, ddof=1)) / math.sqrt(len(returns)) if len(returns) > 1 \
            else math.nan
        independent = part[part["new_run"]]["return"].to_numpy(dtype=float)
        rows.append({"side": side, "group": group, "events": len(returns),
                     "independent": len(independent), "mean_3d": mean,
                     "t": mean / error if error else math.nan,
                     "mean_3d_independent": float(np.mean(independent)) if len(independent)
                     else math.nan,
                     "winners": float(np.mean(returns > 0)),
                     "annualised": mean * 252 / HOLD_DAYS})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    lines = ["| side | funds | events | independent | mean 3-day return | t | mean, independent "
             "only | winners | annualised (x 252 / 3) |", "|---|---|---|---|---|---|---|---|---|"]
    for row in table.itertuples():
        lines.append(f"| {row.side} | {row.group} | {row.events} | {row.independent} | "
                     f"{row.mean_3d:+.3%} | {row.t:+.2f} | {row.mean_3d_independent:+.3%} | "
                     f"{row.winners:.0%} | {row.annualised:+.1%} |")
    return "\n".join(lines)


def main() -> None:  # pragma: no cover - prints the table of docs/research.md
    from huice.config.schema import DataConfig
    from huice.feeds.loading import load_market

    params = PremiumParams()
    market = load_market(DataConfig(start=None, end=None, benchmark=None), params.universe)
    print(markdown(summary(events(market, params))))


if __name__ == "__main__":
    main()
