"""Accessors for what the application factory attached (settings, catalog, vault)."""

from __future__ import annotations

from flask import current_app

from monitor.core.crypto import Vault
from monitor.core.settings import Settings
from monitor.services.catalog import ChecklistCatalog


def current_settings() -> Settings:
    return current_app.extensions["monitor.settings"]


def current_catalog() -> ChecklistCatalog:
    return current_app.extensions["monitor.catalog"]


def current_vault() -> Vault:
    return current_app.extensions["monitor.vault"]
