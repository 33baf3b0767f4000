"""Country boundaries and facility points, on the real world-atlas files."""

from __future__ import annotations

import math
import os
from decimal import Decimal

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from monitor.aggregate import geo
from monitor.core import assets
from monitor.core.errors import ConfigError

try:
    assets.boundary_file("110m")
    assets.boundary_file("50m")
except ConfigError as missing:  # pragma: no cover - depends on the install step
    if os.environ.get("CI"):
        raise  # CI installs the boundaries: their absence is a failure there, not a skip
    pytest.skip(f"boundary files not installed: {missing}", allow_module_level=True)


@pytest.fixture(scope="module")
def countries() -> gpd.GeoDataFrame:
    return geo.load_countries("110m")


def points(*coordinates: tuple[float, float]) -> gpd.GeoDataFrame:
    return geo.facilities_frame({"latitude": lat, "longitude": lon} for lat, lon in coordinates)


def test_load_countries__iso3_name_geometry_in_wgs84(countries):
    assert list(countries.columns) == ["iso3", "name", "geometry"]
    assert countries.crs.to_epsg() == 4326
    assert len(countries) == 177
    assert countries.set_index("name").loc["Mexico", "iso3"] == "MEX"
    assert countries.set_index("name").loc["Spain", "iso3"] == "ESP"
    assert countries.geometry.is_valid.all()
    assert set(countries.geometry.geom_type) <= {"Polygon", "MultiPolygon"}


def test_load_countries__features_without_an_iso_code_are_kept_unjoined(countries):
    unmatched = countries[countries["iso3"].isna()]
    assert {"Kosovo", "N. Cyprus", "Somaliland"} <= set(unmatched["name"])
    assert all(code is None for code in unmatched["iso3"])
    assert not unmatched.geometry.is_empty.any()


def test_load_countries__returns_a_copy_each_time(countries):
    first = geo.load_countries("110m")
    first.loc[first.index[0], "name"] = "changed"
    assert geo.load_countries("110m").loc[first.index[0], "name"] != "changed"


def test_load_countries__unknown_resolution():
    with pytest.raises(ValueError, match="10m"):
        geo.load_countries("10m")


def test_antimeridian_rings_are_split_so_fiji_and_russia_stay_small(countries):
    by_name = countries.set_index("name").geometry
    west, south, east, north = by_name["Fiji"].bounds
    # Read flat, the raw ring runs round the world; split, Fiji covers ~2 square degrees.
    assert by_name["Fiji"].area < 5
    assert by_name["Russia"].area < 3000
    # A point in Bolivia on Fiji's latitude must not land in Fiji's stretched ring.
    assert geo.country_of_points(points((-16.5, -68.15)), countries).tolist() == ["BOL"]


def test_country_of_points__cities_inside_their_country(countries):
    frame = points((19.4326, -99.1332), (40.4168, -3.7038), (-33.45, -70.67))
    assert geo.country_of_points(frame, countries).tolist() == ["MEX", "ESP", "CHL"]


def test_country_of_points__point_just_off_the_coast_gets_the_nearest_country(countries):
    # Off Puerto Chiapas (Tapachula), a few km out to sea from the coarse coastline.
    offshore = Point(-92.50, 14.60)
    assert not countries.intersects(offshore).any(), "test point must lie outside every polygon"

    found = geo.country_of_points(points((14.60, -92.50)), countries)

    assert found.tolist() == ["MEX"]


def test_country_of_points__tolerance_decides(countries):
    offshore = points((14.60, -92.50))  # about 15 km off the 110m coastline
    assert geo.country_of_points(offshore, countries, tolerance_km=5).tolist() == [None]
    assert geo.country_of_points(offshore, countries, tolerance_km=25).tolist() == ["MEX"]


def test_country_of_points__far_out_at_sea_is_none(countries):
    frame = points((36.0, -14.0), (-16.5, -150.0))  # Atlantic west of Portugal; central Pacific
    assert geo.country_of_points(frame, countries).tolist() == [None, None]


def test_country_of_points__a_point_in_kosovo_is_not_moved_to_a_neighbour(countries):
    assert geo.country_of_points(points((42.6629, 21.1655)), countries).tolist() == [None]


def test_country_of_points__keeps_the_callers_index(countries):
    frame = points((19.43, -99.13), (40.42, -3.70)).set_index(pd.Index([10, 3]))
    result = geo.country_of_points(frame, countries)
    assert result.to_dict() == {10: "MEX", 3: "ESP"}


def test_country_of_points__needs_a_crs(countries):
    frame = gpd.GeoDataFrame(geometry=[Point(0, 0)])
    with pytest.raises(ValueError, match="no coordinate reference system"):
        geo.country_of_points(frame, countries)


def test_check_country__swapped_coordinates_are_caught():
    assert geo.check_country("ESP", 40.41, -3.70) is True
    assert geo.check_country("ESP", -3.70, 40.41) is False
    assert geo.check_country("esp", 40.41, -3.70) is True  # any case


def test_check_country__harbour_and_coast_within_tolerance():
    assert geo.check_country("ESP", 36.125, -5.43) is True  # Algeciras harbour, in the water
    assert (
        geo.check_country("ESP", 36.125, -5.43, tolerance_km=0.5) is False
    )  # ...outside the 50m coast
    assert geo.check_country("MEX", 14.60, -92.50) is True  # off Puerto Chiapas
    assert geo.check_country("GTM", 19.43, -99.13) is False  # Mexico City is not in Guatemala


def test_check_country__small_states_exist_at_50m():
    assert geo.check_country("MLT", 35.90, 14.51) is True  # Valletta
    assert geo.check_country("SGP", 1.29, 103.85) is True


def test_check_country__unknown_or_polygonless_country_is_none():
    assert geo.check_country("XKX", 42.66, 21.17) is None  # Kosovo: no ISO code in the data
    assert geo.check_country("ZZZ", 0, 0) is None


def test_check_country__impossible_coordinates_are_false():
    assert geo.check_country("ESP", -99.1, 19.4) is False  # latitude out of range
    assert geo.check_country("ESP", math.nan, 1.0) is False


def test_facilities_frame__drops_and_counts_rows_without_coordinates():
    frame = geo.facilities_frame(
        [
            {"name": "A", "latitude": 19.43, "longitude": -99.13},
            {"name": "B", "latitude": None, "longitude": -99.13},
            {"name": "C", "latitude": "40.41", "longitude": Decimal("-3.70")},
            {"name": "D", "latitude": "north", "longitude": 3},
            {"name": "E", "latitude": 95, "longitude": 3},
            {"name": "F"},
        ]
    )

    assert frame.attrs["dropped"] == 4
    assert frame["name"].tolist() == ["A", "C"]
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.iloc[1].equals(Point(-3.70, 40.41))
    assert frame["latitude"].tolist() == [19.43, 40.41]


def test_facilities_frame__empty():
    frame = geo.facilities_frame([])
    assert len(frame) == 0 and frame.attrs["dropped"] == 0 and frame.crs.to_epsg() == 4326


def test_country_summary__sums_per_country_and_keeps_unknown_apart():
    frame = pd.DataFrame(
        {
            "iso3": ["MEX", "MEX", "ESP", None, "ITA"],
            "people_held": [100, 50, None, 7, None],
            "children_held": [3, None, 0, 1, None],
        }
    )

    summary = geo.country_summary(frame, ["people_held", "children_held"]).set_index("iso3")

    assert summary.loc["MEX"].to_dict() == {"facilities": 2, "people_held": 150, "children_held": 3}
    assert summary.loc["ESP", "facilities"] == 1 and summary.loc["ESP", "children_held"] == 0
    assert math.isnan(summary.loc["ESP", "people_held"])  # unknown, not zero
    assert math.isnan(summary.loc["ITA", "people_held"])
    assert list(summary.index) == ["ESP", "ITA", "MEX"]  # the row without a country is left out


def test_country_summary__names_a_missing_column():
    with pytest.raises(ValueError, match="red_flags"):
        geo.country_summary(pd.DataFrame({"iso3": ["MEX"]}), ["red_flags"])
