"""Checklist definitions: the model, YAML loading, validation, the expression language."""
