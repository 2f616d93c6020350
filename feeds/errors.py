"""Errors raised for bad market data."""

from __future__ import annotations

from huice.config.errors import HuiceError


class DataError(HuiceError):
    """A data file or frame breaks a rule of the canonical bar frame.

    ``source`` names the file, ``line`` the file line (header is line 1) and ``where`` the
    column or rule.
    """
