"""The A-share broker on Cerebro: backtrader's broker contract on top of :class:`AShareBroker`.

Cerebro drives a broker through backtrader's interface (``getcash``, ``getvalue``, ``next``,
``get_notification``); a ``bt.Strategy`` places orders with ``buy``/``sell``/``cancel`` and
reads ``getposition``. Those are mapped to the A-share broker's orders by
:class:`~huice.engine.broker.btorders.BacktraderOrders`, which also listens to the broker's
events to move each backtrader order through backtrader's statuses. The rules, the fills and
the ledger are the A-share broker's own, so both runners book the same figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import backtrader as bt

from huice.config.schema import BrokerConfig
from huice.engine.broker.ashare import AShareBroker
from huice.engine.broker.btorders import BacktraderOrders
from huice.engine.broker.clock import MarketClock
from huice.engine.broker.rules import InstrumentRules


class CerebroBroker(AShareBroker, bt.broker.BrokerBase):
    """The A-share broker as a backtrader broker (see the module's docstring): backtrader's
    ``BrokerBase`` supplies what Cerebro and analyzers read beyond the ledger (commission info,
    fund mode), the A-share broker everything it books."""

    def __init__(self, config: BrokerConfig, rules: Mapping[str, InstrumentRules],
                 clock: MarketClock) -> None:
        super().__init__(config, rules, clock)
        self.backtrader = BacktraderOrders(self)
        self.events = self.backtrader

    def getposition(self, data: Any) -> Any:
        return self.backtrader.position(data._name)

    def get_notification(self) -> Any:
        return self.backtrader.next_notification()

    def buy(self, owner: Any, data: Any, size: float, price: float | None = None,
            plimit: float | None = None, exectype: int | None = None, valid: Any = None,
            tradeid: int = 0, oco: Any = None, trailamount: float | None = None,
            trailpercent: float | None = None, parent: Any = None, transmit: bool = True,
            **kwargs: Any) -> Any:
        """backtrader's buy: a backtrader order mapped to a huice order (see btorders)."""
        return self.backtrader.place(owner, data, size, True, price, plimit, exectype, valid,
                                     tradeid, oco, trailamount, trailpercent, parent, kwargs)

    def sell(self, owner: Any, data: Any, size: float, price: float | None = None,
             plimit: float | None = None, exectype: int | None = None, valid: Any = None,
             tradeid: int = 0, oco: Any = None, trailamount: float | None = None,
             trailpercent: float | None = None, parent: Any = None, transmit: bool = True,
             **kwargs: Any) -> Any:
        """backtrader's sell (see :meth:`buy`)."""
        return self.backtrader.place(owner, data, size, False, price, plimit, exectype, valid,
                                     tradeid, oco, trailamount, trailpercent, parent, kwargs)

    def cancel(self, order: Any, bracket: bool = False) -> bool:
        """Cancel a backtrader order that is still pending."""
        return self.backtrader.cancel(order)
