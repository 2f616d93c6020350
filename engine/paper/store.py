"""The paper account's state database: SQLite in WAL mode, one transaction per processed bar.

Each transaction holds the bar's date (the watermark), the orders as they now stand, the bar's
fills, closed round trips, positions, cash and equity, and the broker's and strategy's state as
JSON. A process killed at any instant leaves either the whole bar or none of it; the watermark
guard inside the transaction makes a bar impossible to book twice. One process at a time may
write: an exclusive lock on ``<state>.lock`` is held for the writer's lifetime.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from huice.config.errors import HuiceError
from huice.engine.results.ledger_frames import ACTION_COLUMNS, FILL_COLUMNS, ORDER_COLUMNS, TRADE_COLUMNS

_TRADE_COLUMNS_SQL = ", ".join(TRADE_COLUMNS).replace("return", "return_")
# tables added after accounts existed: a writer creates them in an older account
ADDED_TABLES = """
CREATE TABLE IF NOT EXISTS accepted (symbol TEXT, date TEXT, kind TEXT, note TEXT,
                                     accepted_at TEXT, PRIMARY KEY (symbol, date, kind));
CREATE TABLE IF NOT EXISTS reconciled (date TEXT, code TEXT, side TEXT, paper_quantity REAL,
                                       real_quantity REAL, paper_price REAL, real_price REAL,
                                       slippage_per_unit REAL, slippage_ticks REAL,
                                       slippage_cost REAL, paper_fees REAL, real_fees REAL,
                                       fee_difference REAL, status TEXT, order_ids TEXT,
                                       statement TEXT, PRIMARY KEY (date, code, side));
CREATE TABLE IF NOT EXISTS drift (through TEXT PRIMARY KEY, cash REAL, positions TEXT,
                                  statement TEXT, reconciled_at TEXT);
CREATE TABLE IF NOT EXISTS cash_flows (date TEXT, kind TEXT, amount REAL, code TEXT, line INTEGER,
                                       statement TEXT);
CREATE TABLE IF NOT EXISTS flow_periods (first TEXT, last TEXT, drift REAL, statement TEXT,
                                         PRIMARY KEY (first, last));
"""
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bars_done (date TEXT PRIMARY KEY, committed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders ({", ".join(ORDER_COLUMNS)}, PRIMARY KEY (order_id));
CREATE TABLE IF NOT EXISTS fills (seq INTEGER PRIMARY KEY AUTOINCREMENT, {", ".join(FILL_COLUMNS)});
CREATE TABLE IF NOT EXISTS trades (seq INTEGER PRIMARY KEY AUTOINCREMENT, {_TRADE_COLUMNS_SQL});
CREATE TABLE IF NOT EXISTS equity (date TEXT PRIMARY KEY, cash REAL, holdings REAL, equity REAL,
                                   benchmark_close REAL);
CREATE TABLE IF NOT EXISTS positions (date TEXT, symbol TEXT, quantity REAL, price REAL,
                                      value REAL, PRIMARY KEY (date, symbol));
CREATE TABLE IF NOT EXISTS signals (date TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS actions (seq INTEGER PRIMARY KEY AUTOINCREMENT, {", ".join(ACTION_COLUMNS)});
{ADDED_TABLES}"""
# columns added after accounts existed, with the value older rows read as
NEW_COLUMNS = {"orders": {"kind": "''", "codes": "''"}, "trades": {"dividends": "0.0"},
               "fills": {"dividend_tax": "0.0"}}
# Fault injection for the crash tests: seconds to pause inside each bar's transaction.
COMMIT_PAUSE_ENV = "HUICE_PAPER_COMMIT_PAUSE"


class StateLockedError(HuiceError):
    """Another process is already writing this state database."""


SQLITE_HEADER = b"SQLite format 3\x00"
REQUIRED_TABLES = ("meta", "bars_done", "orders", "fills", "trades", "equity", "positions",
                   "signals", "actions")
RECOVERY_HINT = ("restore it from a backup, or start a new account on purpose by pointing "
                 "paper.state at a new file (see docs/paper-trading.md)")


class DamagedStateError(HuiceError):
    """The state file exists but is not a healthy paper account database."""


def check_state_file(path: Path) -> None:
    """Raise :class:`DamagedStateError` unless ``path`` is a readable, intact account database.

    An existing state file is never rebuilt: an empty, truncated, foreign or malformed file is an
    error naming the file and the problem.
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DamagedStateError(f"cannot read the paper state file: {exc.strerror}; "
                                f"{RECOVERY_HINT}", source=path) from None
    if size == 0:
        raise DamagedStateError(f"the paper state file is empty (0 bytes), not an account "
                                f"database; {RECOVERY_HINT}", source=path)
    if header != SQLITE_HEADER:
        raise DamagedStateError(f"not a SQLite database, so not a paper account; "
                                f"{RECOVERY_HINT}", source=path)
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise DamagedStateError(f"damaged paper state database ({exc}); {RECOVERY_HINT}",
                                source=path) from None
    if verdict != "ok":
        raise DamagedStateError(f"damaged paper state database (integrity check: "
                                f"{verdict.splitlines()[0]}); {RECOVERY_HINT}", source=path)
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise DamagedStateError(f"a SQLite file but not a paper account (no table "
                                f"{', '.join(missing)}); {RECOVERY_HINT}", source=path)


def create_state_file(path: Path) -> None:
    """Create an empty account database at ``path`` atomically (built aside, then renamed), so
    that no reader ever sees a half-created file."""
    staging = path.with_name(f".{path.name}.new-{os.getpid()}")
    staging.unlink(missing_ok=True)
    try:
        connection = sqlite3.connect(staging, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
        finally:
            connection.close()
        os.link(staging, path)  # fails if another process created the file meanwhile
    except FileExistsError:
        pass
    finally:
        staging.unlink(missing_ok=True)


class PaperStore:
    """The account database at ``path``.

    A writer takes the single-writer lock and creates the account when no state file exists;
    a reader (``writer=False``, for paper-status and paper-report) opens it read-only and never
    writes to it. An existing file that is not a healthy account database is an error.
    """

    def __init__(self, path: Path, *, writer: bool = True) -> None:
        self.path = Path(path)
        self.writer = writer
        self._lock_handle: TextIO | None = None
        if not writer and not self.path.exists():
            raise HuiceError("no paper account here yet: run `python run.py paper CONFIG` to "
                             "create it", source=self.path)
        if writer:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._take_lock()
        try:
            if writer and not self.path.exists():
                create_state_file(self.path)
            check_state_file(self.path)
            if writer:
                self.connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)
                self.connection.execute("PRAGMA journal_mode=WAL")
                # NORMAL in WAL mode: a killed process loses nothing committed; a power cut may
                # lose the last bars, which are then processed again (the watermark moves back).
                self.connection.execute("PRAGMA synchronous=NORMAL")
                self._add_new_columns()
            else:
                self.connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro",
                                                  uri=True, isolation_level=None, timeout=30)
        except BaseException:
            self._release_lock()
            raise
        self._pause = float(os.environ.get(COMMIT_PAUSE_ENV, "0") or 0)
        # with fault injection on, this file exists exactly while a bar's transaction is open
        self._marker = self.path.with_name(self.path.name + ".in-transaction")

    def _add_new_columns(self) -> None:
        """An account created before a table had a column (orders' ``kind`` and ``codes``,
        trades' ``dividends``) gets it, empty (or 0) for the rows already booked, and the tables
        added since (``accepted``, ...) are created empty; nothing else of the account
        changes."""
        self.connection.executescript(ADDED_TABLES)
        for table, columns in NEW_COLUMNS.items():
            have = {row[1] for row in self.connection.execute(f"PRAGMA table_info({table})")}
            for column, default in columns.items():
                if column not in have:
                    self.connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} "
                                            f"DEFAULT {default}")

    def _take_lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = open(lock_path, "a+")  # noqa: SIM115 (held open: it is the lock)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StateLockedError(f"already in use by {holder}: one paper process per state "
                                   "database (stop it first, or use another paper.state)",
                                   source=self.path) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._lock_handle = handle

    def close(self) -> None:
        self.connection.close()
        self._release_lock()

    def _release_lock(self) -> None:
        if self._lock_handle is not None:
            fcntl.flock(self._lock_handle.fileno(), fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None

    # -- reading -------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def watermark(self) -> dt.date | None:
        value = self.meta("watermark")
        return dt.date.fromisoformat(value) if value else None

    def states(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The broker's and the strategy's state after the watermark bar."""
        broker, strategy = self.meta("broker_state"), self.meta("strategy_state")
        if broker is None or strategy is None:
            raise HuiceError("the paper account has no booked day yet", source=self.path)
        return json.loads(broker), json.loads(strategy)

    def accepted(self) -> set[tuple[str, dt.date, str]]:
        """The (symbol, day, kind) the user accepted on purpose (``paper-accept``)."""
        try:
            rows = self.connection.execute("SELECT symbol, date, kind FROM accepted").fetchall()
        except sqlite3.OperationalError:  # an older account opened read-only
            return set()
        return {(symbol, dt.date.fromisoformat(day), kind) for symbol, day, kind in rows}

    def accept(self, symbol: str, day: dt.date, kind: str, note: str) -> None:
        """Record an acceptance (one transaction)."""
        self.connection.execute("INSERT OR REPLACE INTO accepted VALUES (?, ?, ?, ?, ?)",
                                (symbol, day.isoformat(), kind, note,
                                 dt.datetime.now(dt.UTC).isoformat()))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises
        (or the process dies inside it)."""
        db = self.connection
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def flow_drift_before(self, first: str) -> float:
        """The cash drift that earlier periods' cash flows made (dividends against the paper's,
        interest), for the cumulative drift."""
        try:
            row = self.connection.execute("SELECT SUM(drift) FROM flow_periods WHERE last < ?",
                                          (first,)).fetchone()
        except sqlite3.OperationalError:  # an older account opened read-only
            return 0.0
        return float(row[0] or 0.0)

    def record_reconciliation(self, rows: Iterable[Sequence[Any]], first: str, last: str,
                              statement: str, cash_drift: float,
                              position_drift: dict[str, int],
                              followed_state: dict[str, Any] | None = None, *,
                              flows: Iterable[Sequence[Any]] = (),
                              flow_drift: float = 0.0) -> None:
        """Replace the reconciled groups of ``first`` .. ``last`` with ``rows`` and record the
        drift through ``last`` (over every reconciled day), in one transaction; with
        ``followed_state`` the broker's booked state becomes it (``--follow``) and ``last`` is
        remembered as followed."""
        with self._transaction() as db:
            if followed_state is not None:
                followed = self.meta("followed_through")
                if followed is not None and first <= followed:
                    raise HuiceError(f"the account already follows the broker through "
                                     f"{followed}: a statement from {first} would apply those "
                                     "days twice", source=self.path)
                db.execute("INSERT OR REPLACE INTO meta VALUES ('broker_state', ?)",
                           (json.dumps(followed_state, sort_keys=True),))
                db.execute("INSERT OR REPLACE INTO meta VALUES ('followed_through', ?)", (last,))
            db.execute("DELETE FROM reconciled WHERE date BETWEEN ? AND ?", (first, last))
            db.executemany("INSERT INTO reconciled VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                           "?, ?, ?, ?)", [(*row, statement) for row in rows])
            db.execute("DELETE FROM cash_flows WHERE date BETWEEN ? AND ?", (first, last))
            db.executemany("INSERT INTO cash_flows VALUES (?, ?, ?, ?, ?, ?)",
                           [(*row, statement) for row in flows])
            db.execute("DELETE FROM flow_periods WHERE first <= ? AND last >= ?", (last, first))
            db.execute("INSERT INTO flow_periods VALUES (?, ?, ?, ?)",
                       (first, last, flow_drift, statement))
            db.execute("INSERT OR REPLACE INTO drift VALUES (?, ?, ?, ?, ?)",
                       (last, cash_drift, json.dumps(position_drift, sort_keys=True),
                        statement, dt.datetime.now(dt.UTC).isoformat()))

    def optional_table(self, name: str) -> pd.DataFrame | None:
        """A table added after accounts existed (None when an older account opened read-only
        does not have it yet)."""
        try:
            return self.table(name)
        except (sqlite3.OperationalError, pd.errors.DatabaseError):
            return None

    def table(self, name: str) -> pd.DataFrame:
        frame = pd.read_sql_query(f"SELECT * FROM {name}", self.connection)
        frame = frame.drop(columns=["seq"], errors="ignore").rename(columns={"return_": "return"})
        if name == "orders":  # an older account read-only: its missing columns read as empty
            frame = frame.reindex(columns=ORDER_COLUMNS, fill_value="")
        if name == "trades":
            frame = frame.reindex(columns=TRADE_COLUMNS, fill_value=0.0)
        if name == "fills":  # an older account's dividend_tax came last, or not at all
            frame = frame.reindex(columns=FILL_COLUMNS, fill_value=0.0)
        return frame

    # -- writing -------------------------------------------------------------------------------
    def bind_config(self, config_hash: str) -> None:
        """Remember which config made this account; refuse to continue it with another."""
        known = self.meta("config_hash")
        if known is None:
            if self.writer:  # readers never write; an unbound account is bound by its writer
                self.connection.execute("INSERT INTO meta VALUES ('config_hash', ?)",
                                        (config_hash,))
        elif known != config_hash:
            raise HuiceError("was created by a different config (strategy, data or broker "
                             "changed): continuing it would mix two accounts. Restore the "
                             "original config, or point paper.state at a new file",
                             source=self.path)

    def commit_bar(self, day: dt.date, *, broker_state: dict[str, Any],
                   strategy_state: dict[str, Any], orders: Iterable[Sequence[Any]],
                   fills: Iterable[Sequence[Any]], trades: Iterable[Sequence[Any]],
                   equity: Sequence[Any], positions: Iterable[Sequence[Any]],
                   signals: dict[str, float] | None,
                   actions: Iterable[Sequence[Any]] = ()) -> None:
        """Book one processed bar atomically (and refuse a bar at or before the watermark)."""
        with self._transaction() as db:
            current = self.watermark
            if current is not None and day <= current:
                raise RuntimeError(f"bar {day} is at or before the watermark {current}: "
                                   "already booked")
            db.executemany(f"INSERT OR REPLACE INTO orders ({', '.join(ORDER_COLUMNS)}) VALUES "
                           f"({', '.join('?' * len(ORDER_COLUMNS))})", orders)
            db.executemany(f"INSERT INTO fills ({', '.join(FILL_COLUMNS)}) VALUES "
                           f"({', '.join('?' * len(FILL_COLUMNS))})", fills)
            trade_columns = ", ".join(TRADE_COLUMNS).replace("return", "return_")
            db.executemany(f"INSERT INTO trades ({trade_columns}) VALUES "
                           f"({', '.join('?' * len(TRADE_COLUMNS))})", trades)
            db.executemany(f"INSERT INTO actions ({', '.join(ACTION_COLUMNS)}) VALUES "
                           f"({', '.join('?' * len(ACTION_COLUMNS))})", actions)
            db.execute("INSERT INTO equity VALUES (?, ?, ?, ?, ?)", equity)
            db.executemany("INSERT INTO positions VALUES (?, ?, ?, ?, ?)", positions)
            if signals:
                db.execute("INSERT INTO signals VALUES (?, ?)",
                           (day.isoformat(), json.dumps(signals, sort_keys=True)))
            for key, value in (("watermark", day.isoformat()),
                               ("broker_state", json.dumps(broker_state, sort_keys=True)),
                               ("strategy_state", json.dumps(strategy_state, sort_keys=True))):
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
            db.execute("INSERT INTO bars_done VALUES (?, ?)",
                       (day.isoformat(), dt.datetime.now(dt.UTC).isoformat()))
            if self._pause:  # fault injection: widen the window a kill can land in
                self._marker.write_text(day.isoformat())
                time.sleep(self._pause)
        if self._pause:
            self._marker.unlink(missing_ok=True)
