"""Independent reference computations used as test oracles (no code shared with the engine)."""
