"""A paper account's pending orders survive a restart whole: OCO groups, bracket children,
trailing stops and refusal codes are saved with the broker's state and restored; a state saved
before these existed still opens."""

from __future__ import annotations

import json

from huice.config.schema import DataConfig, RunConfig
from huice.engine.broker.ashare import AShareBroker
from huice.engine.broker.clock import MarketClock
from huice.engine.broker.orders import OrderKind
from huice.engine.broker.refusals import Code
from huice.engine.run.assembly import resolve_all_rules
from huice.feeds.loading import load_market

ETF = "510300.SH"


def make_broker():
    market = load_market(DataConfig(start="2019-06-14", end="2019-07-31", benchmark=None), [ETF])
    config = RunConfig.model_validate({"name": "t", "data": {}, "strategy": {"name": "x"},
                                       "broker": {"order_validity": "gtc"}})
    return AShareBroker(config.broker, resolve_all_rules(config, market),
                        MarketClock(market, {}))


def fields(order):
    return (order.order_id, order.kind, order.is_buy, order.quantity, order.limit_price,
            order.stop_price, order.active, order.parent_id, order.oco_id, order.trail_amount,
            order.trail_percent, order.limit_offset, order.codes, order.reasons,
            order.backtrader_timing, order.validity, order.valid_until)


def test_contingent_and_trailing_orders_round_trip_through_the_saved_state():
    broker = make_broker()
    broker.next()
    broker.submit_order(ETF, True, 1000)
    broker.next()  # bought at the open
    parent = broker.submit_order(ETF, True, 500, kind=OrderKind.LIMIT, limit_price=3.5001)
    broker.submit_order(ETF, False, 500, kind=OrderKind.STOP, stop_price=3.2, parent=parent)
    first = broker.submit_order(ETF, False, 400, kind=OrderKind.LIMIT, limit_price=4.2)
    broker.submit_order(ETF, False, 400, kind=OrderKind.STOP_TRAIL_LIMIT, limit_price=3.3,
                        stop_price=3.4, trail_percent=0.05, oco=first)
    saved = json.loads(json.dumps(broker.export_state()))
    restored = make_broker()
    restored.next()
    restored.restore_state(saved)
    assert [fields(o) for o in restored.pending] == [fields(o) for o in broker.pending]
    assert restored.pending[0].codes == [Code.TICK_ROUNDED]
    # the OCO tie survives: filling nothing, cancel the first and the trailing one goes too
    restored.cancel_order(restored.pending[2], "cancelled by strategy")
    assert [o.status.value for o in restored.orders[2:]] == ["cancelled", "cancelled"]
    # and the bracket tie: cancelling the parent cancels its child
    restored.cancel_order(restored.pending[0], "cancelled by strategy")
    assert restored.orders[1].status.value == "cancelled" and restored.orders[1].has(Code.BRACKET)


def test_a_state_saved_before_codes_existed_still_opens():
    broker = make_broker()
    broker.next()
    broker.submit_order(ETF, True, 1000)
    broker.next()
    broker.submit_order(ETF, False, 1000, kind=OrderKind.LIMIT, limit_price=9.0)
    broker.next()
    saved = json.loads(json.dumps(broker.export_state()))
    for order in saved["pending"]:
        order.pop("codes", None)  # as an account saved by an earlier huice
    assert saved["pending"][0]["reasons"][0].startswith("limit:")
    restored = make_broker()
    restored.next()
    restored.restore_state(saved)
    assert restored.pending[0].codes == [Code.NOT_REACHED]
    assert restored.pending[0].oco_id == restored.pending[0].order_id
