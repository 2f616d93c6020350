"""Output folders: what a run may write into, and the marker that says a folder is ours.

A run never destroys what it did not write. It writes into a folder only when the folder does
not exist, is empty, or holds an earlier huice output of the same kind, recognised by the
marker file :data:`MARKER` that every run writes. Anything else (a regular file, a folder of
someone else's files) is refused before any work starts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, get_args

from huice.config.errors import HuiceError

MARKER = ".huice-output"
# what a folder holds: one run (a backtest or a paper report), a sweep (or walk-forward, which
# resumes from its journal) or the crowding monitor
OutputKind = Literal["backtest", "sweep", "monitor"]
KINDS: tuple[str, ...] = get_args(OutputKind)


class OutputFolderError(HuiceError):
    """The output path is not somewhere a run may write."""


def marker_kind(folder: Path) -> str | None:
    """The kind of huice output ``folder`` holds (None when it holds no marker)."""
    marker = Path(folder) / MARKER
    if not marker.is_file():
        return None
    try:
        return str(json.loads(marker.read_text(encoding="utf-8"))["kind"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_marker(folder: Path, kind: OutputKind) -> None:
    """Mark ``folder`` as a huice output of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}; one of {', '.join(KINDS)}")
    (Path(folder) / MARKER).write_text(json.dumps({"kind": kind, "tool": "huice"}) + "\n",
                                       encoding="utf-8")


def check_output_folder(folder: Path, kind: OutputKind) -> None:
    """Raise :class:`OutputFolderError` unless a ``kind`` run may write into ``folder``.

    Allowed: a path that does not exist, an empty folder, or a folder holding a huice output
    (a backtest replaces any huice output; a sweep continues only a sweep's own folder, whose
    journal it resumes).
    """
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        return
    if not folder.is_dir():
        raise OutputFolderError("exists and is not a folder: refusing to replace it (choose "
                                "another --out)", source=folder)
    if not any(folder.iterdir()):
        return
    found = marker_kind(folder)
    if found is None:
        raise OutputFolderError("is a folder that huice did not write (no "
                                f"{MARKER} marker): refusing to replace or mix into it; "
                                "choose another --out, or an empty folder", source=folder)
    if kind == "sweep" and found != "sweep":
        raise OutputFolderError(f"holds a huice {found} output, not a sweep's: choose another "
                                "--out for the sweep", source=folder)
