"""Country boundaries and facility locations: loading, spatial joins, plausibility checks.

Boundaries come from Natural Earth through the npm package ``world-atlas`` (TopoJSON, public
domain), installed by ``monitor assets collect``. Two resolutions exist: ``110m`` (small, for
maps) and ``50m`` (includes small states such as Malta or Singapore; used for checks).

Distances are measured in Web Mercator (EPSG:3857) and corrected by the cosine of the
latitude. Mercator is conformal: near a point at latitude *φ* every distance is stretched by
``1 / cos φ``, so multiplying a short Mercator distance by ``cos φ`` gives the distance on the
ground. Over the few tens of kilometres a tolerance covers, the scale changes by well under 1 %
(about 0.7 % at 60° latitude), which is far finer than the coarse coastlines we compare
against. This keeps the joins vectorised (one projection, one nearest-neighbour query) instead
of projecting every point on its own.

geopandas is imported here only; nothing else in the application needs it.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from numbers import Real
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pycountry
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.prepared import PreparedGeometry, prep

from monitor.aggregate.tables import COUNT_COLUMN, country_summary  # noqa: F401 (re-exported)
from monitor.core.assets import boundary_file

log = logging.getLogger(__name__)

WGS84 = "EPSG:4326"
MERCATOR = "EPSG:3857"
RESOLUTIONS = ("110m", "50m")
DEFAULT_TOLERANCE_KM = 25.0
#: Web Mercator is undefined at the poles; boundaries and points are clipped to this latitude
#: before projecting (only Antarctica and the far north of Greenland lie beyond it).
MERCATOR_LATITUDE_LIMIT = 85.0


# --- Boundaries -------------------------------------------------------------------------------


def load_countries(resolution: str = "110m") -> gpd.GeoDataFrame:
    """Return the world's countries as a GeoDataFrame in EPSG:4326.

    Columns: ``iso3`` (ISO 3166-1 alpha-3, or ``None`` for the few features without an ISO
    code: Kosovo, N. Cyprus, Somaliland and, at 50m, Siachen Glacier and Indian Ocean Ter.),
    ``name`` (Natural Earth's short English name) and ``geometry`` (polygons, repaired: rings
    that cross the antimeridian are split at ±180° so that Fiji and Russia do not stretch across
    the whole map).

    The file is read once per resolution; each call returns a copy, so callers may change it.

    :param resolution: ``"110m"`` or ``"50m"``.
    :returns: one row per boundary feature (177 at 110m, 241 at 50m).
    :raises ValueError: an unknown resolution.
    :raises ConfigError: the boundary file was not installed (``monitor assets collect``).
    """
    return _countries(_check_resolution(resolution)).copy()


def _check_resolution(resolution: str) -> str:
    if resolution not in RESOLUTIONS:
        raise ValueError(
            f"Unknown boundary resolution {resolution!r}: use one of {', '.join(RESOLUTIONS)}."
        )
    return resolution


@functools.lru_cache(maxsize=len(RESOLUTIONS))
def _countries(resolution: str) -> gpd.GeoDataFrame:
    raw = gpd.read_file(boundary_file(resolution), layer="countries")
    numeric_ids = raw["id"] if "id" in raw.columns else pd.Series([None] * len(raw))
    frame = gpd.GeoDataFrame(
        {
            # object dtype keeps None for "no ISO code" (pandas' string dtype would make it NaN)
            "iso3": pd.Series(
                [_iso3(code, name) for code, name in zip(numeric_ids, raw["name"])], dtype=object
            ),
            "name": raw["name"].astype(str),
        },
        geometry=[_repair(geometry) for geometry in raw.geometry],
        crs=WGS84,  # TopoJSON carries no CRS; world-atlas is plain longitude/latitude
    )
    unmatched = int(frame["iso3"].isna().sum())
    log.info(
        "loaded %d boundary features at %s (%d without an ISO code)",
        len(frame),
        resolution,
        unmatched,
    )
    return frame


def _iso3(numeric: Any, name: str) -> str | None:
    """ISO alpha-3 from the zero-padded numeric id, else from the name, else ``None``."""
    if isinstance(numeric, str) and numeric.strip():
        try:
            country = pycountry.countries.get(numeric=numeric.strip().zfill(3))
        except LookupError:  # pycountry rejects malformed codes instead of returning None
            country = None
        if country is not None:
            return country.alpha_3
    try:
        return pycountry.countries.lookup(name).alpha_3
    except LookupError:
        return None  # not an ISO 3166 entity (e.g. Kosovo): kept, but left unjoined


def _repair(geometry: BaseGeometry | None) -> BaseGeometry:
    """Split antimeridian-crossing rings, make the geometry valid and keep only its polygons."""
    if geometry is None or geometry.is_empty:
        return MultiPolygon()
    parts: list[Polygon] = []
    for polygon in shapely.get_parts(geometry):
        if _crosses_antimeridian(polygon):
            parts.extend(_split_at_antimeridian(polygon))
        else:
            parts.append(polygon)
    repaired = shapely.make_valid(MultiPolygon(parts) if len(parts) > 1 else parts[0])
    return _polygonal(repaired)


def _crosses_antimeridian(polygon: Polygon) -> bool:
    """True when the outer ring jumps across ±180° an even number of times (out and back).

    world-atlas is meant for spherical rendering, so a few rings (Fiji, Russia's Chukotka)
    continue from 180° to -180°. A ring that jumps once instead encircles a pole (Antarctica);
    read flat, it is a band along the bottom of the map, which is what we want.
    """
    longitudes = np.asarray(polygon.exterior.coords)[:, 0]
    jumps = int((np.abs(np.diff(longitudes)) > 180).sum())
    return jumps >= 2 and jumps % 2 == 0


def _split_at_antimeridian(polygon: Polygon) -> list[Polygon]:
    def shift_west_to_east(coords: np.ndarray) -> np.ndarray:
        shifted = coords.copy()
        shifted[shifted[:, 0] < 0, 0] += 360.0
        return shifted

    continuous = shapely.make_valid(shapely.transform(polygon, shift_west_to_east))
    west = continuous.intersection(box(-180, -90, 180, 90))
    east = affinity.translate(continuous.intersection(box(180, -90, 540, 90)), xoff=-360.0)
    return [part for piece in (west, east) for part in shapely.get_parts(_polygonal(piece))]


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Drop the lines and points that make_valid or an intersection can leave behind."""
    if isinstance(geometry, (Polygon, MultiPolygon)):
        return geometry
    polygons = [part for part in shapely.get_parts(geometry) if isinstance(part, Polygon)]
    if not polygons:
        return MultiPolygon()
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


# --- Facility points --------------------------------------------------------------------------


def facilities_frame(records: Iterable[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """Turn facility records into a GeoDataFrame of points (EPSG:4326).

    Each record needs ``latitude`` and ``longitude`` (numbers, numeric strings or Decimals);
    all its other keys become columns. Records whose coordinates are missing, not numbers or
    out of range (latitude beyond ±90, longitude beyond ±180) are dropped; how many is kept in
    ``frame.attrs["dropped"]`` (and logged) so the caller can say "12 facilities have no
    location".

    :param records: mappings such as rows from a query or an import.
    :returns: the kept records with ``latitude`` and ``longitude`` as floats and a point
        geometry; the original order is kept and the index runs 0..n-1.
    """
    kept: list[dict[str, Any]] = []
    dropped = 0
    for record in records:
        latitude = _coordinate(record.get("latitude"), limit=90.0)
        longitude = _coordinate(record.get("longitude"), limit=180.0)
        if latitude is None or longitude is None:
            dropped += 1
            continue
        kept.append({**record, "latitude": latitude, "longitude": longitude})
    table = (
        pd.DataFrame(kept) if kept else pd.DataFrame({"latitude": [], "longitude": []}, dtype=float)
    )
    frame = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["longitude"], table["latitude"]), crs=WGS84
    )
    frame.attrs["dropped"] = dropped
    log.info("facility points: %d placed, %d without usable coordinates", len(frame), dropped)
    return frame


def _coordinate(value: Any, *, limit: float) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    if not isinstance(value, (Real, Decimal)):
        return None
    number = float(value)
    if not math.isfinite(number) or abs(number) > limit:
        return None
    return number


# --- Joins and checks -------------------------------------------------------------------------


def country_of_points(
    points: gpd.GeoDataFrame,
    countries: gpd.GeoDataFrame,
    *,
    tolerance_km: float = DEFAULT_TOLERANCE_KM,
) -> pd.Series:
    """Return the ISO alpha-3 code of the country each point lies in.

    A point inside a polygon gets that polygon's ``iso3`` (``None`` for Kosovo and the other
    features without an ISO code: a point in Kosovo is *not* moved to a neighbour). A point in
    no polygon — at sea just off a coarse coastline, or in a sliver between two borders — gets
    the nearest country within *tolerance_km* (see the module notes on how distance is
    measured), else ``None``.

    :param points: point geometries with a CRS (any; converted to EPSG:4326).
    :param countries: boundary polygons with an ``iso3`` column, e.g. :func:`load_countries`.
    :param tolerance_km: how far outside a polygon a point may lie and still count as in it.
    :returns: a Series aligned with *points*' index, object dtype, ISO codes or ``None``.
    :raises ValueError: a frame has no CRS, *countries* has no ``iso3`` column, or the
        tolerance is negative.
    """
    if tolerance_km < 0:
        raise ValueError(f"tolerance_km must be zero or more, not {tolerance_km}.")
    points_ll = _in_wgs84(points, "points")
    countries_ll = _in_wgs84(countries, "countries")
    if "iso3" not in countries_ll.columns:
        raise ValueError("countries has no 'iso3' column: pass the frame from load_countries().")

    result = pd.Series([None] * len(points_ll), index=points.index, dtype=object, name="iso3")
    if points_ll.empty:
        return result

    # Join by position so that duplicate index labels in the caller's frame cannot mix rows up.
    left = gpd.GeoDataFrame(
        {"position": np.arange(len(points_ll))}, geometry=points_ll.geometry.values, crs=WGS84
    )
    right = gpd.GeoDataFrame(
        {"iso3": countries_ll["iso3"].values}, geometry=countries_ll.geometry.values, crs=WGS84
    )
    inside = gpd.sjoin(left, right, how="inner", predicate="intersects")
    inside = inside.drop_duplicates("position")  # a point on a shared border: the first country
    values = np.full(len(points_ll), None, dtype=object)
    values[inside["position"].to_numpy()] = _none_for_missing(inside["iso3"])
    placed = np.zeros(len(points_ll), dtype=bool)
    placed[inside["position"].to_numpy()] = True

    usable = (left.geometry.notna() & ~left.geometry.is_empty).to_numpy()
    outside = left[~placed & usable]
    if len(outside) and tolerance_km > 0:
        positions, codes = _nearest_within(outside, right, tolerance_km)
        values[positions] = codes
    result[:] = values
    return result


def _none_for_missing(codes: pd.Series) -> np.ndarray:
    return np.array([code if isinstance(code, str) else None for code in codes], dtype=object)


def _in_wgs84(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise ValueError(
            f"{what} has no coordinate reference system: build it with facilities_frame() or "
            "set one with .set_crs('EPSG:4326')."
        )
    return frame if frame.crs.equals(WGS84) else frame.to_crs(WGS84)


def _nearest_within(
    outside: gpd.GeoDataFrame, countries: gpd.GeoDataFrame, tolerance_km: float
) -> tuple[np.ndarray, np.ndarray]:
    cosine = pd.Series(
        _latitude_cosines(outside.geometry.y.to_numpy()), index=outside["position"].to_numpy()
    )
    # One nearest-neighbour query with the widest Mercator radius any of these points needs;
    # each point's own limit is applied after the cosine correction below.
    search_m = tolerance_km * 1000.0 / float(cosine.min())
    near = gpd.sjoin_nearest(
        _to_mercator(outside),
        _to_mercator(countries.dropna(subset=["iso3"])),
        how="inner",
        max_distance=search_m,
        distance_col="distance_m",
    )
    near = near.sort_values("distance_m", kind="stable").drop_duplicates("position")
    positions = near["position"].to_numpy()
    ground_km = near["distance_m"].to_numpy() * cosine.loc[positions].to_numpy() / 1000.0
    close = ground_km <= tolerance_km
    return positions[close], _none_for_missing(near["iso3"])[close]


def _latitude_cosines(latitudes: np.ndarray) -> np.ndarray:
    """Mercator's local scale correction (ground distance = Mercator distance × cos φ)."""
    return np.cos(np.radians(np.clip(np.abs(latitudes), 0.0, MERCATOR_LATITUDE_LIMIT)))


def _to_mercator(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    limit = MERCATOR_LATITUDE_LIMIT
    clipped = frame.set_geometry(frame.geometry.clip_by_rect(-180.0, -limit, 180.0, limit))
    clipped = clipped[~clipped.geometry.is_empty]
    return clipped.to_crs(MERCATOR)


@dataclass(frozen=True)
class _CountryShape:
    outline: PreparedGeometry
    mercator: BaseGeometry


@functools.lru_cache(maxsize=len(RESOLUTIONS))
def _country_shapes(resolution: str) -> Mapping[str, _CountryShape]:
    countries = _countries(resolution).dropna(subset=["iso3"])
    shapes: dict[str, _CountryShape] = {}
    for iso3, group in countries.groupby("iso3"):
        outline = shapely.union_all(group.geometry.values)  # 50m splits Australia in two features
        mercator = _to_mercator(gpd.GeoDataFrame(geometry=[outline], crs=WGS84)).geometry
        shapes[str(iso3)] = _CountryShape(
            prep(outline), mercator.iloc[0] if len(mercator) else Point()
        )
    return shapes


@functools.cache
def _to_mercator_transformer() -> Transformer:
    """Built once: pyproj transformers are slow to create and cheap to reuse."""
    return Transformer.from_crs(WGS84, MERCATOR, always_xy=True)


def _project_point(latitude: float, longitude: float) -> Point:
    limit = MERCATOR_LATITUDE_LIMIT
    x, y = _to_mercator_transformer().transform(longitude, min(max(latitude, -limit), limit))
    return Point(x, y)


def check_country(
    iso3: str,
    latitude: float,
    longitude: float,
    *,
    tolerance_km: float = DEFAULT_TOLERANCE_KM,
    resolution: str = "50m",
) -> bool | None:
    """Say whether a location plausibly lies in the country a record claims.

    The facility importer uses this to catch swapped latitude/longitude and wrong signs:
    Madrid entered as (-3.70, 40.41) lies off Somalia, not in Spain.

    :param iso3: the ISO alpha-3 code the record gives (any case).
    :param latitude: degrees north.
    :param longitude: degrees east.
    :param tolerance_km: how far outside the coarse boundary still counts as inside (coasts,
        harbours, border posts).
    :param resolution: which boundary file to check against; ``50m`` (the default) also has
        small states such as Malta, Singapore and Bahrain.
    :returns: ``True`` inside the country or within the tolerance of it; ``False`` clearly
        elsewhere, or coordinates that are not valid degrees at all; ``None`` when the
        boundaries have no polygon for that code (the check cannot be made).
    :raises ValueError: an unknown resolution.
    """
    shape = _country_shapes(_check_resolution(resolution)).get(str(iso3).strip().upper())
    if shape is None:
        return None
    if not (_finite(latitude) and _finite(longitude)) or abs(latitude) > 90 or abs(longitude) > 180:
        return False
    if shape.outline.covers(Point(longitude, latitude)):
        return True
    distance_m = shape.mercator.distance(_project_point(latitude, longitude))
    ground_km = distance_m * float(_latitude_cosines(np.array([latitude]))[0]) / 1000.0
    return bool(ground_km <= tolerance_km)


def _finite(value: Any) -> bool:
    return (
        isinstance(value, (Real, Decimal))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


# --- Sums per country -------------------------------------------------------------------------
