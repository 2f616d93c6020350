"""What each bundled ETF is: its asset class (T+0 for gold, bond and cross-border funds), the
board whose price limits it trades under, and the index it tracks (data/build.py reads it)."""

from __future__ import annotations

ETF_INFO = {
    "510300": ("etf", "main", "000300.SH"), "510310": ("etf", "main", "000300.SH"),
    "510330": ("etf", "main", "000300.SH"), "159919": ("etf", "main", "000300.SH"),
    "510500": ("etf", "main", "000905.SH"), "159922": ("etf", "main", "000905.SH"),
    "512100": ("etf", "main", "000852.SH"), "159845": ("etf", "main", "000852.SH"),
    "515180": ("etf", "main", "000922.CSI"), "510880": ("etf", "main", "000015.SH"),
    "510050": ("etf", "main", "000016.SH"), "159915": ("etf", "chinext", "399006.SZ"),
    "159949": ("etf", "chinext", "399673.SZ"), "588000": ("etf", "star", "000688.SH"),
    "588080": ("etf", "star", "000688.SH"), "518880": ("gold_etf", "main", ""),
    "513100": ("cross_border_etf", "main", ""), "510900": ("cross_border_etf", "main", ""),
    # the ten funds SOURCES.md section 7 added to chrisphoenixsoar for the premium model
    "510510": ("etf", "main", "000905.SH"), "159967": ("etf", "chinext", ""),
    "159934": ("gold_etf", "main", ""), "159937": ("gold_etf", "main", ""),
    "518800": ("gold_etf", "main", ""), "159920": ("cross_border_etf", "main", ""),
    "513600": ("cross_border_etf", "main", ""), "513660": ("cross_border_etf", "main", ""),
    "513050": ("cross_border_etf", "main", ""), "159607": ("cross_border_etf", "main", ""),
}
