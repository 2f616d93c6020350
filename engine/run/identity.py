"""What a run is: its config as resolved (defaults filled in, params validated) and its id, a
hash of that config (less what the schema leaves out of a run's identity) and of every bar."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from huice.config.identity import identity_tree
from huice.config.schema import RunConfig
from huice.engine.run.plugin import StrategyPlugin
from huice.feeds.market import MarketData


def resolved_config(config: RunConfig, plugin: StrategyPlugin) -> dict[str, Any]:
    """The config as run: defaults filled in, strategy params validated."""
    resolved = config.model_dump(mode="json", by_alias=True)
    resolved["strategy"]["params"] = plugin.resolved_params()
    if not resolved["strategy"]["instruments"]:
        del resolved["strategy"]["instruments"]  # only backtrader strategies list them
    resolved.pop("runner", None)  # how a run is driven does not change what it produces
    return resolved


def compute_run_id(resolved: Mapping[str, Any], market: MarketData) -> str:
    """A hash of the resolved config (less what the schema leaves out of a run's identity:
    paths, wording) and of every bar used."""
    identity = identity_tree(RunConfig, json.loads(json.dumps(resolved)), "run")
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode())
    digest.update(market.fingerprint().encode())
    return digest.hexdigest()[:16]
