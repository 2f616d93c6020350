"""A note the report shows as a warning."""

from __future__ import annotations


class Caution(str):
    """A sentence of a run's notes the report marks as a warning (an in-sample result that
    used future data, say). It is a ``str``, so a plugin's ``report_notes`` stays a list of
    sentences and a plain string is an ordinary note."""

    __slots__ = ()
