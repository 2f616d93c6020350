"""The backtest engine: Cerebro assembly, the A-share broker, rebalancing, metrics and reports.

It imports ``feeds`` and ``config`` only; strategies are handed to it as classes.
"""
