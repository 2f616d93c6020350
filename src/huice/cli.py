"""huice command line: run backtests from YAML, validate configs, list strategies.

    python run.py backtest CONFIG [--out DIR] [-v]
    python run.py sweep CONFIG [--workers N] [--backend local|ray] [--out DIR]
    python run.py paper CONFIG [--once | --poll-seconds S --max-iterations N]
    python run.py paper-status CONFIG [--json]
    python run.py paper-report CONFIG [--out DIR]
    python run.py data import FILE_OR_DIR... --catalog DIR | data fetch SYMBOL... --catalog DIR
    python run.py data update --catalog DIR
    python run.py validate CONFIG
    python run.py strategies

A mistake in the input prints one line naming the file, the line or YAML path, what is wrong and
what is allowed, and exits with code 2 (``-v`` adds the traceback). Nothing is half-written.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import traceback
from pathlib import Path

from loguru import logger

from huice.config.errors import ConfigError, HuiceError
from huice.config.loader import LoadedConfig, load_config

EXIT_OK, EXIT_USER_ERROR = 0, 2


@contextlib.contextmanager
def located_in(loaded: LoadedConfig):
    """Point errors raised while running ``loaded`` at the config line they come from: an error
    with a YAML path but no file gets the config file and line; an unknown symbol gets the line
    that names it."""
    try:
        yield
    except HuiceError as exc:
        symbol = getattr(exc, "symbol", None)
        if symbol is not None:
            line, where = loaded.locate(value=symbol)
            if where is not None:
                exc.source, exc.line, exc.where = str(loaded.source), line, where
        elif exc.source is None:
            line, _ = loaded.locate(where=exc.where)
            exc.source, exc.line = str(loaded.source), exc.line or line
        raise


def build_strategy(loaded: LoadedConfig):
    """The config's strategy, validated, with errors pointing at the YAML."""
    from huice import api

    return api.build_strategy(api.load_config(loaded))


def runnable(loaded: LoadedConfig):
    """The config with its strategy resolved for workers and paper polls (see the API)."""
    from huice import api

    return api.runnable_config(api.load_config(loaded))


def _summary(metrics: dict) -> str:
    from huice.engine.results import formatting

    percent = ["total_return", "annual_return", "buy_and_hold_return", "benchmark_return",
               "excess_vs_buy_and_hold", "excess_vs_benchmark", "max_drawdown", "volatility", "exposure"]
    rows = [("strategy", metrics["strategy"]), ("span", f"{metrics['start']} .. {metrics['end']}"
                                                    f" ({metrics['bars']} bars)")]
    rows += [(key, formatting.percent(metrics[key])) for key in percent]
    rows += [("sharpe", formatting.number(metrics["sharpe"], ".3f")),
             ("longest_drawdown_days", str(metrics["longest_drawdown_days"])),
             ("trades", str(metrics["trades"])),
             ("turnover", formatting.number(metrics["turnover"], ".2f", "x")),
             ("fees (CNY)", ", ".join(f"{k} {v:,.2f}" for k, v in metrics["fees"].items())),
             ("final equity (CNY)", f"{metrics['final_equity']:,.2f}"),
             ("run_id", metrics["run_id"])]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


def command_backtest(args: argparse.Namespace) -> int:
    from huice.engine.results.outputs import check_output_folder
    from huice.engine.results.report import write_report
    from huice.engine.results.writer import write_run
    from huice.engine.run.assembly import run_backtest

    loaded = load_config(args.config)
    plugin = build_strategy(loaded)
    out_dir = Path(args.out) if args.out else Path("runs") / loaded.config.name
    check_output_folder(out_dir, "backtest")  # before the run: refuse early, write nothing
    with located_in(loaded):
        # a progress bar on long runs in a terminal; never in pipes or CI logs
        progress = True if args.progress else (None if sys.stderr.isatty() else False)
        result = run_backtest(loaded.config, plugin, progress=progress, runner=args.runner)
    write_run(result, out_dir, report_writer=write_report)
    print(f"{loaded.config.name}\n{_summary(result.metrics)}")
    print(f"report: {out_dir / 'report.html'}")
    return EXIT_OK


def command_sweep(args: argparse.Namespace) -> int:
    from huice.engine.sweep.runner import default_workers, run_sweep
    from huice.engine.sweep.walkforward import run_walk_forward
    from huice.strategies.factory import plugin_for

    loaded = load_config(args.config)
    if loaded.config.sweep is None:
        raise ConfigError("has no sweep: block (see docs/sweeps.md)", source=loaded.source,
                          where="sweep")
    config = runnable(loaded)
    out_dir = Path(args.out) if args.out else Path("runs") / f"{config.name}_sweep"
    workers = args.workers or default_workers()
    with located_in(loaded):
        if config.sweep.walk_forward is not None:
            result = run_walk_forward(config, plugin_for, out_dir, workers=workers,
                                      backend=args.backend)
            print(result.folds.to_string(index=False))
            print(f"out-of-sample return {result.oos_equity.iloc[-1] / config.broker.initial_cash - 1:.2%}"
                  f"; in-sample best {result.in_sample_equity.iloc[-1] / config.broker.initial_cash - 1:.2%}")
        else:
            result = run_sweep(config, plugin_for, out_dir, workers=workers, backend=args.backend)
            shown = result.ranked.head(config.sweep.top)
            keys = [c for c in result.results.columns if "." in c]
            columns = list(dict.fromkeys(["index", *keys, config.sweep.rank_by, "total_return"]))
            print(shown[columns].to_string(index=False))
    table = "results.csv" if config.sweep.walk_forward is None else "walk_forward.csv"
    print(f"results: {out_dir / table}")
    print(f"report: {out_dir / 'report.html'}")
    return EXIT_OK


@contextlib.contextmanager
def _paper_trader(args: argparse.Namespace, writer: bool = True):
    """The paper account of ``args.config``; its state database is closed on exit."""
    from huice.engine.paper.store import PaperStore
    from huice.engine.paper.trader import PaperTrader
    from huice.strategies.factory import plugin_for

    loaded = load_config(args.config)
    if loaded.config.paper is None:
        raise ConfigError("has no paper: block (see docs/paper-trading.md)",
                          source=loaded.source, where="paper")
    config = runnable(loaded)
    store = PaperStore(config.paper.state, writer=writer)
    try:
        yield PaperTrader(config, plugin_for, store,
                          on_booked=lambda line: print(line, flush=True))
    finally:
        store.close()


def command_paper(args: argparse.Namespace) -> int:
    with _paper_trader(args) as trader:
        paper = trader.config.paper
        log_file = paper.log_file or paper.state.with_suffix(".log")
        logger.add(log_file, level="DEBUG" if args.verbose else "INFO", rotation="10 MB",
                   retention=5, format="{time:YYYY-MM-DD HH:mm:ss} {level: <7} {message}")
        trader.install_signal_handlers()
        poll = args.poll_seconds if args.poll_seconds is not None else paper.poll_seconds
        booked = trader.loop(once=args.once, poll_seconds=poll, max_iterations=args.max_iterations)
    print(f"booked {booked} bar(s); state {paper.state.resolve()}")
    return EXIT_OK


def command_paper_status(args: argparse.Namespace) -> int:
    import json

    from huice.engine.paper.account import status

    with _paper_trader(args, writer=False) as trader:
        info = status(trader.store)
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True, default=str))
        return EXIT_OK
    if info["last_bar"] is None:
        print(info["message"])
        return EXIT_OK
    print(f"last bar {info['last_bar']} ({info['bars_processed']} booked)\n"
          f"  cash     {info['cash']:,.2f}\n  holdings {info['holdings']:,.2f}\n"
          f"  equity   {info['equity']:,.2f}")
    for position in info["positions"]:
        print(f"  {position['symbol']:<16} {position['quantity']:>14,.2f} x "
              f"{position['price']:.4f} = {position['value']:,.2f}")
    print(f"open orders: {len(info['open_orders'])}; fills on the last day: "
          f"{len(info['last_day_fills'])}")
    for order in info["open_orders"]:
        print(f"  #{order['order_id']} {order['side']} {order['quantity']:g} {order['symbol']} "
              f"({order['status']}) {order['tag']}")
    return EXIT_OK


def command_paper_report(args: argparse.Namespace) -> int:
    from huice.engine.paper.account import paper_result
    from huice.engine.results.report import write_report
    from huice.engine.results.writer import write_run

    with _paper_trader(args, writer=False) as trader:
        result = paper_result(trader)
    out_dir = Path(args.out) if args.out else Path("runs") / f"{trader.config.name}_paper"
    write_run(result, out_dir, report_writer=write_report)
    print(f"{trader.config.name} (paper)\n{_summary(result.metrics)}")
    print(f"report: {out_dir / 'report.html'}")
    return EXIT_OK


def command_validate(args: argparse.Namespace) -> int:
    from huice.feeds.coverage import coverage, span_note
    from huice.feeds.loading import load_market

    loaded = load_config(args.config)
    plugin = build_strategy(loaded)
    config = loaded.config
    with located_in(loaded):
        symbols = plugin.symbols() + ([config.data.benchmark] if config.data.benchmark else [])
        market = load_market(config.data, symbols)
    print(f"{args.config}: valid (strategy {plugin.name}, {len(plugin.symbols())} instruments)")
    span = span_note(market, config.data.start, config.data.end)
    if span:
        print(f"  WARNING: {span}")
    for item in coverage(market, symbols, config.data.start, config.data.end):
        print(f"  {item.symbol:<18} {item.first} .. {item.last}  {item.bars:>5} bars"
              + ("" if item.complete else f"  WARNING: run spans {item.span_start} .. "
                                          f"{item.span_end}"))
    return EXIT_OK


def command_strategies(args: argparse.Namespace) -> int:
    import json

    from pydantic_core import to_jsonable_python

    from huice.strategies.registry import REGISTRY

    for name, cls in REGISTRY.classes().items():
        print(f"{name}: {cls.description}")
        for field_name, field in cls.Params.model_fields.items():
            default = ("required" if field.is_required() else "default " + json.dumps(
                to_jsonable_python(field.get_default(call_default_factory=True)),
                ensure_ascii=False))
            print(f"    {field_name} ({default}): {field.description or ''}")
    return EXIT_OK


def command_monitor(args: argparse.Namespace) -> int:
    from huice.monitor import run_monitor

    loaded = load_config(args.config)
    out_dir = Path(args.out) if args.out else Path("runs") / f"{loaded.config.name}_crowding"
    with located_in(loaded):
        ranked = run_monitor(loaded.config, out_dir, args.date)
    print(ranked[["rank", "symbol", "name", "score"]].head(10).to_string(index=False,
                                                                        float_format="%.1f"))
    print(f"report: {out_dir / 'report.html'}")
    return EXIT_OK


def command_data(args: argparse.Namespace) -> int:
    from huice.cli_data import command_data as run_data

    return run_data(args)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="huice", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    backtest = commands.add_parser("backtest", help="run a backtest from a YAML config")
    backtest.add_argument("config", help="the run's YAML file")
    backtest.add_argument("--out", help="output folder (default: runs/<name>)")
    backtest.add_argument("--runner", choices=["cerebro", "fast"], default=None,
                          help="cerebro (default) or fast, huice's own loop for huice "
                               "strategies; the outputs are the same")
    backtest.add_argument("--progress", action="store_true",
                          help="always show a progress bar (default: on long runs in a terminal)")
    sweep = commands.add_parser("sweep", help="run the config's sweep: block (grid, random, "
                                              "walk-forward)")
    sweep.add_argument("config")
    sweep.add_argument("--workers", type=int, default=0,
                       help="parallel runs (default: all CPUs)")
    sweep.add_argument("--backend", choices=["local", "ray"], default="local",
                       help="local process pool (default) or Ray (RAY_ADDRESS for a cluster)")
    sweep.add_argument("--out", help="output folder (default: runs/<name>_sweep)")
    paper = commands.add_parser("paper", help="paper-trade the config's paper: block")
    paper.add_argument("config")
    paper.add_argument("--once", action="store_true",
                       help="process every newly available bar, then exit (for cron)")
    paper.add_argument("--poll-seconds", type=float, default=None,
                       help="seconds between polls (default: paper.poll_seconds)")
    paper.add_argument("--max-iterations", type=int, default=None,
                       help="stop after this many polls")
    paper_status = commands.add_parser("paper-status", help="the paper account now")
    paper_status.add_argument("config")
    paper_status.add_argument("--json", action="store_true")
    paper_report = commands.add_parser("paper-report", help="the backtest report, from the "
                                                            "paper ledger")
    paper_report.add_argument("config")
    paper_report.add_argument("--out", help="output folder (default: runs/<name>_paper)")
    from huice.cli_data import add_data_commands

    add_data_commands(commands)
    monitor = commands.add_parser("monitor", help="monitors: industry crowding")
    monitor.add_argument("kind", choices=["crowding"])
    monitor.add_argument("config")
    monitor.add_argument("--date", type=dt.date.fromisoformat, default=None,
                         help="the day to rank (default: the last day of the data)")
    monitor.add_argument("--out", help="output folder (default: runs/<name>_crowding)")
    monitor.add_argument("-v", "--verbose", action="store_true")
    validate = commands.add_parser("validate", help="check a config without running it")
    validate.add_argument("config")
    commands.add_parser("strategies", help="list the strategies and their params")
    for sub in (backtest, sweep, paper, paper_status, paper_report, validate,
                commands.choices["strategies"]):
        sub.add_argument("-v", "--verbose", action="store_true",
                         help="log detail, and show tracebacks for errors")
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python run.py`` and the ``huice`` console script."""
    args = parser().parse_args(argv)
    logger.enable("huice")
    logger.remove()
    logger.add(sys.stderr, level="DEBUG" if args.verbose else "WARNING",
               format="<level>{level: <7}</level> {message}")
    handlers = {"backtest": command_backtest, "sweep": command_sweep, "paper": command_paper,
                "paper-status": command_paper_status, "paper-report": command_paper_report,
                "validate": command_validate, "strategies": command_strategies,
                "data": command_data, "monitor": command_monitor}
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
