"""ARC-mini: a compass benchmark shipped as a data file (arc-mini.toml) and a few rows."""

__version__ = "0.1.0"
