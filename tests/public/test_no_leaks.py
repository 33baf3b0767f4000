"""Walk every route anyone may open without signing in, with real ids, and look for secrets.

The routes come from the application's own URL map, so a public page added later is walked
too; a route with a parameter this walk cannot fill makes the test fail until it learns it.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from monitor.db.models import Facility, Interview, Recommendation, User, Visit
from monitor.services import dashboards
from monitor.web.app import create_app
from tests.conftest import PASSWORD, login
from tests.public.conftest import HIDDEN_NUMBERS, TAG, World


@pytest.fixture(scope="module")
def app(world: World):
    application = create_app(world.settings)
    application.config.update(TESTING=True)
    return application


def _values(world: World) -> dict[str, list[str]]:
    """Real values for every URL parameter of the application."""
    with world.sessions() as session:
        public_ids = list(session.scalars(select(Facility.public_id)))
        countries = sorted(set(session.scalars(select(Facility.country))))
        visits = [str(v) for v in session.scalars(select(Visit.id))]
        recs = [str(r) for r in session.scalars(select(Recommendation.id).limit(5))]
        interviews = [str(i) for i in session.scalars(select(Interview.id))]
        users = [str(u) for u in session.scalars(select(User.id).limit(3))]
    return {
        "public_id": public_ids + [public_ids[0].lower(), "F-NOSUCH"],
        "iso3": countries + ["XXX", "mex"],
        "filename": ["facilities.csv", "facilities.geojson", "visit-summaries.csv",
                     "findings.csv", "nothing.csv"],
        "visit_id": visits, "rec_id": recs, "interview_id": interviews,
        "section_id": ["access"], "checklist_id": ["core"], "version": ["1"], "code": ["en"],
        "kind": ["facilities", "visits", "findings", "recommendations"], "user_id": users,
    }


#: Query strings worth walking too: each marker colour and a filter of the maps.
QUERIES = {
    "public.map_page": [f"colour={c}" for c in dashboards.COLOUR_CHOICES]
    + ["country=MEX", "type=children_shelter"],
    "public.map_frame": [f"colour={c}" for c in dashboards.COLOUR_CHOICES]
    + ["country=GTM&colour=children"],
}


def _urls(app, world: World) -> Iterator[tuple[str, str]]:
    values = _values(world)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        if rule.endpoint == "static":
            yield rule.endpoint, "/static/css/app.css"
            continue
        unknown = set(rule.arguments) - set(values)
        assert not unknown, (f"{rule.rule}: teach the walk real values for {sorted(unknown)} "
                             "(tests/public/test_no_leaks.py, _values)")
        names = sorted(rule.arguments)
        for combo in itertools.product(*(values[n] for n in names)):
            path = rule.build(dict(zip(names, combo)), append_unknown=False)[1]
            yield rule.endpoint, path
            for query in QUERIES.get(rule.endpoint, ()):
                yield rule.endpoint, f"{path}?{query}"


def _text(response) -> str:
    """The response as text; a PDF's text is extracted (its streams are compressed)."""
    body = response.get_data()
    if response.mimetype == "application/pdf":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(body))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    return body.decode("utf-8-sig", errors="replace")


def test_no_public_route_or_download_shows_a_secret(app, world):
    client = app.test_client()
    markers = {k: v.lower() for k, v in world.markers.items()}
    numbers = {k: str(v) for k, v in HIDDEN_NUMBERS.items()}
    public_endpoints: Counter[str] = Counter()
    for endpoint, url in _urls(app, world):
        response = client.get(url)
        location = response.headers.get("Location", "")
        if response.status_code == 302 and "/login" in location:
            continue  # needs an account: not public
        public_endpoints[endpoint] += 1
        text = _text(response)
        lowered = text.lower()
        leaked = [k for k, v in markers.items() if v in lowered]
        assert not leaked, f"{url} shows {leaked}"
        shown = [k for k, v in numbers.items()
                 if re.search(rf"(?<![\d.]){v}(?![\d])", text.replace(",", ""))]
        assert not shown, f"{url} shows the {shown} of a visit that is not public"
        assert TAG.lower() not in lowered, f"{url} shows a marker"
    # The walk reached every public page and file (so a new one is covered the day it lands).
    expected = {"public.home", "public.health", "public.map_page", "public.map_frame",
                "public.profile", "public.countries", "public.country", "public.data",
                "public.download"}
    assert expected <= set(public_endpoints), expected - set(public_endpoints)
    with world.sessions() as session:
        facilities = session.scalar(select(func.count(Facility.id)))
    assert public_endpoints["public.profile"] >= facilities  # every profile, not a sample


def test_the_markers_are_really_there_for_signed_in_readers(app, world):
    """Without this, a marker that was never planted would make the walk pass vacuously."""
    with world.sessions() as session:
        visit = session.get(Visit, world.visit_id)
        coordinator = next(u for u in visit.organisation.users if u.role.value == "coordinator")
        email = coordinator.email
    client = app.test_client()
    password = "demo-coord-pass" if email.endswith("@demo.example") else PASSWORD
    login(client, email, password)
    dashboard = client.get(f"/dashboard/facilities/{world.facility}").get_data(as_text=True)
    assert world.markers["recommendation-text"] in dashboard
    results = client.get(f"/visits/{world.visit_id}/results").get_data(as_text=True)
    # The finding's sentence is said from its evidence, marker included.
    assert f"{world.markers['evidence']}&#39; (question population_total)" in results


def test_small_counts_are_suppressed_everywhere_they_appear(app, world):
    client = app.test_client()
    profile = client.get(f"/facilities/{world.facility}/profile").get_data(as_text=True)
    indicators = profile[profile.index('class="details indicator-list"'):]
    indicators = indicators[:indicators.index("</dl>")]
    for label in ("People held", "Women held", "Children held",
                  "Unaccompanied or separated children", "Requests to see a lawyer refused",
                  "Deaths in custody (12 months)"):
        cell = re.search(rf"<dt>{re.escape(label)}</dt><dd>(.*?)</dd>", indicators)
        assert cell and cell.group(1).startswith("fewer than 5"), (label, cell)
    assert re.search(r"<dt>Occupancy</dt><dd>—</dd>", indicators)  # it would give 3/190 back

    rows = list(csv.DictReader(io.StringIO(_text(client.get("/data/visit-summaries.csv")))))
    [row] = [r for r in rows if r["visit_id"] == str(world.visit_id)]
    for name in ("population", "children", "unaccompanied_children", "women",
                 "legal_access_denials", "deaths"):
        assert row[name] == "fewer than 5", name
    assert row["occupancy_rate"] == ""
    assert re.fullmatch(r"\d{4}-\d{2}", row["visit_month"])
    assert all(re.fullmatch(r"\d{4}-\d{2}", r["published_month"]) for r in rows)

    # The country total cannot be subtracted back to the hidden count.
    country = client.get(f"/countries/{row['country']}").get_data(as_text=True)
    people = re.search(r"<strong>([^<]*)</strong> people held", country).group(1)
    assert people.startswith(("at least", "fewer than"))


def test_open_data_files_match_their_data_dictionary(app, world):
    client = app.test_client()
    from monitor.services import public as gate

    page = client.get("/data").get_data(as_text=True)
    for dataset in gate.DATASETS:
        text = _text(client.get(f"/data/{dataset.filename}"))
        header = next(csv.reader(io.StringIO(text)))
        assert header == dataset.column_names
        for column in dataset.columns:
            assert f"<code>{column.name}</code>" in page
    geo = json.loads(client.get("/data/facilities.geojson").get_data(as_text=True))
    assert geo["type"] == "FeatureCollection"
    assert set(geo["features"][0]["properties"]) == {c.name for c in gate.FACILITY_COLUMNS}
    point = next(f for f in geo["features"] if f["geometry"])
    assert point["properties"]["longitude"] == point["geometry"]["coordinates"][0]


def test_an_unpublished_visit_leaves_its_facility_in_the_registry_only(app, world):
    client = app.test_client()
    profile = client.get(f"/facilities/{world.hidden_facility}/profile")
    html = profile.get_data(as_text=True)
    assert profile.status_code == 200
    assert "Centro sin visita publicada" in html  # the registry is public...
    assert "No visit of this facility has been published yet." in html  # ...the visit is not
    rows = list(csv.DictReader(io.StringIO(_text(client.get("/data/facilities.csv")))))
    [row] = [r for r in rows if r["facility_id"] == world.hidden_facility]
    assert row["last_visited"] == "" and row["published_visits"] == "0"


def test_a_delayed_publication_stays_off_public_pages(app, world):
    delayed = dataclasses.replace(world.settings, publication_delay_days=100_000)
    late_app = create_app(delayed)
    late_app.config.update(TESTING=True)
    client = late_app.test_client()
    profile = client.get(f"/facilities/{world.facility}/profile").get_data(as_text=True)
    assert "No visit of this facility has been published yet." in profile
    summaries = _text(client.get("/data/visit-summaries.csv")).strip().splitlines()
    assert len(summaries) == 1  # the header only
    findings = _text(client.get("/data/findings.csv")).strip().splitlines()
    assert len(findings) == 1
