"""The data gate of a run: every bar that enters a backtest, a sweep's run or a paper
account's history is checked by :mod:`huice.feeds.quality`, whatever door it came in by (the
catalog, ``data.files``, frames given to ``huice.backtest``, the benchmark, a ratio's inputs),
and the config's policy decides (``data.quality``, docs/data.md "Bar quality"):

- ``warn`` (the default): every finding is listed (one summary line on the console, each line
  with ``-v``, counts by kind in metrics.json, each in the report's notes) and the run goes on:
  a missing bar inside an instrument's span is a suspension (no trading, valued at its last
  close), a stale bar is booked as it is;
- ``strict``: any finding stops the run (exit 2) naming the file, the line and the check.

In both, a bar beyond its day's price limit with no corporate action to explain it (or, for
an index, beyond what no real day does) and a bar dated on a day the exchange did not trade
stop the run, unless ``data.accept`` names the symbol and date: ``as: bar`` books such a bar
as it is, ``as: drop`` leaves a non-trading day's bar out, ``as: suspension`` says a missing
bar was the exchange's suspension (no longer a finding).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from loguru import logger

from huice.config.schema import RunConfig
from huice.engine.broker.rules import InstrumentRules
from huice.engine.results.labels import NOTES, joined, text
from huice.engine.run.instrument_rules import resolve_all_rules
from huice.feeds import quality
from huice.feeds.errors import DataError
from huice.feeds.market import MarketData

SHOWN_IN_REPORT = 20  # findings listed one by one in the report's notes; the rest counted


def limit_rule(symbol: str, rules: InstrumentRules, *, history: bool = False
               ) -> quality.LimitRule | None:
    """The price-limit rule the bar checks use for a traded instrument (None: no limit, such
    as an index or a ratio, checked for magnitude instead; and a forward-adjusted series over
    its ``history``, whose old ratios adjusting moved, see :mod:`huice.feeds.quality`)."""
    if rules.asset_class in ("index", "synthetic") or rules.price_limit == 0:
        return None
    if history and symbol.endswith(".qfq"):
        return None
    return quality.LimitRule(rules.day_limits, rules.tick or 0.0,
                             adjusted=symbol.endswith(".qfq"))


def accepted_days(config: RunConfig, extra: Iterable[tuple[str, dt.date, str]] = ()
                  ) -> dict[tuple[str, str], set[dt.date]]:
    """``(symbol, as) -> days`` of ``data.accept`` (and a paper account's acceptances)."""
    found: dict[tuple[str, str], set[dt.date]] = {}
    for item in config.data.accept:
        found.setdefault((item.symbol, item.as_), set()).add(item.date)
    for symbol, day, kind in extra:
        found.setdefault((symbol, kind), set()).add(day)
    return found


FINDINGS_KEPT = 512  # series whose findings a process keeps (a sweep's files, a notebook's)
_kept: OrderedDict[tuple[object, ...], list[quality.Finding]] = OrderedDict()


def _content_key(frame: pd.DataFrame) -> str:
    """The bars' content: their dates, columns and values (a file parsed anew gives the same
    key when its bytes are the same)."""
    digest = hashlib.sha256(frame.index.asi8.tobytes())
    digest.update(",".join(frame.columns).encode())
    digest.update(np.ascontiguousarray(frame.to_numpy(dtype="float64")).tobytes())
    return digest.hexdigest()


def series_findings_once(symbol: str, frame: pd.DataFrame, calendar: pd.DatetimeIndex | None,
                         rules: InstrumentRules, suspended: frozenset[dt.date],
                         accepted_bars: frozenset[dt.date]) -> list[quality.Finding]:
    """:func:`huice.feeds.quality.series_findings`, computed once per content of the bars
    (and rules, calendar and acceptances) in a process: a notebook's second backtest, or a
    sweep on the same files, pays nothing more."""
    key = (symbol, _content_key(frame), repr(rules),
           None if calendar is None else (len(calendar), calendar[0], calendar[-1]),
           tuple(sorted(suspended)), tuple(sorted(accepted_bars)))
    found = _kept.get(key)
    if found is None:
        found = quality.series_findings(symbol, frame, calendar,
                                        limit_rule(symbol, rules, history=True),
                                        suspended=suspended, accepted_bars=accepted_bars)
        _kept[key] = found
        if len(_kept) > FINDINGS_KEPT:
            _kept.popitem(last=False)
    else:
        _kept.move_to_end(key)
    return found


def market_findings(config: RunConfig, market: MarketData,
                    accepted: dict[tuple[str, str], set[dt.date]]) -> list[quality.Finding]:
    """Every finding of the run's bars (ratio instruments are checked through their inputs)."""
    rules = resolve_all_rules(config, market)
    calendar = market.exchange_calendar if config.data.calendar == "exchange" else None
    findings: list[quality.Finding] = []
    for symbol in market.symbols:
        if market.instruments[symbol].asset_class == "synthetic":
            continue
        findings += series_findings_once(
            symbol, market.bars(symbol), calendar, rules[symbol],
            frozenset(accepted.get((symbol, "suspension"), set())),
            frozenset(accepted.get((symbol, "bar"), set())
                      | accepted.get((symbol, "drop"), set())))
    return findings


def _refusal(config: RunConfig, market: MarketData, refused: list[quality.Finding]) -> DataError:
    first = refused[0]
    source = market.instruments[first.symbol].source
    path = Path(source) if source and not source.startswith("<") else None
    line = first.position + 2 if path is not None and first.position >= 0 else None
    how = {"missing": "suspension", "not_trading_day": "drop"}.get(first.kind, "bar")
    more = f"; and {len(refused) - 1} more ({quality.describe(refused)})" if len(refused) > 1 \
        else ""
    why = ("refused in every policy" if first.kind in quality.REFUSED_IN_EVERY_POLICY
           else "data.quality is strict")
    error = DataError(f"{first.line()} [{first.kind}: {why}; if it is right, accept it: "
                      f"data.accept: [{{symbol: {first.symbol}, date: {first.day}, as: {how}}}]]"
                      f"{more}", source=path, line=line, where=f"data.quality ({first.kind})")
    error.symbol = first.symbol  # type: ignore[attr-defined]
    return error


def gate_market(config: RunConfig, market: MarketData,
                also_accepted: Iterable[tuple[str, dt.date, str]] = ()) -> MarketData:
    """``market`` as the run may use it, with its findings (``market.findings``), or a
    :class:`DataError` under the config's policy. Computed once per market, policy and
    acceptances (a sweep's runs share it)."""
    if market.findings is not None:  # gated already (a sweep's shared market)
        return market
    extra = tuple(sorted(also_accepted))
    key = ("data gate", config.data.quality, config.data.calendar,
           tuple((a.symbol, a.date, a.as_) for a in config.data.accept), extra,
           repr(sorted(config.broker.model_dump(mode="json").items())))
    return market.derived(key, lambda: _gated(config, market, extra))


def _gated(config: RunConfig, market: MarketData,
           extra: tuple[tuple[str, dt.date, str], ...]) -> MarketData:
    accepted = accepted_days(config, extra)
    findings = market_findings(config, market, accepted)
    refused = [f for f in findings if f.kind in quality.REFUSED_IN_EVERY_POLICY
               or config.data.quality == "strict"]
    if refused:
        raise _refusal(config, market, refused)
    drops = {symbol: days for (symbol, kind), days in accepted.items() if kind == "drop"}
    bars = {}
    for symbol in market.symbols:
        frame = market.bars(symbol)
        off = drops.get(symbol)
        if off:
            frame = frame[~frame.index.isin([dt.datetime.combine(d, dt.time()) for d in off])]
        bars[symbol] = frame
    gated = MarketData(bars, market.instruments, market.exchange_calendar, market.nav_lag_days)
    gated.findings = tuple(findings)
    told = _not_yet_told(findings)
    if told:
        logger.warning("data: {} (a missing bar is a suspension; -v lists each, metrics.json "
                       "counts them)", quality.describe(told))
        for finding in told:
            logger.debug("data: {} [{}]", finding.line(), finding.kind)
    return gated


_told: set[tuple[str, str, dt.date]] | None = None  # inside :func:`each_finding_told_once`


@contextlib.contextmanager
def each_finding_told_once() -> Iterator[None]:
    """Within this block (a sweep), each finding is logged once: its markets share bars (the
    benchmark, a file in every run) and its forked workers, which inherit what was told
    before they forked, gate what the parent gated. Every run's metrics and report still
    count them all; outside the block, every gated market logs its findings."""
    global _told
    outer = _told
    _told = set() if outer is None else outer
    try:
        yield
    finally:
        _told = outer


def _not_yet_told(findings: list[quality.Finding]) -> list[quality.Finding]:
    if _told is None:
        return findings
    new = []
    for finding in findings:  # the same day's finding in another window is the same finding
        key = (finding.kind, finding.symbol, finding.day)
        if key not in _told:
            _told.add(key)
            new.append(finding)
    return new


def finding_notes(market: MarketData, policy: str, language: str = "en") -> list[str]:
    """The report's notes on the bars' findings: a summary, then the first
    ``SHOWN_IN_REPORT`` one by one, in ``language``."""
    findings = list(market.findings or ())
    if not findings:
        return []
    tally = {k: v for k, v in quality.counts(findings).items() if v}
    kinds = joined([f"{text(NOTES, 'finding_' + kind, language)} {count}"
                    for kind, count in tally.items()], language)
    notes = [text(NOTES, "data_findings", language).format(policy=policy, count=len(findings),
                                                            kinds=kinds)]
    for finding in findings[:SHOWN_IN_REPORT]:
        notes.append(text(NOTES, "data_finding", language).format(
            detail=finding.detail, day=finding.day, symbol=finding.symbol,
            kind=text(NOTES, "finding_" + finding.kind, language)))
    if len(findings) > SHOWN_IN_REPORT:
        notes.append(text(NOTES, "data_findings_more", language).format(
            count=len(findings) - SHOWN_IN_REPORT))
    return notes
