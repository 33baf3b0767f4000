"""Foundations shared by every layer: settings, errors, paths, clock. Standard library only."""
