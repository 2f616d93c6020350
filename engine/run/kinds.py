"""Whether a strategy is a user's own backtrader class, asked without importing backtrader.

A class can only subclass ``bt.Strategy`` once backtrader is imported, and a plugin can only be
a :class:`~huice.engine.run.native.NativeStrategy` once that module is: when neither is loaded
the answer is no, so runs on the engine's own runner (and sweeps) never pay backtrader's import.
"""

from __future__ import annotations

import sys

_NATIVE_MODULE = "huice.engine.run.native"


def is_backtrader_class(cls: object) -> bool:
    """Whether ``cls`` is a subclass of ``backtrader.Strategy``."""
    backtrader = sys.modules.get("backtrader")
    return (backtrader is not None and isinstance(cls, type)
            and issubclass(cls, backtrader.Strategy))


def is_backtrader_plugin(plugin: object) -> bool:
    """Whether ``plugin`` wraps a user's own ``bt.Strategy`` (it runs on Cerebro only)."""
    native = sys.modules.get(_NATIVE_MODULE)
    return native is not None and isinstance(plugin, native.NativeStrategy)
