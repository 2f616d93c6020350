"""A user's own ``backtrader.Strategy`` class, run unchanged under the A-share broker.

:class:`NativeStrategy` gives such a class the engine's plugin interface (instruments, params,
report notes), so that backtests, sweeps and paper trading treat it like any plugin; the
assembly adds the class itself to Cerebro instead of the plugin driver.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

import backtrader as bt

from huice.config.errors import ConfigError
from huice.engine.results.diagnostic import DiagnosticChart
from huice.feeds.market import MarketData


def backtrader_param_names(cls: type[bt.Strategy]) -> list[str]:
    """The names of a backtrader strategy's ``params``."""
    return list(cls.params._getkeys())


class NativeStrategy:
    """A ``bt.Strategy`` subclass with its params and the instruments fed to it, in order.

    Parameters
    ----------
    bt_class:
        The user's strategy class, unmodified.
    params:
        Values for its backtrader ``params`` (unknown names are refused with a hint).
    instruments:
        Symbols whose feeds it receives: ``self.datas[0]`` is the first.
    reference:
        How the config named it (``module:Class`` or ``file.py:Class``), for the report.
    """

    description = "a backtrader strategy run under the A-share broker"
    diagnostic_chart: DiagnosticChart | tuple[DiagnosticChart, ...] | None = None

    def __init__(self, bt_class: type[bt.Strategy], params: Mapping[str, Any],
                 instruments: list[str], reference: str = "") -> None:
        known = backtrader_param_names(bt_class)
        for key in params:
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                raise ConfigError(f"unknown backtrader param '{key}' of {bt_class.__name__}"
                                  + (f"; did you mean '{hint[0]}'?" if hint else "")
                                  + (f" Allowed: {', '.join(known)}" if known else
                                     " (it declares no params)"),
                                  where=f"strategy.params.{key}")
        if not instruments:
            raise ConfigError(f"a backtrader strategy ({bt_class.__name__}) needs the instruments "
                              "it trades, in feed order: strategy.instruments: [510300.SH, ...]",
                              where="strategy.instruments")
        try:
            json.dumps(dict(params))
        except TypeError as exc:
            raise ConfigError(f"backtrader params must be plain values (numbers, text, lists): "
                              f"{exc}", where="strategy.params") from None
        self.bt_class = bt_class
        self.bt_params = dict(params)
        self.instruments = list(instruments)
        self.name = bt_class.__qualname__
        self.reference = reference or bt_class.__qualname__

    def symbols(self) -> list[str]:
        return list(self.instruments)

    def traded_symbols(self) -> list[str]:
        return list(self.instruments)

    def prepare(self, market: MarketData) -> None:
        """Nothing to prepare: backtrader computes the strategy's indicators itself."""

    def on_bar(self, ctx: Any) -> None:  # pragma: no cover - never driven by the plugin driver
        raise TypeError("a backtrader strategy is driven by Cerebro, not by on_bar")

    def report_notes(self) -> list[str]:
        return [f"{self.reference} is a backtrader strategy run unchanged under the A-share "
                "broker: its orders are rounded to lots, checked for T+1, price limits and "
                "suspension, and pay dated A-share costs (docs/backtrader-strategies.md)."]

    def resolved_params(self) -> dict[str, Any]:
        return dict(self.bt_params)

    def get_state(self) -> dict[str, Any]:
        """A backtrader strategy keeps its state in Python objects: paper trading re-simulates
        it over the history instead (see docs/paper-trading.md)."""
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Nothing to restore (see :meth:`get_state`)."""
