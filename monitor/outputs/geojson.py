"""Writing points to a GeoJSON file (RFC 7946), one feature at a time.

The file is written feature by feature, so memory does not grow with the number of places.
Coordinates are WGS 84 longitude then latitude, as the RFC requires; a place without a
location gets ``"geometry": null`` (allowed by the RFC) rather than being left out, so the
file lists every record. Property values are written as JSON (numbers stay numbers, lists
stay lists); dates become ISO 8601 text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PointFeature:
    """One feature: an id, its properties and, when known, its position."""

    id: str | None
    properties: Mapping[str, Any]
    longitude: float | None = None
    latitude: float | None = None

    def geometry(self) -> dict[str, Any] | None:
        if self.longitude is None or self.latitude is None:
            return None
        if not (math.isfinite(self.longitude) and math.isfinite(self.latitude)):
            return None
        return {"type": "Point", "coordinates": [self.longitude, self.latitude]}


def _plain(value: Any) -> Any:
    """JSON cannot hold dates or tuples: give it text and lists."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_points(path: Path, features: Iterable[PointFeature], *,
                 name: str | None = None) -> int:
    """Stream *features* to a GeoJSON FeatureCollection at *path*.

    :param name: an optional collection name (the ``name`` member QGIS shows as the layer).
    :returns: the number of features written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write('{"type": "FeatureCollection"')
        if name:
            handle.write(', "name": ' + json.dumps(name, ensure_ascii=False))
        handle.write(', "features": [')
        for feature in features:
            body: dict[str, Any] = {"type": "Feature"}
            if feature.id is not None:
                body["id"] = feature.id
            body["properties"] = {k: _plain(v) for k, v in feature.properties.items()}
            body["geometry"] = feature.geometry()
            handle.write(("\n" if count == 0 else ",\n")
                         + json.dumps(body, ensure_ascii=False, allow_nan=False))
            count += 1
        handle.write("\n]}\n")
    return count
