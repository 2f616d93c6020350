"""Strategy plugins: the base class, the registry, and one built-in strategy per module."""
