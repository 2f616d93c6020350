"""The Python API: what the CLI, notebooks and scripts call. The CLI is a thin face over it.

Every function takes a config as a path to a YAML file, a dict shaped like the YAML, or a
config from :func:`load_config`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from huice.config.errors import ConfigError
from huice.config.loader import LoadedConfig
from huice.config.loader import load_config as _load_yaml
from huice.config.overrides import with_overrides
from huice.config.schema import RunConfig
from huice.config.validation import validate_model
from huice.engine.results.result import RunResult as Result
from huice.engine.run.plugin import StrategyPlugin
from huice.feeds.catalog import Instrument
from huice.strategies.factory import absolute_strategy_config
from huice.strategies.factory import build_strategy as _build_strategy

ConfigLike = str | Path | Mapping[str, Any] | RunConfig | LoadedConfig


@dataclass(frozen=True)
class _Origin:
    """Where a config came from, so that errors and relative paths refer to its YAML."""

    base_dir: Path
    source: str | None
    lines: Mapping[Any, int]


def _origin_of(config: RunConfig) -> _Origin:
    return getattr(config, "_origin", None) or _Origin(Path.cwd(), None, {})


def load_config(source: ConfigLike, overrides: Mapping[str, Any] | None = None) -> RunConfig:
    """Load and validate a run config.

    Parameters
    ----------
    source:
        A YAML file path, a dict shaped like the YAML (relative paths are taken from the
        current folder), or a config already loaded.
    overrides:
        Dotted paths to change, e.g. ``{"data.end": "2024-12-31", "strategy.params.share":
        0.7}``; validated like the YAML.

    Raises
    ------
    ConfigError
        Naming the file, line and YAML path of the problem.
    """
    if isinstance(source, LoadedConfig):
        config, origin = source.config, _Origin(source.base_dir, str(source.source),
                                                source.lines)
    elif isinstance(source, RunConfig):
        config, origin = source, _origin_of(source)
    elif isinstance(source, Mapping):
        config = validate_model(RunConfig, dict(source), source="<dict>", lines={},
                                context={"base_dir": Path.cwd()})
        origin = _Origin(Path.cwd(), None, {})
    else:
        loaded = _load_yaml(source)
        config, origin = loaded.config, _Origin(loaded.base_dir, str(loaded.source),
                                                loaded.lines)
    if overrides:
        config = with_overrides(config, overrides)
    config._origin = origin
    return config


def build_strategy(config: ConfigLike, strategy: str | type | None = None,
                   params: Mapping[str, Any] | None = None) -> StrategyPlugin:
    """The run's strategy, built and validated: a registry name, ``module:Class``,
    ``file.py:Class`` or a class (a huice strategy or an unmodified ``bt.Strategy``)."""
    config = load_config(config)
    origin = _origin_of(config)
    return _build_strategy(config, strategy=strategy, params=params, base_dir=origin.base_dir,
                           source=origin.source, lines=origin.lines)


def backtest(config: ConfigLike, strategy: str | type | None = None,
             params: Mapping[str, Any] | None = None,
             frames: Mapping[str, pd.DataFrame] | None = None, *,
             instruments: Mapping[str, Instrument] | None = None,
             analyzers: Sequence[type | tuple[type, dict[str, Any]]] = (),
             progress: bool | None = False) -> Result:
    """Run one backtest and return its :class:`Result`.

    Parameters
    ----------
    config:
        YAML path, dict or loaded config.
    strategy, params:
        Override the config's strategy (name, ``module:Class`` or a class); ``params`` are laid
        over the config's params key by key (exactly as ``overrides={"strategy.params.<key>":
        ...}``), and a key that is not a parameter is refused with a "did you mean".
    frames:
        Your own bars by symbol (DataFrames with date, open, high, low, close[, volume, ...]);
        they take precedence over files and the catalog. ``instruments`` says what each is
        (asset class, board) when its code does not.
    analyzers:
        backtrader analyzers to attach (a class, or (class, kwargs)); their output is in
        ``result.analyzers``.
    """
    from huice.engine.run.assembly import run_backtest

    config = load_config(config)
    plugin = build_strategy(config, strategy, params)
    attached = [(a, {}) if isinstance(a, type) else (a[0], dict(a[1])) for a in analyzers]
    try:
        return run_backtest(config, plugin, frames=frames, instruments=instruments,
                            progress=progress, analyzers=attached)
    except ConfigError as exc:
        exc.source = exc.source or _origin_of(config).source
        raise


def runnable_config(config: ConfigLike) -> RunConfig:
    """The config with its strategy resolved to absolute names and paths (what sweep workers
    and paper polls rebuild the strategy from)."""
    config = load_config(config)
    origin = _origin_of(config)
    resolved = absolute_strategy_config(config, base_dir=origin.base_dir, source=origin.source,
                                        lines=origin.lines)
    resolved._origin = origin
    return resolved


def sweep(config: ConfigLike, *, workers: int | None = None, backend: str = "local",
          out: str | Path | None = None, progress: bool | None = None) -> pd.DataFrame:
    """Run the config's ``sweep:`` block; return results.csv as a DataFrame (walk-forward:
    walk_forward.csv). Outputs go to ``out`` (default ``runs/<name>_sweep``)."""
    from huice.engine.sweep.runner import default_workers, run_sweep
    from huice.engine.sweep.walkforward import run_walk_forward
    from huice.strategies.factory import plugin_for

    config = runnable_config(config)
    if config.sweep is None:
        raise ConfigError("has no sweep: block (see docs/sweeps.md)",
                          source=_origin_of(config).source, where="sweep")
    out_dir = Path(out) if out else Path("runs") / f"{config.name}_sweep"
    workers = workers or default_workers()
    if config.sweep.walk_forward is not None:
        return run_walk_forward(config, plugin_for, out_dir, workers=workers,
                                backend=backend).folds
    return run_sweep(config, plugin_for, out_dir, workers=workers, backend=backend,
                     progress=progress).results


def _paper_config(config: ConfigLike) -> RunConfig:
    config = runnable_config(config)
    if config.paper is None:
        raise ConfigError("has no paper: block (see docs/paper-trading.md)",
                          source=_origin_of(config).source, where="paper")
    return config


def paper_run(config: ConfigLike, *, once: bool = True, poll_seconds: float | None = None,
              max_iterations: int | None = None,
              on_booked: Callable[[str], None] | None = None) -> int:
    """Book every new complete day of the config's paper account (``once``), or poll until
    ``max_iterations``; returns how many bars were booked. ``on_booked`` hears one line per
    booked day (equity, cash, fills, pending orders)."""
    from huice.engine.paper.store import PaperStore
    from huice.engine.paper.trader import PaperTrader
    from huice.strategies.factory import plugin_for

    config = _paper_config(config)
    store = PaperStore(config.paper.state, writer=True)
    try:
        trader = PaperTrader(config, plugin_for, store, on_booked=on_booked)
        poll = poll_seconds if poll_seconds is not None else config.paper.poll_seconds
        return trader.loop(once=once, poll_seconds=poll, max_iterations=max_iterations)
    finally:
        store.close()


def paper_status(config: ConfigLike) -> dict[str, Any]:
    """The paper account now (read-only): cash, equity, positions, open orders, last fills."""
    from huice.engine.paper.account import status
    from huice.engine.paper.store import PaperStore

    config = _paper_config(config)
    store = PaperStore(config.paper.state, writer=False)
    try:
        return status(store)
    finally:
        store.close()


def paper_report(config: ConfigLike) -> Result:
    """The paper ledger as a :class:`Result` (the same report as a backtest), read-only."""
    from huice.engine.paper.account import paper_result
    from huice.engine.paper.store import PaperStore
    from huice.engine.paper.trader import PaperTrader
    from huice.strategies.factory import plugin_for

    config = _paper_config(config)
    store = PaperStore(config.paper.state, writer=False)
    try:
        return paper_result(PaperTrader(config, plugin_for, store))
    finally:
        store.close()
