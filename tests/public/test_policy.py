"""The publication policy: small counts, sums that cannot be subtracted back, allow-lists."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.db.models import VisitSummary
from monitor.privacy import policy
from monitor.privacy.policy import LowerBound, Suppressed, suppress, suppressed_total
from monitor.services.public import country_figures


@pytest.mark.parametrize(("count", "minimum", "expected"), [
    (None, 5, None), (0, 5, 0), (1, 5, "fewer than 5"), (4, 5, "fewer than 5"), (5, 5, 5),
    (1234, 5, 1234), (2, 3, "fewer than 3"), (3, 3, 3), (1, 1, 1), (7.0, 5, 7),
    (float("nan"), 5, None),
])
def test_suppress_keeps_zero_and_hides_one_to_minimum_minus_one(count, minimum, expected):
    value = suppress(count, minimum)
    assert value == expected
    assert isinstance(value, Suppressed) == (expected == f"fewer than {minimum}")


def test_a_suppressed_value_knows_its_minimum_for_translation():
    value = suppress(2, 10)
    assert isinstance(value, str) and value.minimum == 10 and str(value) == "fewer than 10"


@pytest.mark.parametrize(("count", "minimum"), [(-1, 5), (2.5, 5), (True, 5), (3, 0)])
def test_impossible_counts_are_refused_with_a_reason(count, minimum):
    with pytest.raises(ValueError, match="count|minimum"):
        suppress(count, minimum)


def test_totals_with_a_suppressed_part_become_lower_bounds():
    assert suppressed_total([120, 3, None], 5) == LowerBound(120)
    assert str(suppressed_total([120, 3], 5)) == "at least 120"
    assert suppressed_total([2, 3], 5) == "fewer than 5"  # every part hidden
    assert suppressed_total([0, 0], 5) == 0
    assert suppressed_total([None, None], 5) is None
    assert suppressed_total([6, 7], 5) == 13


@given(st.lists(st.one_of(st.none(), st.integers(0, 3000)), max_size=12), st.integers(2, 20))
def test_a_total_never_lets_a_hidden_count_be_subtracted_back(counts, minimum):
    total = suppressed_total(counts, minimum)
    hidden = [c for c in counts if c is not None and 0 < c < minimum]
    shown = [c for c in counts if c is not None and (c == 0 or c >= minimum)]
    if hidden:
        # Only what is shown anyway adds up: the total reveals nothing more.
        assert total == (LowerBound(sum(shown)) if sum(shown) else Suppressed(minimum))
    elif shown:
        assert total == suppress(sum(shown), minimum)
    else:
        assert total is None


@given(st.lists(st.tuples(st.sampled_from(["MEX", "ESP", "GTM"]),
                          st.one_of(st.none(), st.integers(0, 500))), max_size=15))
def test_country_figures_follow_the_same_rule_as_suppressed_total(pairs):
    class Place:
        def __init__(self, country, population):
            self.country = country
            self.figures = policy.public_figures({"population": population}, 5) \
                if population is not None else {}

    places = [Place(c, p) for c, p in pairs]
    found = {c.iso3: c for c in country_figures(places, 5)}
    for iso3 in {c for c, _ in pairs}:
        expected = suppressed_total([p for c, p in pairs if c == iso3], 5)
        assert found[iso3].figures["people_held"] == expected
        assert found[iso3].facilities == sum(1 for c, _ in pairs if c == iso3)


def test_public_figures_keep_the_allow_list_and_withhold_derived_rates():
    figures = policy.public_figures({
        "population": 3, "capacity": 10, "occupancy_rate": 30.0, "children": 0, "women": 2,
        "deaths": 9, "longest_detention_days": 811, "solitary_max_days": 40,
        "indicators": {"x": 1}, "red_flag_codes": ["b", "a"],
    }, 5)
    assert set(figures) == set(policy.PUBLIC_SUMMARY_FIELDS)
    assert figures["population"] == "fewer than 5" and figures["women"] == "fewer than 5"
    assert figures["occupancy_rate"] is None  # population × capacity would give it back
    assert figures["children"] == 0 and figures["deaths"] == 9 and figures["capacity"] == 10
    assert figures["red_flag_codes"] == ["a", "b"]


def test_allow_list_and_private_list_cover_every_summary_column():
    columns = set(VisitSummary.__table__.columns.keys()) - {
        "visit_id", "facility_id", "visit_date", "is_published", "published_at"}
    assert columns == set(policy.PUBLIC_SUMMARY_FIELDS) | policy.PRIVATE_SUMMARY_FIELDS, (
        "a new summary column must be classified as public or private in the policy")
    assert not set(policy.PUBLIC_SUMMARY_FIELDS) & policy.PRIVATE_SUMMARY_FIELDS


def test_dates_become_months_and_findings_lose_their_evidence():
    assert policy.public_month(date(2024, 3, 17)) == "2024-03"
    assert policy.public_month(datetime(2025, 11, 2, 23, 59)) == "2025-11"
    assert policy.public_month(None) is None
    finding = {"standard_id": "mandela-r23", "area_id": "regime.outdoor_exercise",
               "status": "non_compliant", "severity": "high",
               "evidence": [{"answer": "secret"}], "text": {"en": "0.5 hours"}}
    assert policy.public_finding(finding) == {
        "standard_id": "mandela-r23", "area_id": "regime.outdoor_exercise",
        "status": "non_compliant", "severity": "high"}
