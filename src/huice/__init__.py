"""huice (回测): event-driven backtesting and paper trading for China A-share index and ETF
strategies, on backtrader.

The public API, for notebooks and scripts::

    import huice
    config = huice.load_config("config/examples/barbell_etf.yaml")
    result = huice.backtest(config)
    result.metrics.total_return, result.equity, result.fills
    result.save("runs/barbell_etf")

See docs/python-api.md. The subpackages are ``huice.config``, ``huice.feeds``, ``huice.engine``
(broker, run, results, paper, sweep) and ``huice.strategies``.
"""

from __future__ import annotations

from loguru import logger

from huice.api import (
    Result,
    backtest,
    build_strategy,
    load_config,
    monitor_crowding,
    monitor_premium,
    strategies,
    sweep,
    validate,
)
from huice.api_data import data_fetch, data_import, data_undo, data_update
from huice.api_paper import PaperStatus, PaperStep, paper_accept, paper_report, paper_run, paper_status

__all__ = ["PaperStatus", "PaperStep", "Result", "backtest", "build_strategy", "data_fetch", "data_import",
           "data_undo", "data_update", "load_config", "monitor_crowding", "monitor_premium",
           "paper_accept",
           "paper_report", "paper_run", "paper_status", "strategies", "sweep", "validate"]
__version__ = "0.2.0"

# a library stays quiet unless asked: logger.enable("huice") shows its log (the CLI does)
logger.disable("huice")
