"""Parameter sweeps and walk-forward: planning, the process pool, resuming, the sweep report."""
