"""Orders that depend on other orders: one-cancels-other groups and brackets, as backtrader
defines them.

- **OCO**: every order leads a group of its own, and an order placed with ``oco=`` another
  joins that order's group. When any member fills (even in part), is cancelled, expires or is
  refused for cash, the group's other live members are cancelled.
- **Bracket**: a parent and its children (a protective stop and a take-profit). The children
  wait, inactive, until the parent has filled completely; they are active from the next bar.
  When a child fills completely its siblings are cancelled; when any member of the family
  ends without filling, the rest of the family is cancelled.
"""

from __future__ import annotations

from collections import defaultdict

from huice.engine.broker.orders import Order


class ContingentOrders:
    """Which orders are tied to which; the broker asks it what an event ends."""

    def __init__(self) -> None:
        self._children: dict[int, list[Order]] = defaultdict(list)
        self._groups: dict[int, list[Order]] = defaultdict(list)
        self._parents: dict[int, Order] = {}

    def link(self, order: Order, oco: Order | None, parent: Order | None) -> None:
        """Record ``order``'s group (its own, or ``oco``'s) and its bracket parent."""
        order.oco_id = oco.oco_id if oco is not None and oco.oco_id else order.order_id
        self._groups[order.oco_id].append(order)
        if parent is not None:
            order.parent_id = parent.order_id
            order.active = False
            self._children[parent.order_id].append(order)
            self._parents[parent.order_id] = parent

    def restore(self, orders: list[Order]) -> None:
        """Rebuild the ties of restored pending orders (a paper account's next day)."""
        by_id = {o.order_id: o for o in orders}
        for order in orders:
            self._groups[order.oco_id or order.order_id].append(order)
            if order.parent_id is None:
                continue
            # a bracket's children stay siblings after their parent has filled (and left)
            self._children[order.parent_id].append(order)
            if order.parent_id in by_id:
                self._parents[order.parent_id] = by_id[order.parent_id]

    def oco_others(self, order: Order) -> list[Order]:
        """The live members of ``order``'s group other than itself; the group is spent."""
        group = self._groups.pop(order.oco_id or order.order_id, [])
        return [o for o in group if o is not order and o.alive]

    def children_of(self, order: Order) -> list[Order]:
        return [o for o in self._children.get(order.order_id, []) if o.alive]

    def family_others(self, order: Order) -> list[Order]:
        """The live members of ``order``'s bracket (parent and children) other than itself."""
        parent_id = order.parent_id if order.parent_id is not None else order.order_id
        family = list(self._children.get(parent_id, []))
        parent = self._parents.get(parent_id)
        if parent is not None:
            family.insert(0, parent)
        return [o for o in family if o is not order and o.alive]

    def siblings(self, order: Order) -> list[Order]:
        if order.parent_id is None:
            return []
        return [o for o in self._children.get(order.parent_id, []) if o is not order and o.alive]
