"""What an exchange code is: the asset class and board implied by SSE, SZSE and BSE code ranges.

Used when a user's file does not say what it holds. The ranges are the exchanges' own numbering
conventions; anything outside them is left unclassified so that the user is asked, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# index families whose suffix alone says "index": China Securities, Shenwan, CNI, Hang Seng
INDEX_SUFFIXES = ("CSI", "SI", "CNI", "HI")
_CODE = re.compile(r"^(?:(?P<pre>sh|sz|bj)\.?(?P<code1>\d{6})|(?P<code2>\d{6})\.(?P<post>sh|sz|bj))"
                   r"(?:\.qfq|\.hfq)?$", re.IGNORECASE)


@dataclass(frozen=True)
class CodeClass:
    """The asset class and board a code implies, and why."""

    asset_class: str
    board: str | None
    reason: str


def _shanghai(code: str) -> CodeClass | None:
    if code.startswith(("600", "601", "603", "605")):
        return CodeClass("stock", "main", "SSE main-board stock (60xxxx)")
    if code.startswith(("688", "689")):
        return CodeClass("stock", "star", "SSE STAR Market stock (688xxx/689xxx)")
    if code.startswith("000"):
        return CodeClass("index", None, "SSE index (000xxx on SH)")
    if code.startswith("511"):
        return CodeClass("bond_etf", None, "SSE bond or money-market ETF (511xxx, T+0)")
    if code.startswith("513"):
        return CodeClass("cross_border_etf", None, "SSE cross-border ETF (513xxx, T+0)")
    if code.startswith("518"):
        return CodeClass("gold_etf", None, "SSE gold ETF (518xxx, T+0)")
    if code.startswith("588"):
        return CodeClass("etf", "star", "SSE STAR Market ETF (588xxx, +-20% limits)")
    if code.startswith(("50", "51", "52", "56", "58")):
        return CodeClass("etf", None, "SSE fund or ETF (50xxxx-58xxxx)")
    return None


def _shenzhen(code: str) -> CodeClass | None:
    if code.startswith(("000", "001", "002", "003", "004")):
        return CodeClass("stock", "main", "SZSE main-board stock (00xxxx)")
    if code.startswith(("300", "301", "302")):
        return CodeClass("stock", "chinext", "SZSE ChiNext stock (30xxxx)")
    if code.startswith("399"):
        return CodeClass("index", None, "SZSE index (399xxx)")
    if code.startswith(("159", "16", "18")):
        return CodeClass("etf", None, "SZSE fund or ETF (159xxx, 16xxxx, 18xxxx)")
    return None


def _beijing(code: str) -> CodeClass | None:
    if code.startswith(("43", "83", "87", "88", "92")):
        return CodeClass("stock", "beijing", "BSE stock (43/83/87/88/92xxxx)")
    if code.startswith("899"):
        return CodeClass("index", None, "BSE index (899xxx)")
    return None


def classify_code(symbol: str) -> CodeClass | None:
    """The asset class implied by ``symbol`` (``510300.SH``, ``sh.000300``, ``801080.SI``, ...),
    or None when its code does not say."""
    text = symbol.strip()
    suffix = text.rsplit(".", 1)[-1].upper() if "." in text else ""
    if suffix in INDEX_SUFFIXES or (text.upper().startswith("H0") and suffix == "CSI"):
        return CodeClass("index", None, f"index code (.{suffix})")
    match = _CODE.match(text)
    if not match:
        return None
    exchange = (match.group("pre") or match.group("post")).lower()
    code = match.group("code1") or match.group("code2")
    return {"sh": _shanghai, "sz": _shenzhen, "bj": _beijing}[exchange](code)


def normalise_code(text: str) -> str | None:
    """A code as huice writes it (``510300.SH``, ``000300.SH``, ``801080.SI``) from the forms
    sources use (``sh.510300``, ``sh510300``, ``510300.SH``, ``801080``, a bare 6-digit code
    whose exchange its range tells); None when the exchange cannot be told."""
    value = str(text).strip()
    stripped = True
    while stripped:
        stripped = False
        for suffix in (".csv", ".gz", ".parquet", ".xlsx"):
            if value.lower().endswith(suffix):
                value, stripped = value[: -len(suffix)], True
    match = _CODE.match(value)
    if match:
        exchange = (match.group("pre") or match.group("post")).upper()
        return f"{match.group('code1') or match.group('code2')}.{exchange}"
    upper = value.upper()
    if "." in upper and upper.rsplit(".", 1)[-1] in INDEX_SUFFIXES:
        return upper
    if re.fullmatch(r"H\d{5}", upper):
        return f"{upper}.CSI"               # CSI's total-return indices (H00300, ...)
    if re.fullmatch(r"\d{6}", value):
        if value.startswith(("801", "85")):
            return f"{value}.SI"            # Shenwan industry indices
        if value.startswith(("15", "16", "18", "30", "399")):
            return f"{value}.SZ"
        if value.startswith(("5", "6")):
            return f"{value}.SH"
        if value.startswith(("43", "83", "87", "88", "92")):
            return f"{value}.BJ"
    return None  # 000xxx is a Shenzhen stock or a Shanghai index: the user must say which


def code_from_file_name(name: str) -> str | None:
    """The code a file is named for: the whole name (``159915.SZ.csv``, ``sh000300.csv``) or
    its first word (``510300_daily.csv``, ``510300.SH_dividends.csv``)."""
    return normalise_code(name) or normalise_code(re.split(r"[_\s]", name)[0])


def bare_code(symbol: str) -> str:
    """The six digits a broker or an execution tool knows a symbol by (``510300.SH.qfq`` ->
    ``510300``)."""
    return symbol.removesuffix(".qfq").split(".")[0]
