"""Compliance: the standards catalogue, rule kinds and the engine that judges a visit's answers."""
