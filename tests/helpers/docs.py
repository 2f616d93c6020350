"""Code blocks of the docs, which tests run as a reader would copy them."""

from __future__ import annotations

import re

from tests.conftest import REPO


def doc_block(document: str, language: str, index: int) -> str:
    """The ``index``-th ```language block of ``docs/<document>``."""
    text = (REPO / "docs" / document).read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)[index]
