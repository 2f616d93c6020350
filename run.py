"""huice command line: run backtests from YAML, validate configs, list strategies.

    python run.py backtest CONFIG [--out DIR] [-v]
    python run.py validate CONFIG
    python run.py strategies

A mistake in the input prints one line naming the file, the line or YAML path, what is wrong and
what is allowed, and exits with code 2 (``-v`` adds the traceback). Nothing is half-written.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from loguru import logger

from config.errors import ConfigError, HuiceError
from config.loader import LoadedConfig, load_config
from config.validation import validate_model

EXIT_OK, EXIT_FAILURE, EXIT_USER_ERROR = 0, 1, 2


def build_strategy(loaded: LoadedConfig):
    """Resolve the config's strategy and validate its params; return the plugin instance."""
    from strategies.registry import REGISTRY

    config, source = loaded.config, loaded.source
    try:
        cls = REGISTRY.resolve(config.strategy.name,
                               search_dirs=(loaded.base_dir.resolve(), Path.cwd()))
    except HuiceError as exc:
        exc.source = exc.source or str(source)
        exc.line = exc.line or loaded.lines.get(("strategy", "name"))
        exc.where = exc.where or "strategy.name"
        raise
    params = validate_model(cls.Params, config.strategy.params, source=source,
                            lines=loaded.lines, prefix=("strategy", "params"),
                            context={"base_dir": loaded.base_dir.resolve()})
    return cls(params)


def _summary(metrics: dict) -> str:
    percent = ["total_return", "annual_return", "buy_and_hold_return", "benchmark_return",
               "excess_return", "excess_vs_benchmark", "max_drawdown", "volatility", "exposure"]
    rows = [("strategy", metrics["strategy"]), ("span", f"{metrics['start']} .. {metrics['end']}"
                                                    f" ({metrics['bars']} bars)")]
    rows += [(key, f"{metrics[key]:.2%}") for key in percent]
    rows += [("sharpe", f"{metrics['sharpe']:.3f}"),
             ("longest_drawdown_days", str(metrics["longest_drawdown_days"])),
             ("trades", str(metrics["trades"])), ("turnover", f"{metrics['turnover']:.2f}x"),
             ("fees (CNY)", ", ".join(f"{k} {v:,.2f}" for k, v in metrics["fees"].items())),
             ("final equity (CNY)", f"{metrics['final_equity']:,.2f}"),
             ("run_id", metrics["run_id"])]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


def command_backtest(args: argparse.Namespace) -> int:
    from engine.cerebro import run_backtest
    from engine.report import write_report
    from engine.results import write_run

    loaded = load_config(args.config)
    plugin = build_strategy(loaded)
    try:
        # a progress bar on long runs in a terminal; never in pipes or CI logs
        progress = True if args.progress else (None if sys.stderr.isatty() else False)
        result = run_backtest(loaded.config, plugin, progress=progress)
    except ConfigError as exc:
        exc.source = exc.source or str(loaded.source)
        raise
    out_dir = Path(args.out) if args.out else Path("runs") / loaded.config.name
    write_run(result, out_dir, report_writer=write_report)
    print(f"{loaded.config.name}\n{_summary(result.metrics)}")
    print(f"report: {out_dir / 'report.html'}")
    return EXIT_OK


def command_validate(args: argparse.Namespace) -> int:
    loaded = load_config(args.config)
    plugin = build_strategy(loaded)
    print(f"{args.config}: valid ({plugin.name}, {len(plugin.symbols())} instruments)")
    return EXIT_OK


def command_strategies(args: argparse.Namespace) -> int:
    from strategies.registry import REGISTRY

    for name, cls in REGISTRY.classes().items():
        print(f"{name}: {cls.description}")
        for field_name, field in cls.Params.model_fields.items():
            default = "required" if field.is_required() else f"default {field.default!r}"
            print(f"    {field_name} ({default}): {field.description or ''}")
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="huice", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    backtest = commands.add_parser("backtest", help="run a backtest from a YAML config")
    backtest.add_argument("config", help="the run's YAML file")
    backtest.add_argument("--out", help="output folder (default: runs/<name>)")
    backtest.add_argument("--progress", action="store_true",
                          help="always show a progress bar (default: on long runs in a terminal)")
    validate = commands.add_parser("validate", help="check a config without running it")
    validate.add_argument("config")
    commands.add_parser("strategies", help="list the strategies and their params")
    for sub in (backtest, validate, commands.choices["strategies"]):
        sub.add_argument("-v", "--verbose", action="store_true",
                         help="log detail, and show tracebacks for errors")
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python run.py`` and the ``huice`` console script."""
    args = parser().parse_args(argv)
    logger.remove()
    logger.add(sys.stderr, level="DEBUG" if args.verbose else "WARNING",
               format="<level>{level: <7}</level> {message}")
    handlers = {"backtest": command_backtest, "validate": command_validate,
                "strategies": command_strategies}
    try:
        return handlers[args.command](args)
    except HuiceError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
