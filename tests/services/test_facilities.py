"""The facility registry: validation, accent-insensitive search with aliases, merges."""

from __future__ import annotations

import pytest

from monitor.core.errors import InputError, RecordNotFound
from monitor.services import facilities as registry
from monitor.services.facilities import FacilityData, FacilityFilter


def _add(db, name, country="MEX", **extra):
    return registry.create_facility(db, FacilityData(name=name, country=country, **extra))


def test_public_id_is_stable_and_citable(db):
    facility = _add(db, "Estación Migratoria Las Palmas", latitude=14.9, longitude=-92.26)
    assert facility.public_id.startswith("F-") and len(facility.public_id) == 8
    registry.update_facility(db, facility, FacilityData(name="EM Las Palmas", country="MEX"))
    assert registry.get_facility(db, facility.public_id).name == "EM Las Palmas"


def test_invalid_data_names_each_problem(db):
    data = FacilityData(name=" ", country="XXX", latitude=95.0, longitude=None)
    problems = data.problems()
    assert set(problems) == {"name", "country", "latitude", "longitude"}
    assert "both latitude and longitude" in problems["longitude"]
    with pytest.raises(InputError, match="ISO 3166"):
        registry.create_facility(db, data)


def test_search_ignores_accents_and_case_and_finds_aliases(db):
    _add(db, "Estación Migratoria Las Palmas", other_names=["Centro Ñandú"])
    _add(db, "Centre de rétention de Saint-Éloi", country="FRA")
    db.flush()

    def names(text, **filters):
        rows, total = registry.search_facilities(db, FacilityFilter(text=text, **filters))
        assert total == len(rows)
        return [r.name for r in rows]

    assert names("estacion") == ["Estación Migratoria Las Palmas"]
    assert names("NANDU") == ["Estación Migratoria Las Palmas"]
    assert names("saint eloi") == ["Centre de rétention de Saint-Éloi"]
    assert names("", country="FRA") == ["Centre de rétention de Saint-Éloi"]
    assert names("palmas", country="FRA") == []


def test_merge_keeps_history_and_redirects_the_old_identifier(db):
    keep = _add(db, "Estación Migratoria Las Palmas")
    duplicate = _add(db, "EM Palmas (Tapachula)")
    old_id = duplicate.public_id
    registry.merge_facilities(db, duplicate, keep)
    assert registry.get_facility(db, old_id).id == keep.id
    assert "EM Palmas (Tapachula)" in [a.name for a in keep.aliases]
    rows, _ = registry.search_facilities(db, FacilityFilter(text="tapachula"))
    assert [r.id for r in rows] == [keep.id]
    with pytest.raises(InputError):
        registry.merge_facilities(db, keep, keep)


def test_unknown_facility_is_a_clear_error(db):
    with pytest.raises(RecordNotFound, match="F-NOPE99"):
        registry.get_facility(db, "F-NOPE99")
