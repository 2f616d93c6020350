"""What the A-share broker tells the runner's side as orders live and fill.

The engine's own runner listens to nothing (:class:`BrokerEvents`, every event ignored); on
Cerebro, :class:`~huice.engine.broker.btorders.BacktraderOrders` turns each event into
backtrader's order statuses, positions and notifications. Keeping that side apart is what lets
a run on the engine's runner (and every sweep) go without importing backtrader at all.
"""

from __future__ import annotations

from huice.engine.broker.orders import Fill, Order


class BrokerEvents:
    """The broker's events, each ignored: subclass and override what a listener needs."""

    def on_fill(self, order: Order, fill: Fill) -> None:
        """``fill`` was booked for ``order`` (whose status and filled quantity are updated)."""

    def on_closed(self, order: Order) -> None:
        """``order`` left the book without (fully) filling: cancelled, expired or rejected."""

    def on_trail(self, order: Order) -> None:
        """A trailing stop's stop (and limit) price moved."""

    def on_split(self, symbol: str, before: float, after: float) -> None:
        """A split or bonus shares changed the position in ``symbol`` from ``before`` units to
        ``after``."""

    def on_restore(self, pending: list[Order]) -> None:
        """A paper account's booked state replaced the simulated one; ``pending`` are its
        orders still waiting."""
