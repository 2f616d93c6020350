"""huice command line in a checkout: ``python run.py backtest CONFIG`` (see ``huice.cli``).

The package installs under one import root, ``huice`` (``make setup`` or ``pip install -e .``);
this script is the same command as the installed ``huice`` console script.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    try:
        from huice.cli import main
    except ModuleNotFoundError as exc:
        if exc.name not in ("huice", "huice.cli"):
            raise
        print("error: huice is not installed in this Python: run `make setup` (or "
              "`pip install -e .`) in the repo first", file=sys.stderr)
        sys.exit(2)
    sys.exit(main())
