"""Market data: the canonical bar frame, its validation, sources (CSV, pandas) and the
backtrader feed that streams bars into a Cerebro."""
