"""Front-end assets and boundary data: installed from the npm registry, served by the app.

Nothing is fetched from a CDN at run time. ``monitor assets collect`` (run by the install step)
copies what the pages need from ``node_modules`` into the package's static folder and the
boundary files into ``maps/boundaries``; both places are ignored by git.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from monitor.core import paths
from monitor.core.errors import ConfigError


@dataclass(frozen=True)
class Asset:
    """One file: where npm puts it, and where the app serves it from (relative to VENDOR)."""

    package: str
    source: str
    target: str


ASSETS: tuple[Asset, ...] = (
    Asset("leaflet", "dist/leaflet.js", "leaflet/leaflet.js"),
    Asset("leaflet", "dist/leaflet.css", "leaflet/leaflet.css"),
    Asset("leaflet", "dist/images/marker-icon.png", "leaflet/images/marker-icon.png"),
    Asset("leaflet", "dist/images/marker-icon-2x.png", "leaflet/images/marker-icon-2x.png"),
    Asset("leaflet", "dist/images/marker-shadow.png", "leaflet/images/marker-shadow.png"),
    Asset("leaflet", "dist/images/layers.png", "leaflet/images/layers.png"),
    Asset("leaflet", "dist/images/layers-2x.png", "leaflet/images/layers-2x.png"),
    Asset("leaflet.markercluster", "dist/leaflet.markercluster.js", "markercluster/leaflet.markercluster.js"),
    Asset("leaflet.markercluster", "dist/MarkerCluster.css", "markercluster/MarkerCluster.css"),
    Asset("leaflet.markercluster", "dist/MarkerCluster.Default.css", "markercluster/MarkerCluster.Default.css"),
    Asset("jquery", "dist/jquery.min.js", "jquery/jquery.min.js"),
)

#: Natural Earth admin-0 boundaries (public domain) as TopoJSON, from the npm package world-atlas.
BOUNDARY_FILES: tuple[Asset, ...] = (
    Asset("world-atlas", "countries-110m.json", "countries-110m.json"),
    Asset("world-atlas", "countries-50m.json", "countries-50m.json"),
)


def collect(node_modules: Path = paths.NODE_MODULES, vendor: Path = paths.VENDOR,
            boundaries: Path = paths.BOUNDARIES) -> int:
    """Copy every asset into place; return how many files were copied.

    :raises ConfigError: a file is missing (the npm install step did not run or failed).
    """
    copied = 0
    for asset, root in [(a, vendor) for a in ASSETS] + [(b, boundaries) for b in BOUNDARY_FILES]:
        source = node_modules / asset.package / asset.source
        if not source.exists():
            raise ConfigError(
                f"{source} is missing: run `npm install` in the project folder first "
                "(the install step of README does it)."
            )
        target = root / asset.target
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copied += 1
    return copied


def missing(vendor: Path = paths.VENDOR) -> list[str]:
    """Return the served asset paths that are not in place."""
    return [a.target for a in ASSETS if not (vendor / a.target).exists()]


def boundary_file(resolution: str = "110m", boundaries: Path = paths.BOUNDARIES) -> Path:
    """Return the path of the country boundary TopoJSON at *resolution* (``110m`` or ``50m``).

    :raises ConfigError: it was not installed.
    """
    path = boundaries / f"countries-{resolution}.json"
    if not path.exists():
        raise ConfigError(f"{path} is missing: run `monitor assets collect` after `npm install`.")
    return path
