"""The Python API: what the CLI, notebooks and scripts call. The CLI is argparse and printing
over these functions; everything it does, the API does (output folders, runner, progress,
report language), and errors are located in the YAML in one place (:func:`located`).

Every function takes a config as a path to a YAML file, a dict shaped like the YAML, or a
config from :func:`load_config`. The paper account's functions are in :mod:`huice.api_paper`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from huice.config.errors import ConfigError, HuiceError
from huice.config.loader import LoadedConfig
from huice.config.loader import load_config as _load_yaml
from huice.config.origin import ConfigOrigin, origin_of, with_origin
from huice.config.overrides import with_overrides
from huice.config.schema import RunConfig
from huice.config.validation import validate_model
from huice.engine.results.result import RunResult as Result
from huice.engine.run.plugin import StrategyPlugin
from huice.feeds.catalog import Instrument
from huice.strategies.factory import absolute_strategy_config
from huice.strategies.factory import build_strategy as _build_strategy

ConfigLike = str | Path | Mapping[str, Any] | RunConfig | LoadedConfig
__all__ = ["ConfigError", "HuiceError", "Result", "backtest", "build_strategy", "load_config",
           "located", "monitor_crowding", "rank_sweep", "runnable_config", "strategies", "sweep",
           "validate"]


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
        config, origin = source.config, ConfigOrigin(source.base_dir, str(source.source),
                                                     source.lines, source)
    elif isinstance(source, RunConfig):
        config, origin = source, origin_of(source)
    elif isinstance(source, Mapping):
        config = validate_model(RunConfig, dict(source), source="<dict>", lines={},
                                context={"base_dir": Path.cwd()})
        origin = ConfigOrigin(Path.cwd())
    else:
        loaded = _load_yaml(source)
        config, origin = loaded.config, ConfigOrigin(loaded.base_dir, str(loaded.source),
                                                     loaded.lines, loaded)
    if overrides:
        config = with_overrides(config, overrides)
    return with_origin(config, origin)


@contextlib.contextmanager
def located(config: RunConfig) -> Iterator[None]:
    """Point an error raised while running ``config`` at the YAML it came from: an unknown
    symbol gets the line that names it, an error with a YAML path gets the file and line."""
    try:
        yield
    except HuiceError as exc:
        origin = origin_of(config)
        loaded = origin.loaded
        symbol = getattr(exc, "symbol", None)
        if symbol is not None and loaded is not None:
            line, where = loaded.locate(value=symbol)
            if where is not None:
                exc.source, exc.line, exc.where = str(loaded.source), line, where
        elif exc.source is None and origin.source is not None:
            line = loaded.locate(where=exc.where)[0] if loaded is not None else None
            exc.source, exc.line = origin.source, exc.line or line
        raise


def build_strategy(config: ConfigLike, strategy: str | type | None = None,
                   params: Mapping[str, Any] | None = None) -> StrategyPlugin:
    """The run's strategy, built and validated: a registry name, ``module:Class``,
    ``file.py:Class`` or a class (a huice strategy or an unmodified ``bt.Strategy``).
    ``params`` are laid over the config's params key by key."""
    config = load_config(config)
    origin = origin_of(config)
    return _build_strategy(config, strategy=strategy, params=params, base_dir=origin.base_dir,
                           source=origin.source, lines=origin.lines)


def backtest(config: ConfigLike, strategy: str | type | None = None,
             params: Mapping[str, Any] | None = None,
             frames: Mapping[str, pd.DataFrame] | None = None, *,
             instruments: Mapping[str, Instrument] | None = None,
             analyzers: Sequence[type | tuple[type, dict[str, Any]]] = (),
             progress: bool | None = False, runner: str | None = None,
             out: str | Path | None = None, language: str | None = None) -> Result:
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
    progress:
        A progress bar on standard error: True always, None on long runs only, False never.
    runner:
        ``cerebro`` or ``fast`` (default: the config's ``runner``, else cerebro).
    out:
        Write the run's folder there (files and report.html, atomically; checked before the
        run starts, so nothing runs when the folder may not be written).
    language:
        ``en`` or ``zh``: the report's language (default: the config's ``report.language``).
    """
    from huice.engine.results.outputs import check_output_folder
    from huice.engine.run.assembly import run_backtest

    config = load_config(config, {"report.language": language} if language else None)
    if out is not None:
        check_output_folder(Path(out), "backtest")
    with located(config):
        plugin = build_strategy(config, strategy, params)
        attached = [(a, {}) if isinstance(a, type) else (a[0], dict(a[1])) for a in analyzers]
        result = run_backtest(config, plugin, frames=frames, instruments=instruments,
                              progress=progress, analyzers=attached, runner=runner)
    if out is not None:
        result.save(out)
    return result


def runnable_config(config: ConfigLike) -> RunConfig:
    """The config with its strategy resolved to absolute names and paths (what sweep workers
    and paper polls rebuild the strategy from)."""
    config = load_config(config)
    origin = origin_of(config)
    resolved = absolute_strategy_config(config, base_dir=origin.base_dir, source=origin.source,
                                        lines=origin.lines)
    return with_origin(resolved, origin)


def sweep(config: ConfigLike, *, workers: int | None = None, backend: str = "local",
          out: str | Path | None = None, progress: bool | None = None) -> pd.DataFrame:
    """Run the config's ``sweep:`` block; return results.csv as a DataFrame (walk-forward:
    walk_forward.csv, one row per fold; with ``sweep.screen``, the runs the engine confirmed,
    every combination's screened figures being in screen.csv). Outputs go to ``out``
    (default ``runs/<name>_sweep``)."""
    from huice.engine.sweep.execute import default_workers
    from huice.engine.sweep.runner import run_sweep
    from huice.engine.sweep.walkforward import run_walk_forward
    from huice.strategies.factory import plugin_for

    loaded = load_config(config)
    if loaded.sweep is None:
        raise ConfigError("has no sweep: block (see docs/sweeps.md)",
                          source=origin_of(loaded).source, where="sweep")
    with located(loaded):
        config = runnable_config(loaded)
        out_dir = Path(out) if out else Path("runs") / f"{config.name}_sweep"
        workers = workers or default_workers()
        if config.sweep_block().walk_forward is not None:
            return run_walk_forward(config, plugin_for, out_dir, workers=workers,
                                    backend=backend).folds
        return run_sweep(config, plugin_for, out_dir, workers=workers, backend=backend,
                         progress=progress).results


def rank_sweep(results: pd.DataFrame, config: ConfigLike) -> pd.DataFrame:
    """A sweep's successful runs best first, by the config's ``sweep.rank_by`` and
    ``sweep.descending`` (the order of its report and of best/)."""
    from huice.engine.sweep.runner import rank

    sweep = load_config(config).sweep_block()
    return rank(results, sweep.rank_by, sweep.descending)


@dataclass(frozen=True)
class Validation:
    """What :func:`validate` found: the strategy, and what each instrument's data covers."""

    strategy: str
    instruments: int
    span_note: str | None
    coverage: list[Any] = field(default_factory=list)  # huice.feeds.coverage.Coverage
    findings: list[str] = field(default_factory=list)  # the data gate's, one line each


def validate(config: ConfigLike) -> Validation:
    """Check a config without running it: the strategy builds, every instrument's data loads
    and validates; says what each covers and where the run is shorter than asked."""
    from huice.engine.run.data_gate import gate_market
    from huice.engine.run.notes import span_note
    from huice.feeds.coverage import coverage
    from huice.feeds.loading import load_market

    config = load_config(config)
    with located(config):
        plugin = build_strategy(config)
        data = config.data
        symbols = plugin.symbols() + ([data.benchmark] if data.benchmark else [])
        market = gate_market(config, load_market(data, symbols))  # refusals raise here
    return Validation(plugin.name, len(plugin.symbols()),
                      span_note(market, data.start, data.end),
                      coverage(market, symbols, data.start, data.end),
                      [f"{f.line()} [{f.kind}]" for f in market.findings or ()])


@dataclass(frozen=True)
class StrategyInfo:
    """A registered strategy: its name, what it does and its params (name, default as JSON
    text or ``required``, description)."""

    name: str
    description: str
    params: list[tuple[str, str, str]]


def strategies() -> list[StrategyInfo]:
    """Every registered strategy and its params."""
    from pydantic_core import to_jsonable_python

    from huice.strategies.registry import REGISTRY

    found = []
    for name, cls in REGISTRY.classes().items():
        params = [(field_name, "required" if spec.is_required() else "default " + json.dumps(
                      to_jsonable_python(spec.get_default(call_default_factory=True)),
                      ensure_ascii=False), spec.description or "")
                  for field_name, spec in cls.Params.model_fields.items()]
        found.append(StrategyInfo(name, cls.description, params))
    return found


def monitor_premium(config: ConfigLike, *, date: dt.date | None = None,
                    out: str | Path | None = None) -> pd.DataFrame:
    """The ETF premium monitor: each fund's latest premium over NAV, its Z and percentile, and
    the funds beyond the thresholds (the config's premium_zscore params, else the defaults);
    writes premium.csv, today.csv and report.html to ``out`` (default
    ``runs/<name>_premium``)."""
    from huice.premium_monitor import run_premium_monitor

    config = load_config(config)
    out_dir = Path(out) if out else Path("runs") / f"{config.name}_premium"
    with located(config):
        return run_premium_monitor(config, out_dir, date)


def monitor_crowding(config: ConfigLike, *, date: dt.date | None = None,
                     out: str | Path | None = None) -> pd.DataFrame:
    """The industry crowding monitor of an industry-rotation config: the ranked table of the
    last day (or ``date``); writes crowding.csv, ranked.csv and report.html to ``out``
    (default ``runs/<name>_crowding``)."""
    from huice.monitor import run_monitor

    config = load_config(config)
    out_dir = Path(out) if out else Path("runs") / f"{config.name}_crowding"
    with located(config):
        return run_monitor(config, out_dir, date)
