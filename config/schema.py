"""Typed, frozen run configuration. Unknown keys are rejected everywhere.

The YAML of a run maps one-to-one onto :class:`RunConfig`. Strategy parameters are kept as a
plain mapping here and validated against the strategy's own ``Params`` model once the strategy
is resolved (``config/`` knows nothing of strategies).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    NonNegativeInt,
    field_validator,
    model_validator,
)

from huice.config.identity import left_out_of
from huice.config.strict import StrictModel, resolve_path
from huice.config.sweep_schema import (
    Constraint,
    RandomSpec,
    RangeSpec,
    ScreenConfig,
    SweepConfig,
    UniformSpec,
    WalkForwardConfig,
)

__all__ = ["ASSET_CLASSES", "AcceptedBar", "AssetClass", "Board", "BrokerConfig", "BuyLimitConfig",
           "Constraint", "DataConfig", "DatedRate", "FileSpec", "InstrumentOverrides", "PaperConfig",
           "PaperSourceConfig", "RandomSpec", "RangeSpec", "ReportConfig", "RuleOverrides",
           "RunConfig", "ScreenConfig", "SlippageConfig", "StatementConfig", "StrategyConfig",
           "StrictModel", "SweepConfig", "UniformSpec", "VolumeCapConfig", "WalkForwardConfig"]

AssetClass = Literal["stock", "etf", "index", "bond_etf", "gold_etf", "money_etf",
                     "cross_border_etf", "synthetic"]
Board = Literal["main", "chinext", "star", "st", "beijing", "none"]
ASSET_CLASSES: tuple[str, ...] = AssetClass.__args__  # type: ignore[attr-defined]


class DatedRate(StrictModel):
    """A rate that applies to trades dated on or after ``from``."""

    start: dt.date = Field(alias="from", description="first trade date the rate applies to")
    rate: float = Field(ge=0, le=0.01, description="fraction of traded value")


class RuleOverrides(StrictModel):
    """Overrides of the trading rules and costs of an asset class (all optional)."""

    commission_rate: float | None = Field(None, ge=0, le=0.01)
    commission_min_cny: float | None = Field(None, ge=0)
    stamp_duty: list[DatedRate] | None = Field(None, description="sell side, dated schedule")
    stamp_duty_buyer: list[DatedRate] | None = Field(
        None, description="buy side, dated schedule (stocks paid it on both sides until "
                          "2008-09-18)")
    transfer_fee: list[DatedRate] | None = Field(None, description="both sides, dated schedule")
    tick: float | None = Field(None, gt=0)
    lot: int | None = Field(None, ge=1)
    t_plus: Literal[0, 1] | None = None
    price_limit: float | None = Field(None, ge=0, le=1,
                                      description="daily limit as a fraction; 0 = no limit")
    fractional: bool | None = None
    price_scale: float | None = Field(None, gt=0, description="traded price = data price * scale")
    dividend_tax: bool | None = Field(None, description="tax dividends by holding period when "
                                                       "sold (default: stocks only)")

    @field_validator("stamp_duty", "stamp_duty_buyer", "transfer_fee")
    @classmethod
    def _sorted_schedule(cls, schedule: list[DatedRate] | None) -> list[DatedRate] | None:
        if schedule is not None:
            starts = [entry.start for entry in schedule]
            if starts != sorted(set(starts)):
                raise ValueError("dated entries must have strictly increasing 'from' dates")
        return schedule


class InstrumentOverrides(RuleOverrides):
    """Per-instrument overrides, including what the instrument is."""

    asset_class: AssetClass | None = None
    board: Board | None = None


class SlippageConfig(StrictModel):
    """How fills are moved against the trader. ``value`` is a fraction (percent) or a tick count."""

    kind: Literal["none", "percent", "ticks"] = "none"
    value: float = Field(0.0, ge=0, description="fraction of price (percent) or tick count")

    @model_validator(mode="after")
    def _value_fits_kind(self) -> SlippageConfig:
        if self.kind == "percent" and self.value >= 0.1:
            raise ValueError(f"percent slippage is a fraction and must be below 0.1, got "
                             f"{self.value:g} (0.001 means 0.1%)")
        if self.kind == "ticks" and self.value > 100:
            raise ValueError(f"tick slippage must be at most 100 ticks, got {self.value:g}")
        return self


class VolumeCapConfig(StrictModel):
    """Fill at most a share of the bar's volume; the rest waits or is cancelled."""

    max_participation: float = Field(gt=0, le=1)
    remainder: Literal["wait", "cancel"] = "cancel"


class BrokerConfig(StrictModel):
    """The simulated A-share broker: cash, timing, costs and rules."""

    initial_cash: float = Field(1_000_000.0, gt=0)
    execution: Literal["open", "close", "vwap", "close_fixed"] = Field(
        "open", description="open: the next bar's open; close: the bar's close; vwap: the next "
                            "bar's typical price; close_fixed: after-hours fixed-price trading "
                            "at the bar's close (STAR stocks from 2019-07-22, ChiNext from "
                            "2020-08-24)")
    costs: Literal["a_share", "none"] = "a_share"
    slippage: SlippageConfig = SlippageConfig()
    volume_cap: VolumeCapConfig | None = None
    order_validity: Literal["day", "gtc"] = "day"
    sealed_limit: Literal["one_price", "touch"] = "one_price"
    asset_classes: dict[AssetClass, RuleOverrides] = Field(default_factory=dict)
    instruments: dict[str, InstrumentOverrides] = Field(default_factory=dict)
    st_history: Path | None = Field(
        None, description="CSV of symbol,from,to: the dates a main-board stock was under risk "
                          "warning (ST, *ST): its daily limit is 5% then; to empty = still",
        json_schema_extra=left_out_of(omit_when_empty=True))

    _resolve = field_validator("st_history")(resolve_path)


class FileSpec(StrictModel):
    """An instrument read from a CSV file rather than the catalog."""

    path: Path = Field(json_schema_extra=left_out_of("run"))  # where, not what
    asset_class: AssetClass | None = Field(
        None, description="default: inferred from the exchange code (51xxxx.SH an ETF, ...)")
    name: str = ""
    board: Board | None = None
    listed: dt.date | None = Field(
        None, description="the listing date (a stock's first days may have no price limit); "
                          "default: the file's first bar")

    _resolve = field_validator("path")(resolve_path)


class AcceptedBar(StrictModel):
    """A finding of the data gate accepted on purpose (docs/data.md, "Bar quality")."""

    symbol: str = Field(min_length=1)
    date: dt.date
    as_: Literal["bar", "suspension", "drop"] = Field(
        alias="as", description="bar: the bar is real, book it as it is; suspension: the "
                                "missing bar was the exchange's suspension; drop: leave out a "
                                "bar dated on a day the exchange did not trade")


class DataConfig(StrictModel):
    """Where bars come from and which span of them the run uses."""

    catalog: Path | None = Field(None, description="catalog CSV; default: the bundled data/",
                                 json_schema_extra=left_out_of("run"))
    files: dict[str, FileSpec] = Field(
        default_factory=dict,
        description="per symbol, {path: ..., asset_class: ..., name: ..., board: ...} or just "
                    "the path")
    quality: Literal["warn", "strict"] = Field(
        "warn", description="what the data gate does with a finding in the bars: warn lists it "
                            "and goes on (a missing bar is a suspension); strict stops the run. "
                            "A jump beyond the day's limit and a bar on a non-trading day stop "
                            "it in both unless accepted (data.accept)",
        json_schema_extra=left_out_of("run", "account"))  # it never changes a run's figures
    accept: list[AcceptedBar] = Field(
        default_factory=list, description="findings accepted on purpose, by symbol and date",
        json_schema_extra=left_out_of(omit_when_empty=True))
    start: dt.date | None = None
    # an account's data grows day by day; a run's span is part of what it computed
    end: dt.date | None = Field(None, json_schema_extra=left_out_of("account"))
    benchmark: str | None = "000300.SH"
    trade_start: dt.date | None = Field(
        None, description="bars before this date only warm the strategy up: no orders")
    calendar: Literal["exchange", "data"] = Field(
        "exchange", description="exchange: the bundled SSE/SZSE calendar (a trading day with no "
                                "bar for an instrument is a suspension); data: days with a bar")
    nav_lag_days: dict[AssetClass, NonNegativeInt] = Field(
        default_factory=dict,
        description="trading days from a fund's NAV date to its publication, by asset class, "
                    "over the defaults (cross_border_etf 1, every other class 0): the NAV a "
                    "decision on day T sees is the last published by T's close",
        json_schema_extra=left_out_of(omit_when_empty=True))  # absent before it existed

    _resolve = field_validator("catalog")(resolve_path)

    @field_validator("files", mode="before")
    @classmethod
    def _path_shorthand(cls, value: Any) -> Any:
        """``{510300.SH: my.csv}`` is ``{510300.SH: {path: my.csv}}``."""
        if isinstance(value, dict):
            return {symbol: {"path": spec} if isinstance(spec, (str, Path)) else spec
                    for symbol, spec in value.items()}
        return value

    @model_validator(mode="after")
    def _ordered_span(self) -> DataConfig:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        if self.trade_start and self.end and self.trade_start > self.end:
            raise ValueError(f"trade_start {self.trade_start} is after end {self.end}")
        return self


class StrategyConfig(StrictModel):
    """Which strategy runs (a registered name or ``package.module:ClassName``) and its params."""

    name: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    instruments: list[str] = Field(
        default_factory=list,
        description="backtrader strategies only: the feeds, in order (datas[0] is the first)",
        json_schema_extra=left_out_of(omit_when_empty=True))  # absent before it existed


class ReportConfig(StrictModel):
    """How results are measured and shown."""

    periods_per_year: int = Field(252, ge=1, le=366)
    risk_free_rate: float = Field(0.0, ge=-0.1, le=0.5)
    charts: bool = True
    language: Literal["en", "zh"] = Field(
        "en", description="labels and explanations of report.html; en by default because the "
                          "run notes, CSV columns and docs are English",
        json_schema_extra=left_out_of("run", "account"))  # how a page is worded
    colors: Literal["auto", "cn", "intl"] = Field(
        "auto", description="colours of gains and losses in every chart and table: cn (红涨绿跌, "
                            "red up and green down, as Chinese trading screens show them) or "
                            "intl (green up, red down); auto: cn for a zh report, else intl",
        json_schema_extra=left_out_of("run", "account"))  # how a page is coloured


class PaperSourceConfig(StrictModel):
    """Where a paper account's bars come from.

    ``csv_folder``: ``<path>/<symbol>.csv`` files appended by a data job; ``sqlite``: a table
    (``symbol, date, open, high, low, close, volume[, amount]``) in the database at ``path``;
    ``replay``: the run's own data served one trading day at a time from ``start`` (earlier days
    are history), ``days_per_poll`` days per poll, to rehearse; ``catalog``: a catalog folder
    that ``python run.py data update --catalog <path>`` keeps current (docs/data.md).
    """

    kind: Literal["csv_folder", "sqlite", "replay", "catalog"]
    path: Path | None = Field(None, json_schema_extra=left_out_of("run"))
    table: str = Field("bars", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    start: dt.date | None = None
    days_per_poll: int = Field(1, ge=1)

    _resolve = field_validator("path")(resolve_path)

    @model_validator(mode="after")
    def _needs_path(self) -> PaperSourceConfig:
        if self.kind in ("csv_folder", "sqlite", "catalog") and self.path is None:
            raise ValueError(f"a {self.kind} source needs a path")
        if self.kind == "replay" and self.start is None:
            raise ValueError("a replay source needs start (the first day served one by one)")
        return self


STATEMENT_FIELDS = ("date", "code", "side", "quantity", "price", "value", "commission",
                    "stamp_duty", "transfer_fee", "other_fees")


class StatementConfig(StrictModel):
    """How to read the broker's fills export for ``paper-reconcile``: which column holds each
    field, where the defaults (成交日期, 证券代码, 买卖标志, 成交数量, 成交价格, 成交金额, 佣金,
    印花税, 过户费, ...) do not fit."""

    columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(STATEMENT_FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; allowed: "
                             f"{', '.join(STATEMENT_FIELDS)}")
        return value


class BuyLimitConfig(StrictModel):
    """The limit price of a buy ticket for a market order (docs/paper-trading.md, "Order
    tickets"): the band's edge (limit-up), or the last close plus a percent or a number of
    ticks (never past the band). The broker freezes quantity x this price, so a lower one
    lets a fully invested account buy more of what it planned."""

    kind: Literal["band", "percent", "ticks"] = "band"
    value: float = Field(0.0, ge=0, description="percent (0.01 = 1%) or ticks above the close")


class BasketConfig(StrictModel):
    """A basket file of the placeable tickets in a trading client's own file-order layout
    (docs/paper-trading.md, "Basket files"): ``myquant`` is the CSV file order (文件单) of
    MyQuant's 掘金 terminal and the Eastmoney EMC quant terminal built on it."""

    format: Literal["myquant"] = "myquant"
    account_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9\-]+$",
                            description="the terminal's ID of the trading account (copied "
                                        "from its account list)")
    folder: Path | None = Field(None, description="the folder the terminal scans for file "
                                                  "orders; default: <tickets>/myquant")

    _resolve = field_validator("folder")(resolve_path)


class PaperConfig(StrictModel):
    """A paper-trading account: its state database, its bar source, how often to poll."""

    state: Path = Field(description="SQLite state database (created if missing)",
                        json_schema_extra=left_out_of("run"))
    source: PaperSourceConfig
    poll_seconds: float = Field(60.0, ge=0)
    log_file: Path | None = Field(None, description="rotating log; default: <state>.log",
                                  json_schema_extra=left_out_of("run"))
    tickets: Path | None = Field(None, description="folder of the next session's order "
                                                   "tickets; default: <state>.tickets next to "
                                                   "the state",
                                 json_schema_extra=left_out_of("run"))
    statement: StatementConfig = Field(default_factory=StatementConfig,
                                       json_schema_extra=left_out_of("run"))
    buy_limit: BuyLimitConfig = Field(default_factory=BuyLimitConfig,
                                      json_schema_extra=left_out_of("run", "account"))
    adjusted_prices: Literal["refuse", "latest", "twin"] = Field(
        "refuse", description="tickets of an adjusted series (.qfq): refuse (the prices are "
                              "not the traded ones), latest (the series is fetched fresh each "
                              "evening, so its newest close is the traded close), twin (scaled "
                              "by the unadjusted twin's close on the newest day)",
        json_schema_extra=left_out_of("run", "account"))
    basket: BasketConfig | None = Field(None, description="also write the placeable tickets "
                                                          "as a client's basket file",
                                        json_schema_extra=left_out_of("run", "account"))

    _resolve = field_validator("state", "log_file", "tickets")(resolve_path)

    def tickets_folder(self) -> Path:
        """Where the order tickets are written."""
        return self.tickets or self.state.with_name(self.state.stem + ".tickets")

    def basket_folder(self) -> Path:
        """Where the basket file is written (``paper.basket`` set)."""
        if self.basket is None:
            raise ValueError("paper.basket is not set: no basket folder")
        return self.basket.folder or self.tickets_folder() / self.basket.format


class RunConfig(StrictModel):
    """A whole backtest: data, strategy, broker, report (and optionally a sweep or a paper
    account)."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    data: DataConfig
    strategy: StrategyConfig
    broker: BrokerConfig = BrokerConfig()
    report: ReportConfig = ReportConfig()
    # an account is its strategy, data and broker: not how it is swept or where it is kept
    sweep: SweepConfig | None = Field(None, json_schema_extra=left_out_of("account"))
    paper: PaperConfig | None = Field(None, json_schema_extra=left_out_of("account"))
    runner: Literal["cerebro", "fast"] | None = Field(
        None, description="cerebro (backtrader's loop) or fast (huice's own, huice strategies "
                          "only); default: cerebro for one run, fast in sweeps. The outputs "
                          "are the same",
        json_schema_extra=left_out_of("run", "account"))  # both runners give the same outputs

    def sweep_block(self) -> SweepConfig:
        """The ``sweep:`` block (sweeps and walk-forward are only run from configs with one)."""
        if self.sweep is None:
            raise ValueError(f"config {self.name} has no sweep: block")
        return self.sweep

    def paper_block(self) -> PaperConfig:
        """The ``paper:`` block (paper accounts are only run from configs with one)."""
        if self.paper is None:
            raise ValueError(f"config {self.name} has no paper: block")
        return self.paper
