"""Where a sweep's runs are made: one after another here, in a local process pool, or on Ray.

Each yields every finished run (:class:`huice.engine.sweep.task.TaskRun`: its row and its
curve) in completion order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial

from huice.config.errors import ConfigError
from huice.engine.run.plugin import PluginFactory
from huice.engine.sweep.plan import SweepTask
from huice.engine.sweep.task import TaskRun, preload_bars, run_task


def chunk_size(tasks: int, workers: int) -> int:
    """Tasks per dispatch: few enough round trips to keep workers busy, small enough (about
    four chunks per worker) to balance uneven runs."""
    return max(1, min(32, tasks // (workers * 4)))


def _execute_local(tasks: list[SweepTask], factory: PluginFactory,
                   workers: int) -> Iterator[TaskRun]:
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield run_task(task, factory)
        return
    preload_bars(tasks, factory)
    # fork: workers inherit the imported modules and the preloaded bars; tasks go in chunks
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(partial(run_task, factory=factory), tasks,
                            chunksize=chunk_size(len(tasks), workers))


def _execute_ray(tasks: list[SweepTask], factory: PluginFactory,
                 workers: int) -> Iterator[TaskRun]:
    try:
        import ray  # optional: pip install -e '.[ray]'
    except ImportError as exc:
        raise ConfigError("the ray backend needs Ray: pip install -e '.[ray]'",
                          where="--backend ray") from exc
    started_here = not ray.is_initialized()
    if started_here:
        address = os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1)(run_task)
        pending = [remote.remote(task, factory) for task in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield ray.get(ref)
    finally:
        if started_here:
            ray.shutdown()


def execute(tasks: list[SweepTask], factory: PluginFactory, workers: int,
            backend: str) -> Iterator[TaskRun]:
    """Run ``tasks``; yield each finished run as it finishes (in completion order)."""
    if backend == "ray":
        return _execute_ray(tasks, factory, workers)
    return _execute_local(tasks, factory, workers)


def default_workers() -> int:
    """All CPUs of this machine."""
    return max(1, os.cpu_count() or 1)
