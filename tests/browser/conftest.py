"""Headless Debian Chromium for the browser tests (never a browser Playwright downloads)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM = shutil.which("chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser() -> Iterator[object]:
    """A launched Chromium; missing Chromium fails in CI and skips elsewhere."""
    if CHROMIUM is None:
        message = "Chromium is not installed (Debian package chromium; `./run test` installs it)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
