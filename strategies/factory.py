"""Building a run's strategy: the one place the CLI, the Python API, sweep workers and paper
accounts turn a config's ``strategy:`` block (or a class) into a ready plugin."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from huice.config.errors import HuiceError
from huice.config.schema import RunConfig
from huice.config.validation import Location, validate_model
from huice.engine.run.kinds import is_backtrader_class
from huice.engine.run.plugin import StrategyPlugin
from huice.strategies.registry import REGISTRY


def resolve_strategy_class(reference: str | type, search_dirs: tuple[Path, ...] = ()) -> type:
    """A registered name, ``module:Class``, ``file.py:Class`` or a class -> the class."""
    if isinstance(reference, type):
        return reference
    return REGISTRY.resolve(reference, search_dirs=search_dirs)


def build_strategy(config: RunConfig, *, strategy: str | type | None = None,
                   params: Mapping[str, Any] | None = None, base_dir: Path | None = None,
                   source: str | Path | None = None,
                   lines: Mapping[Location, int] | None = None) -> StrategyPlugin:
    """The strategy of ``config``, validated and ready to run.

    Parameters
    ----------
    strategy:
        Overrides ``config.strategy.name``: a registry name, ``module:Class``, ``file.py:Class``
        or the class itself (a huice strategy or a ``backtrader.Strategy`` subclass).
    params:
        Laid over ``config.strategy.params`` key by key, as ``overrides=`` of
        ``strategy.params.<key>`` would be, whatever ``strategy`` is: the config's params are
        kept under the call's for the class the config names and for any other class that
        accepts them; a class that does not accept some of the config's keys is refused with
        a one-line error naming them.
    base_dir:
        Folder that relative ``file.py`` names and paths in params are resolved against (the
        YAML's folder); the current folder is searched too.
    source, lines:
        The config file and its line numbers, so that errors point at the YAML line.

    Raises
    ------
    HuiceError
        Unknown strategy, failed import, or params that do not validate.
    """
    reference = strategy if strategy is not None else config.strategy.name
    raw_params = dict(config.strategy.params)
    raw_params.update(params or {})
    lines = dict(lines or {})
    search_dirs = tuple(dict.fromkeys([*( [base_dir.resolve()] if base_dir else []), Path.cwd()]))
    try:
        cls = resolve_strategy_class(reference, search_dirs)
    except HuiceError as exc:
        exc.source = exc.source or (str(source) if source else None)
        exc.line = exc.line or lines.get(("strategy", "name"))
        exc.where = exc.where or "strategy.name"
        raise
    if strategy is not None:
        _check_config_params(cls, config, set(params or {}), source, lines)
    if is_backtrader_class(cls):
        from huice.engine.run.native import NativeStrategy

        try:
            return NativeStrategy(cls, raw_params, list(config.strategy.instruments),
                                  reference=reference if isinstance(reference, str)
                                  else cls.__qualname__)
        except HuiceError as exc:
            exc.source = exc.source or (str(source) if source else None)
            if exc.where and exc.line is None:
                parts = tuple(exc.where.split(".", 2))
                exc.line = lines.get(parts) or lines.get(parts[:2])
            raise
    if config.strategy.instruments:
        raise HuiceError("strategy.instruments is for backtrader strategies; a huice strategy "
                         f"({cls.__qualname__}) names its instruments in its params",
                         source=source, line=lines.get(("strategy", "instruments")),
                         where="strategy.instruments")
    params_model = getattr(cls, "Params", None)
    if params_model is None:
        raise HuiceError(f"{cls.__qualname__} is neither a huice strategy (no Params) nor a "
                         "backtrader.Strategy", source=source, where="strategy.name")
    validated = validate_model(params_model, raw_params, source=source or "<config>",
                               lines=lines, prefix=("strategy", "params"),
                               context={"base_dir": base_dir.resolve()} if base_dir else None)
    plugin: StrategyPlugin = cls(validated)
    return plugin


def accepted_params(cls: type) -> set[str] | None:
    """The parameter names ``cls`` takes (None: it takes any)."""
    if is_backtrader_class(cls):
        from huice.engine.run.native import backtrader_param_names

        return set(backtrader_param_names(cls))
    params_model = getattr(cls, "Params", None)
    if params_model is None:
        return None
    return {field.alias or name for name, field in params_model.model_fields.items()} | set(
        params_model.model_fields)


def _check_config_params(cls: type, config: RunConfig, given: set[str],
                         source: str | Path | None, lines: Mapping[Location, int] | None) -> None:
    """A class given in place of the config's strategy must take the config's params (they
    are laid under the call's, never dropped)."""
    accepted = accepted_params(cls)
    if accepted is None:
        return
    refused = sorted(set(config.strategy.params) - given - accepted)
    if refused:
        raise HuiceError(f"{cls.__qualname__} does not take the config's param(s) "
                         f"{', '.join(refused)} (it takes {', '.join(sorted(accepted)) or 'none'}):"
                         " a strategy given in place of the config's keeps the config's params; "
                         "remove them from the config or give another config",
                         source=source, line=(lines or {}).get(("strategy", "params")),
                         where="strategy.params")


def plugin_for(config: RunConfig) -> StrategyPlugin:
    """The strategy of an already validated config whose paths are absolute (sweep workers,
    paper polls): the ``PluginFactory`` the engine is handed."""
    return build_strategy(config)


def absolute_strategy_config(config: RunConfig, *, base_dir: Path | None = None,
                             source: str | Path | None = None,
                             lines: Mapping[Location, int] | None = None) -> RunConfig:
    """``config`` with its strategy params validated once against the YAML's folder (relative
    paths in params made absolute) and a ``file.py:Class`` name made absolute, so that sweep
    workers and paper polls can build the strategy from anywhere."""
    import sys

    from huice.config.overrides import config_tree

    plugin = build_strategy(config, base_dir=base_dir, source=source, lines=lines)
    tree = config_tree(config)
    tree["strategy"]["params"] = plugin.resolved_params()
    module, _, class_name = tree["strategy"]["name"].rpartition(":")
    if base_dir is not None:
        if module.endswith(".py") and not Path(module).is_absolute():
            tree["strategy"]["name"] = f"{(base_dir / module).resolve()}:{class_name}"
        elif module and str(base_dir.resolve()) not in sys.path:
            # a module next to the YAML stays importable in workers (forked from this process)
            sys.path.insert(0, str(base_dir.resolve()))
    return RunConfig.model_validate(tree)
