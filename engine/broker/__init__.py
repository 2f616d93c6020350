"""The A-share broker: account and orders, trading rules and costs, the market clock it fills
against, and backtrader's broker contract. Imports nothing else of the engine."""
