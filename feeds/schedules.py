"""Read dated decision files: order lists and target-weight lists (for the replay strategies)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from huice.feeds.errors import DataError


@dataclass(frozen=True)
class ScheduledOrder:
    """One row of an orders file."""

    date: pd.Timestamp
    symbol: str
    is_buy: bool
    quantity: float
    limit: float | None = None   # limit price (a limit order; with stop, a stop-limit order)
    stop: float | None = None    # stop price (a stop order)
    valid: str | None = None     # day, gtc or a last date (ISO); empty: the broker's default


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", source=path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read as CSV: {exc}", source=path) from exc
    frame.columns = [c.strip().lower() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}; expected {', '.join(columns)}",
                        source=path, line=1, where="columns")
    if frame.empty:
        raise DataError("no rows", source=path)
    return frame


def _date(value: str, path: Path, line: int) -> pd.Timestamp:
    try:
        return pd.Timestamp(value.strip()).normalize()
    except ValueError as exc:
        raise DataError(f"date {value!r} is not a date", source=path, line=line,
                        where="date") from exc


def _number(value: str, column: str, path: Path, line: int) -> float:
    try:
        return float(value)
    except ValueError as exc:
        raise DataError(f"{column} {value!r} is not a number", source=path, line=line,
                        where=column) from exc


def read_orders(path: Path) -> list[ScheduledOrder]:
    """Rows ``date,symbol,side,quantity`` (side buy or sell, quantity > 0), in date order,
    with optional columns ``limit``, ``stop`` (prices) and ``valid`` (day, gtc or a date)."""
    frame = _read(path, ("date", "symbol", "side", "quantity"))
    for optional in ("limit", "stop", "valid"):
        if optional not in frame.columns:
            frame[optional] = ""
    orders = []
    for position, row in enumerate(frame.itertuples(index=False)):
        line = position + 2
        side = row.side.strip().lower()
        if side not in ("buy", "sell"):
            raise DataError(f"side {row.side!r} must be buy or sell", source=path, line=line,
                            where="side")
        quantity = _number(row.quantity, "quantity", path, line)
        if not quantity > 0:
            raise DataError(f"quantity {quantity:g} must be > 0", source=path, line=line,
                            where="quantity")
        if not row.symbol.strip():
            raise DataError("symbol is empty", source=path, line=line, where="symbol")
        prices: dict[str, float | None] = {}
        for column in ("limit", "stop"):
            text = getattr(row, column).strip()
            value = _number(text, column, path, line) if text else None
            prices[column] = value
            if value is not None and not value > 0:
                raise DataError(f"{column} {text} must be > 0", source=path, line=line,
                                where=column)
        valid = row.valid.strip().lower() or None
        if valid not in (None, "day", "gtc"):
            valid = _date(valid, path, line).date().isoformat()
        orders.append(ScheduledOrder(_date(row.date, path, line), row.symbol.strip(),
                                     side == "buy", quantity, prices["limit"], prices["stop"],
                                     valid))
    return sorted(orders, key=lambda o: o.date)  # stable: file order within a day


def read_target_weights(path: Path) -> dict[pd.Timestamp, dict[str, float]]:
    """Rows ``date,symbol,weight``: per date, the target weight of each named symbol.

    Weights are in [0, 1] and sum to at most 1 per date; symbols not named on a date are sold.
    """
    frame = _read(path, ("date", "symbol", "weight"))
    targets: dict[pd.Timestamp, dict[str, float]] = {}
    for position, row in enumerate(frame.itertuples(index=False)):
        line = position + 2
        weight = _number(row.weight, "weight", path, line)
        if not 0.0 <= weight <= 1.0:
            raise DataError(f"weight {weight:g} must be in [0, 1]", source=path, line=line,
                            where="weight")
        day = _date(row.date, path, line)
        day_targets = targets.setdefault(day, {})
        symbol = row.symbol.strip()
        if symbol in day_targets:
            raise DataError(f"{symbol} listed twice on {day.date()}", source=path, line=line,
                            where="symbol")
        day_targets[symbol] = weight
        if sum(day_targets.values()) > 1.0 + 1e-9:
            raise DataError(f"weights on {day.date()} sum to {sum(day_targets.values()):g}; "
                            "at most 1 is allowed", source=path, line=line, where="weight")
    return dict(sorted(targets.items()))
