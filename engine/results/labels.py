"""The report's words in English and Chinese: section titles, and for every metric a label and
a one-line explanation. ``report.language`` picks one (default ``en``: the run notes, CSV columns
and docs are English, so an English page reads as one text; ``zh`` translates the labels,
explanations and headings, while the run notes stay English)."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class MetricLabel:
    """How one figure is shown: its label and what it means, per language."""

    key: str
    kind: str            # percent, ratio, money, count, days, date_span, text
    en: str
    zh: str
    en_help: str
    zh_help: str

    def label(self, language: str) -> str:
        return self.zh if language == "zh" else self.en

    def explanation(self, language: str) -> str:
        return self.zh_help if language == "zh" else self.en_help


def _m(key, kind, en, zh, en_help, zh_help) -> MetricLabel:
    return MetricLabel(key, kind, en, zh, en_help, zh_help)


METRIC_GROUPS: dict[str, tuple[MetricLabel, ...]] = {
    "returns": (
        _m("annual_return", "percent", "CAGR", "年化收益率",
           "Compound annual growth: (final / initial)^(periods per year / bars) - 1.",
           "复合年化增长率：(期末/期初)^(年交易日数/bar 数) - 1。"),
        _m("total_return", "percent", "Total return", "累计收益率",
           "Final equity over the initial cash, minus one, after every fee and tax.",
           "期末权益/初始资金 - 1，已扣除全部费用与税。"),
        _m("benchmark_return", "percent", "Benchmark return", "基准收益率",
           "The benchmark index over the same bars (price index, no costs).",
           "同期基准指数的涨跌（价格指数，不含成本）。"),
        _m("buy_and_hold_return", "percent", "Buy-and-hold return", "买入持有收益率",
           "The traded instruments held from the first bar to the last, equal parts, no costs.",
           "所交易标的从首日持有至末日（等权、不含成本）。"),
        _m("excess_vs_benchmark", "percent", "Excess over the benchmark", "相对基准超额",
           "Total return minus the benchmark return: did the strategy beat the index?",
           "累计收益率减基准收益率：策略是否跑赢指数。"),
        _m("excess_return", "percent", "Excess over buy-and-hold", "相对买入持有超额",
           "Total return minus buy-and-hold: what trading added to holding what it traded.",
           "累计收益率减买入持有收益率：交易相对于一直持有所交易标的带来的增量。"),
        _m("final_equity", "money", "Final equity (CNY)", "期末权益（元）",
           "Cash plus holdings at the last close.", "末日收盘时现金加持仓市值。"),
        _m("dividends", "money", "Dividends received (CNY)", "分红收入（元）",
           "Cash dividends booked on ex-dates (0 for forward-adjusted prices).",
           "除息日入账的现金分红（前复权价格下为 0）。"),
    ),
    "risk": (
        _m("volatility", "percent", "Volatility (annualised)", "年化波动率",
           "Standard deviation of daily returns x sqrt(periods per year).",
           "日收益率标准差 x sqrt(年交易日数)。"),
        _m("max_drawdown", "percent", "Max drawdown", "最大回撤",
           "Deepest fall of equity from a running peak.", "权益自历史高点的最大跌幅。"),
        _m("max_drawdown_dates", "text", "Max drawdown: peak / trough / recovery",
           "最大回撤：高点 / 低点 / 修复",
           "When the deepest fall began, bottomed and was made good (or not yet).",
           "最大回撤开始、见底与收复前高的日期（未收复则注明）。"),
        _m("longest_drawdown_days", "days", "Longest drawdown (bars)", "最长回撤期（交易日）",
           "Most consecutive bars spent below an earlier peak.", "连续低于前期高点的最长交易日数。"),
    ),
    "risk_adjusted": (
        _m("sharpe", "ratio", "Sharpe ratio", "夏普比率",
           "Mean daily return over its standard deviation, x sqrt(periods per year).",
           "日均超额收益 / 日收益标准差 x sqrt(年交易日数)。"),
        _m("sortino", "ratio", "Sortino ratio", "索提诺比率",
           "Like Sharpe, but divided by downside deviation (losing days only).",
           "与夏普相同，但分母为下行标准差（只计亏损日）。"),
        _m("calmar", "ratio", "Calmar ratio", "卡玛比率",
           "CAGR over max drawdown.", "年化收益率 / 最大回撤。"),
        _m("information_ratio", "ratio", "Information ratio", "信息比率",
           "Mean daily return over the benchmark, over its standard deviation, annualised.",
           "相对基准的日均超额收益 / 其标准差，年化。"),
        _m("tracking_error", "percent", "Tracking error", "跟踪误差",
           "Standard deviation of daily returns minus the benchmark's, annualised.",
           "策略与基准日收益之差的标准差，年化。"),
        _m("alpha", "percent", "Alpha (annualised)", "阿尔法（年化）",
           "Return not explained by beta x benchmark: (1 + mean(r - beta x b))^P - 1.",
           "不能由 beta x 基准解释的收益：(1 + mean(r - beta x b))^P - 1。"),
        _m("beta", "ratio", "Beta", "贝塔",
           "Covariance of daily returns with the benchmark's, over the benchmark's variance.",
           "策略日收益与基准日收益的协方差 / 基准方差。"),
    ),
    "trading": (
        _m("daily_win_rate", "percent", "Daily win rate", "日胜率",
           "Share of bars with a positive return.", "收益为正的交易日占比。"),
        _m("monthly_win_rate", "percent", "Monthly win rate", "月胜率",
           "Share of calendar months with a positive return.", "收益为正的自然月占比。"),
        _m("trade_win_rate", "percent", "Round-trip win rate", "交易胜率",
           "Share of closed round trips with a profit after fees.", "已平仓交易中扣费后盈利的占比。"),
        _m("profit_factor", "ratio", "Profit factor", "盈亏比（总额）",
           "Profits of winning round trips over losses of losing ones.", "盈利交易总盈利 / 亏损交易总亏损。"),
        _m("payoff", "ratio", "Payoff ratio", "盈亏比（平均）",
           "Mean winning round trip over mean losing one.", "平均盈利 / 平均亏损。"),
        _m("trades", "count", "Round trips", "交易次数（开平仓）",
           "Positions opened and closed (an open one counts when it is closed).",
           "开仓到平仓的完整交易次数。"),
        _m("fills", "count", "Fills", "成交笔数", "Executions booked.", "成交记录数。"),
        _m("turnover", "ratio", "Turnover (x mean equity)", "换手率（倍平均权益）",
           "Value traded over the run, over mean equity.", "期间成交金额 / 平均权益。"),
        _m("exposure", "percent", "Exposure", "持仓时间占比",
           "Share of bars with something held.", "有持仓的交易日占比。"),
    ),
    "costs": (
        _m("fees.commission", "money", "Commission (CNY)", "佣金（元）",
           "Broker commission, with its per-order minimum.", "券商佣金（含单笔最低）。"),
        _m("fees.stamp_duty", "money", "Stamp duty (CNY)", "印花税（元）",
           "Stamp duty on stock sells, at the rate of the trade date.", "股票卖出印花税，按成交日税率。"),
        _m("fees.transfer_fee", "money", "Transfer fee (CNY)", "过户费（元）",
           "Transfer fee, at the rate of the trade date.", "过户费，按成交日费率。"),
        _m("fees.total", "money", "Fees and taxes, total (CNY)", "费用与税合计（元）",
           "Everything paid to broker, exchange and tax office.", "支付给券商、交易所与税务的全部费用。"),
        _m("slippage_cost", "money", "Slippage cost (CNY)", "滑点成本（元）",
           "Fills' distance from the reference price, x quantity.", "成交价相对参考价的偏离 x 数量。"),
        _m("fees_share", "percent", "Fees as a share of initial cash", "费用占初始资金",
           "Total fees and taxes over the initial cash.", "费用与税合计 / 初始资金。"),
    ),
}

GROUP_TITLES = {
    "returns": ("Returns", "收益"), "risk": ("Risk", "风险"),
    "risk_adjusted": ("Risk-adjusted", "风险调整收益"), "trading": ("Trading", "交易"),
    "costs": ("Costs", "成本"),
}

SECTION_TITLES = {
    "notes": ("How this run was made", "本次回测的设定"),
    "metrics": ("Metrics", "绩效指标"),
    "equity": ("Equity", "权益曲线"),
    "yearly-returns": ("Yearly returns", "年度收益"),
    "monthly-returns": ("Monthly returns", "月度收益"),
    "drawdown-periods": ("Worst drawdown periods", "最大回撤区间"),
    "rolling": ("Rolling Sharpe and volatility", "滚动夏普与波动率"),
    "diagnostics": ("The strategy's diagnostics", "策略诊断图"),
    "holdings": ("Holdings and weights", "持仓与权重"),
    "positions": ("Positions today", "当前持仓"),
    "recent-orders": ("Last days' orders", "近期委托"),
    "trades": ("Trades (round trips)", "交易记录（开平仓）"),
    "orders": ("Orders", "委托"),
    "config": ("Configuration", "配置"),
}

WORDS = {
    "strategy": ("strategy", "策略"), "benchmark": ("benchmark", "基准"),
    "excess": ("excess", "超额"), "year": ("year", "年份"), "buy_and_hold": ("buy & hold", "买入持有"),
    "not_recovered": ("not recovered", "未修复"), "peak": ("peak", "高点"),
    "trough": ("trough", "低点"), "recovery": ("recovery", "修复"), "depth": ("depth", "幅度"),
    "bars": ("bars", "交易日"), "to_trough": ("bars to trough", "至低点交易日"),
    "log_scale": ("log scale", "对数坐标"), "linear_scale": ("linear scale", "线性坐标"),
    "drawdown": ("drawdown", "回撤"), "cash": ("cash", "现金"), "count": ("count", "次数"),
    "reason": ("reason", "原因"), "status": ("status", "状态"), "total": ("total", "全年"),
    "monthly_excess": ("Monthly excess over the benchmark", "月度超额收益"),
}


def text(table: dict[str, tuple[str, str]], key: str, language: str) -> str:
    """The ``language`` wording of ``key`` in ``table`` (the key itself if absent)."""
    english, chinese = table.get(key, (key, key))
    return chinese if language == "zh" else english
