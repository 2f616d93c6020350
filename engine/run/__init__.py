"""Running a strategy: the only Cerebro assembly (and the engine-owned loop), the plugin driver,
the bar context strategies see, rebalancing and the analyzers that record the ledger."""
