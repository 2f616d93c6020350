"""A run's objects kept out of the cyclic garbage collector's way."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def old_objects_frozen() -> Iterator[None]:
    """The objects alive before a run (modules, the bars, the config) left out of the cyclic
    garbage collector's passes during it (``gc.freeze``), put back after (``gc.unfreeze``).

    A run allocates many small objects (orders, fills, ledger rows, frames); every few hundred
    allocations trigger a pass, and a pass that walks every object of the process cost 6-10%
    of a single run (bench_akquant's MA run: 47-50 ms with passes walking everything, 43-44
    with them off or frozen). The run's own objects are collected as usual, and nothing is
    freed later than it would be: the frozen objects were alive before the run began."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
