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
import datetime as dt
import sys
import traceback
from pathlib import Path

from loguru import logger

from huice import api, api_paper
from huice.cli_data import add_data_commands
from huice.cli_data import command_data as run_data_command

EXIT_OK, EXIT_USER_ERROR, EXIT_GATE = 0, 2, 3  # 3: the paper gate refused a day
EXIT_DIFFERENCES = 4  # paper-reconcile found the broker and the paper account differ


def command_backtest(args: argparse.Namespace) -> int:
    config = api.load_config(args.config)
    out_dir = Path(args.out) if args.out else Path("runs") / config.name
    # a progress bar on long runs in a terminal; never in pipes or CI logs
    progress = True if args.progress else (None if sys.stderr.isatty() else False)
    result = api.backtest(config, progress=progress, runner=args.runner, out=out_dir)
    print(f"{config.name}\n{result.summary()}")
    print(f"report: {out_dir / 'report.html'}")
    return EXIT_OK


def command_sweep(args: argparse.Namespace) -> int:
    config = api.load_config(args.config)
    out_dir = Path(args.out) if args.out else Path("runs") / f"{config.name}_sweep"
    table = api.sweep(config, workers=args.workers or None, backend=args.backend, out=out_dir)
    sweep = config.sweep_block()
    if sweep.walk_forward is not None:
        print(table.to_string(index=False))
        compounded = float((1.0 + table["test_return"]).prod() - 1.0)
        print(f"out-of-sample return {compounded:.2%} (the {len(table)} test windows, "
              "compounded)")
        print(f"results: {out_dir / 'walk_forward.csv'}")
    else:
        ranked = api.rank_sweep(table, config)
        keys = [c for c in table.columns if "." in c]
        columns = list(dict.fromkeys(["index", *keys, sweep.rank_by, "total_return"]))
        print(ranked.head(sweep.top)[columns].to_string(index=False))
        print(f"results: {out_dir / 'results.csv'}")
    print(f"report: {out_dir / 'report.html'}")
    if "status" in table and len(table) and (table["status"] == "error").all():
        # nothing to rank: the same input error in every run (a refused bar, say)
        print(f"error: all {len(table)} runs failed; the first: {table['error'].iloc[0]}",
              file=sys.stderr)
        return EXIT_USER_ERROR
    return EXIT_OK


def command_paper(args: argparse.Namespace) -> int:
    config = api.load_config(args.config)
    step = api_paper.paper_run(config, once=args.once, poll_seconds=args.poll_seconds,
                               max_iterations=args.max_iterations,
                               on_booked=lambda line: print(line, flush=True),
                               log_file=True, verbose=args.verbose, handle_signals=True)
    state = config.paper_block().state.resolve()
    print(f"booked {step.booked} bar(s); state {state}")
    if step.stopped and not args.once:  # a supervisor's clean stop: say what was waiting
        for line in step.problems:
            print(f"stopped while waiting: {line}", file=sys.stderr)
        return EXIT_OK
    for line in step.problems:
        print(line, file=sys.stderr)
    if step.problems:
        print(f"not booked: the gate refused a day (exit code {EXIT_GATE}); see "
              "docs/paper-trading.md, \"The gate\"", file=sys.stderr)
        return EXIT_GATE
    return EXIT_OK


def command_paper_reconcile(args: argparse.Namespace) -> int:
    report = api_paper.paper_reconcile(args.config, args.statement, follow=args.follow,
                                       first=args.first, last=args.last)
    for line in report.lines:
        print(line)
    if args.fills is not None:
        report.write_fills(args.fills)
        print(f"{len(report.fills)} broker fill(s), one row each, written to {args.fills}")
    if report.differences:
        print(f"{report.differences} difference(s) between the broker and the paper account "
              f"({report.first} .. {report.last}): exit code {EXIT_DIFFERENCES}",
              file=sys.stderr)
        return EXIT_DIFFERENCES
    return EXIT_OK


def command_paper_accept(args: argparse.Namespace) -> int:
    print(api_paper.paper_accept(args.config, args.symbol, args.date, args.kind, args.note))
    return EXIT_OK


def command_paper_status(args: argparse.Namespace) -> int:
    import json

    info = api_paper.paper_status(args.config)
    if args.json:
        print(json.dumps(info.to_dict(), indent=2, sort_keys=True, default=str))
        return EXIT_OK
    if info.last_bar is None:
        print(info.message)
        return EXIT_OK
    print(f"last booked day {info.last_bar} ({info.bars_processed} booked); next step "
          f"{info.next_step or 'past the calendar'}\n"
          f"  cash           {info.cash:>16,.2f}\n  holdings       {info.holdings:>16,.2f}\n"
          f"  equity         {info.equity:>16,.2f}\n"
          f"  cost basis     {info.cost_basis:>16,.2f}\n"
          f"  unrealised P&L {info.unrealised_pnl:>16,.2f}\n"
          f"  realised P&L   {info.realised_pnl:>16,.2f}\n"
          f"  today's P&L    {info.today_pnl:>16,.2f}")
    for position in info.positions:
        print(f"  {position.symbol:<16} {position.quantity:>12,d} x "
              f"{position.price:.4f} = {position.value:>14,.2f}  cost "
              f"{position.cost:>14,.2f} ({position.average_cost:.4f})  unrealised "
              f"{position.unrealised:>12,.2f}")
    print(f"open orders: {len(info.open_orders)}; fills on the last day: "
          f"{len(info.last_day_fills)}")
    for order in [*info.open_orders, *(o for o in info.last_day_orders
                                       if o["state"] != o["status"])]:
        print(f"  #{order['order_id']} {order['side']} {order['quantity']:,.0f} "
              f"{order['symbol']} ({order['state']}) {order['tag']}")
    _print_resting(info)
    if info.drift is not None:
        drift = info.drift
        print(f"broker's cash {info.broker_cash:,.2f} beside the paper's {info.cash:,.2f}")
        print(f"live vs paper through {drift.through}: cash {drift.cash:+,.2f}"
              + "".join(f", {code} {units:+,d}" for code, units
                        in sorted(drift.positions.items())))
    return EXIT_OK


def _print_resting(info: api_paper.PaperStatus) -> None:
    if info.resting:
        print("resting orders (kind, prices, trail, ties, validity, session):")
    for order in info.resting:
        prices = " ".join(f"{name} {price:g}" for name, price in
                          (("limit", order.limit_price), ("stop", order.stop_price))
                          if price is not None)
        ties = "".join([f" oco group #{order.oco_group}" if order.oco_group else "",
                        f" bracket of #{order.bracket_parent}"
                        if order.bracket_parent is not None else ""])
        when = "after its parent fills" if order.waits_for_parent else f"for {order.session}"
        print(f"  #{order.order_id} {order.side} {order.quantity - order.filled:,} "
              f"{order.symbol} {order.kind} {prices}"
              + (f" trailing {order.trail}" if order.trail else "")
              + f"{ties}; {order.validity}; {when}")
    for symbol in info.unprotected:
        print(f"  unprotected: {symbol} is held with no sell order resting")
    for item in info.accepted:
        print(f"  accepted: {item['symbol']} {item['date']} as {item['as']}")


def command_paper_report(args: argparse.Namespace) -> int:
    config = api.load_config(args.config)
    out_dir = Path(args.out) if args.out else Path("runs") / f"{config.name}_paper"
    result = api_paper.paper_report(config, out=out_dir)
    print(f"{config.name} (paper)\n{result.summary()}")
    print(f"report: {out_dir / 'report.html'}")
    return EXIT_OK


def command_validate(args: argparse.Namespace) -> int:
    found = api.validate(args.config)
    print(f"{args.config}: valid (strategy {found.strategy}, {found.instruments} instruments)")
    if found.span_note:
        print(f"  WARNING: {found.span_note}")
    for item in found.coverage:
        print(f"  {item.symbol:<18} {item.first} .. {item.last}  {item.bars:>5} bars"
              + ("" if item.complete else f"  WARNING: run spans {item.span_start} .. "
                                          f"{item.span_end}"))
    if found.findings:
        print(f"  bar quality: {len(found.findings)} finding(s) (data.quality, docs/data.md)")
    for line in found.findings:
        print(f"    {line}")
    return EXIT_OK


def command_strategies(args: argparse.Namespace) -> int:
    for info in api.strategies():
        print(f"{info.name}: {info.description}")
        for name, default, description in info.params:
            print(f"    {name} ({default}): {description}")
    return EXIT_OK


def command_monitor(args: argparse.Namespace) -> int:
    config = api.load_config(args.config)
    if args.kind == "premium":
        out_dir = Path(args.out) if args.out else Path("runs") / f"{config.name}_premium"
        last = api.monitor_premium(config, date=args.date, out=out_dir)
        print(last[["symbol", "date", "premium", "z", "signal"]].to_string(
            index=False, float_format=lambda v: f"{v:.4f}"))
        print(f"report: {out_dir / 'report.html'}")
        return EXIT_OK
    out_dir = Path(args.out) if args.out else Path("runs") / f"{config.name}_crowding"
    ranked = api.monitor_crowding(config, date=args.date, out=out_dir)
    print(ranked[["rank", "symbol", "name", "score"]].head(10).to_string(index=False,
                                                                        float_format="%.1f"))
    print(f"report: {out_dir / 'report.html'}")
    return EXIT_OK


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
    accept = commands.add_parser("paper-accept", help="book a day the gate refused, on "
                                                      "purpose (a suspension, or a real bar)")
    accept.add_argument("config")
    accept.add_argument("symbol")
    accept.add_argument("date", type=dt.date.fromisoformat)
    accept.add_argument("--as", dest="kind", required=True, choices=["suspension", "bar"],
                        help="suspension: no bar that day is right; bar: its bar is right")
    accept.add_argument("--note", default="", help="why (kept in the state)")
    reconcile = commands.add_parser("paper-reconcile", help="compare the broker's fills "
                                                            "export with the paper fills")
    reconcile.add_argument("config")
    reconcile.add_argument("statement", help="the broker's fills export (CSV or XLSX, GBK or "
                                             "UTF-8)")
    reconcile.add_argument("--from", dest="first", type=dt.date.fromisoformat, default=None,
                           help="first day reconciled (default: the statement's first)")
    reconcile.add_argument("--to", dest="last", type=dt.date.fromisoformat, default=None,
                           help="last day reconciled (default: the statement's last)")
    reconcile.add_argument("--follow", action="store_true",
                           help="from the next step on, trade from the broker's positions and "
                                "cash (the account follows the broker)")
    reconcile.add_argument("--fills", type=Path, default=None, metavar="CSV",
                           help="write one row per broker fill (its line, price, quantity, "
                                "slippage, and each fee against the paper's) to this CSV")
    paper_status = commands.add_parser("paper-status", help="the paper account now")
    paper_status.add_argument("config")
    paper_status.add_argument("--json", action="store_true")
    paper_report = commands.add_parser("paper-report", help="the backtest report, from the "
                                                            "paper ledger")
    paper_report.add_argument("config")
    paper_report.add_argument("--out", help="output folder (default: runs/<name>_paper)")
    add_data_commands(commands)
    monitor = commands.add_parser("monitor", help="monitors: industry crowding, ETF premium")
    monitor.add_argument("kind", choices=["crowding", "premium"])
    monitor.add_argument("config")
    monitor.add_argument("--date", type=dt.date.fromisoformat, default=None,
                         help="the day to rank (default: the last day of the data)")
    monitor.add_argument("--out", help="output folder (default: runs/<name>_crowding or "
                                       "runs/<name>_premium)")
    monitor.add_argument("-v", "--verbose", action="store_true")
    validate = commands.add_parser("validate", help="check a config without running it")
    validate.add_argument("config")
    commands.add_parser("strategies", help="list the strategies and their params")
    for sub in (backtest, sweep, paper, accept, reconcile, paper_status, paper_report, validate,
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
                "paper-accept": command_paper_accept, "paper-reconcile": command_paper_reconcile,
                "paper-status": command_paper_status, "paper-report": command_paper_report,
                "validate": command_validate, "strategies": command_strategies,
                "data": run_data_command, "monitor": command_monitor}
    try:
        return handlers[args.command](args)
    except api.HuiceError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (| head): nothing to say
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
