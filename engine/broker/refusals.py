"""Why something happened to an order: a code that code reads, and a sentence a person reads.

Every note the broker leaves on an order (orders.csv's ``codes`` and ``reason`` columns) carries
one of these codes. backtrader's status for an order that ends unfilled, and the report's
summary of notes, are decided by the code, never by the wording of the sentence.
"""

from __future__ import annotations

from enum import Enum


class Code(str, Enum):
    """What a note on an order is about (docs/broker.md, "Refusal codes")."""

    # refused when placed: never reaches the market
    ZERO_LOT = "zero_lot"                # the quantity rounds to no whole lot
    NOTHING_TO_SELL = "nothing_to_sell"  # a sell of a symbol not held
    OVER_SELLABLE = "over_sellable"      # a sell beyond what is held less pending sells
    T_PLUS_1 = "t_plus_1"                # units bought today cannot be sold today
    VALIDITY = "validity"                # its validity ends before its first trading day
    INVALID = "invalid"                  # a price missing, or not positive
    PARENT = "parent"                    # a bracket child whose parent is not live
    # adjusted when placed
    LOT_ROUNDED = "lot_rounded"          # rounded down to whole lots
    TICK_ROUNDED = "tick_rounded"        # a limit or stop price moved onto the tick
    # not filled on a bar
    SUSPENDED = "suspended"              # no bar, or no volume
    NOT_REACHED = "not_reached"          # a limit or stop price the bar did not reach
    LIMIT_UP = "limit_up"                # a buy at or sealed at limit-up
    LIMIT_DOWN = "limit_down"            # a sell at or sealed at limit-down
    OUTSIDE_LIMITS = "outside_limits"    # the bar traded only outside the day's limits
    # cut when filled
    ONLY_HELD = "only_held"              # fewer units held than the sell asks for
    CASH_SHORT = "cash_short"            # the cash buys fewer lots than asked
    VOLUME_CAP = "volume_cap"            # the bar's volume cap
    # ended
    CANCELLED = "cancelled"              # by the strategy, or by the run's end
    OCO = "oco"                          # another order of its one-cancels-other group acted
    BRACKET = "bracket"                  # its bracket's parent or sibling ended it
    EXPIRED = "expired"                  # its validity ended

    @property
    def rejects(self) -> bool:
        """A note that, on an order that never filled, makes backtrader's status Rejected."""
        return self in _REJECTING

    @property
    def margin(self) -> bool:
        """A note that, on an order that never filled, makes backtrader's status Margin."""
        return self is Code.CASH_SHORT


_REJECTING = frozenset({Code.ZERO_LOT, Code.NOTHING_TO_SELL, Code.OVER_SELLABLE, Code.T_PLUS_1,
                        Code.VALIDITY, Code.INVALID, Code.PARENT, Code.ONLY_HELD})

# Paper accounts saved before codes existed kept only the sentences; their openings map back to
# the code (used only when such a saved order is restored).
LEGACY_OPENINGS: tuple[tuple[str, Code], ...] = (
    ("suspended:", Code.SUSPENDED), ("limit-up:", Code.LIMIT_UP),
    ("limit-down:", Code.LIMIT_DOWN), ("no price within", Code.OUTSIDE_LIMITS),
    ("limit:", Code.NOT_REACHED), ("stop:", Code.NOT_REACHED),
    ("stop_limit:", Code.NOT_REACHED), ("zero lot:", Code.ZERO_LOT),
    ("rounded down", Code.LOT_ROUNDED), ("T+1:", Code.T_PLUS_1),
    ("nothing to sell", Code.NOTHING_TO_SELL), ("only ", Code.ONLY_HELD),
    ("cash short:", Code.CASH_SHORT), ("volume cap:", Code.VOLUME_CAP),
)


def legacy_code(sentence: str) -> Code:
    """The code of a note saved before codes existed (paper state restore only)."""
    for opening, code in LEGACY_OPENINGS:
        if sentence.startswith(opening):
            return code
    return Code.CANCELLED
