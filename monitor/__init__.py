"""Detention Monitor: monitoring immigration detention against international standards."""

__version__ = "0.1.0"
