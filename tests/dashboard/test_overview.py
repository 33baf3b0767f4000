"""The overview dashboard: filters, red flags, heat map, ranking, trends, and a bounded cost."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import event

from monitor.db.models import VisitState
from monitor.services import dashboards, permissions
from tests.conftest import login
from tests.dashboard import factory


def _seed(db, make_user, count: int):
    """*count* facilities, each with a published visit of org A, plus org B's own work."""
    reader = make_user("viewer", org="Org A")
    org_a = factory.organisation(db, "Org A")
    org_b = factory.organisation(db, "Org B")
    ids = factory.add_facilities(db, count, prefix="Q")
    for n, fid in enumerate(ids):
        factory.add_visit(db, fid, org_a, day=date(2025, 1 + n % 12, 10),
                          flags=("children_detained",) if n % 2 else (),
                          figures={"score_overall": (n % 10) / 10})
    db.commit()
    return reader, org_a, org_b, ids


def _count_queries(app, client, url: str) -> tuple[int, str]:
    engine = app.extensions["monitor.sessions"].kw["bind"]
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return len(seen), response.get_data(as_text=True)


@pytest.mark.parametrize("count", [5, 50])
def test_overview_costs_the_same_number_of_queries_for_5_and_50_facilities(
        app, client, db, make_user, count):
    reader, *_ = _seed(db, make_user, count)
    login(client, reader.email)
    page_cache = app.extensions["monitor.pagecache"]
    kept = page_cache.max_bytes
    page_cache.max_bytes = 0  # measure the page as built, not as kept
    client.get("/dashboard/")  # warm the caches (catalog labels, babel)
    queries, html = _count_queries(app, client, "/dashboard/")
    # Signed-in user, registry, latest visits, area scores, quarters, and the two filter
    # lists: seven, whatever the size of the data.
    assert queries <= 7, queries
    assert html.count('href="/dashboard/facilities/F-Q') >= count  # every facility is ranked
    filtered, _ = _count_queries(app, client, "/dashboard/?country=MEX&from=2025-01-01")
    assert filtered == queries
    # Kept: the first request builds it (plus the data version), the next only reads the
    # signed-in user and the data version.
    page_cache.max_bytes = kept
    built, _ = _count_queries(app, client, "/dashboard/")
    assert built == queries + 1
    again, kept_html = _count_queries(app, client, "/dashboard/")
    assert again == 2
    # The same page, but for the frame's CSRF token, which is signed anew for each request.
    token = re.compile(r'name="csrf_token" value="[^"]+"')
    assert token.sub("", kept_html) == token.sub("", html)


def test_overview_shows_flags_heat_map_ranking_and_trends(client, db, make_user):
    reader, *_ = _seed(db, make_user, 6)
    login(client, reader.email)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "dm-chart-heat" in html
    assert html.count("dm-chart-line") == 2
    # Three of six facilities have the red flag at their latest visit.
    flag = re.search(r'<strong class="flag-count">(\d+)</strong>\s*Children detained', html)
    assert flag and flag.group(1) == "3"
    # Ranking: red-flagged facilities first (odd numbers), lowest score first among them.
    ranked = re.findall(r'<td><a href="/dashboard/facilities/(F-Q\d+)">', html)
    assert ranked[:3] == ["F-Q00001", "F-Q00003", "F-Q00005"]
    assert set(ranked[3:]) == {"F-Q00000", "F-Q00002", "F-Q00004"}
    # Heat map rows link to the facility dashboards.
    heat = html[html.index("dm-chart-heat"):]
    assert 'href="/dashboard/facilities/F-Q00001"' in heat[:heat.index("</svg>")]


def test_only_own_or_published_visits_count(client, db, make_user):
    reader, org_a, org_b, ids = _seed(db, make_user, 3)
    # Org B's newer, unpublished visit with a red flag must not reach Org A's reader...
    factory.add_visit(db, ids[0], org_b, day=date(2026, 1, 5), state=VisitState.REVIEWED,
                      flags=("death_in_custody",), figures={"score_overall": 0.01})
    # ...but Org A's own unpublished visit does.
    factory.add_visit(db, ids[1], org_a, day=date(2026, 2, 5), state=VisitState.SUBMITTED,
                      flags=("no_asylum_access",))
    db.commit()
    login(client, reader.email)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Death in custody" not in html
    assert "No way to apply for asylum" in html


def test_visible_clause_agrees_with_the_permission_matrix(db, make_user):
    reader, org_a, org_b, ids = _seed(db, make_user, 2)
    visits = [
        factory.add_visit(db, ids[0], org_b, day=date(2025, 5, 1), state=state)
        for state in (VisitState.SUBMITTED, VisitState.REVIEWED, VisitState.PUBLISHED)
    ] + [factory.add_visit(db, ids[1], org_a, day=date(2025, 6, 1), state=VisitState.REVIEWED)]
    db.commit()
    from sqlalchemy import select

    from monitor.db.models import Visit

    seen = set(db.scalars(select(Visit.id).where(dashboards.visible_clause(reader))))
    for visit in visits:
        expected = (visit.state is VisitState.PUBLISHED
                    or permissions.can(reader, "visit.view", visit))
        assert (visit.id in seen) is expected, visit
        assert dashboards.can_see(reader, visit) is expected


def test_filters_narrow_the_overview_and_bad_dates_are_explained(client, db, make_user):
    reader, *_ = _seed(db, make_user, 10)
    login(client, reader.email)
    everything = client.get("/dashboard/").get_data(as_text=True)
    mexico = client.get("/dashboard/?country=MEX").get_data(as_text=True)
    assert mexico.count("<td>Mexico</td>") == 2
    assert "<td>Spain</td>" in everything and "<td>Spain</td>" not in mexico
    early = client.get("/dashboard/?from=2025-01-01&to=2025-03-31").get_data(as_text=True)
    assert len(re.findall(r'<td><a href="/dashboard/facilities/', early)) == 3
    bad = client.get("/dashboard/?from=31/12/2025")
    assert bad.status_code == 422
    assert "YYYY-MM-DD" in bad.get_data(as_text=True)
    backwards = client.get("/dashboard/?from=2025-05-01&to=2025-01-01")
    assert backwards.status_code == 422 and "swap" in backwards.get_data(as_text=True)


def test_quarterly_trend_adds_up_visits_per_quarter(db, make_user):
    reader, *_ = _seed(db, make_user, 12)  # one visit a month in 2025
    quarters = dashboards.quarterly_trend(db, reader, dashboards.OverviewFilters())
    assert [(q.label, q.visits) for q in quarters] == [
        ("2025 Q1", 3), ("2025 Q2", 3), ("2025 Q3", 3), ("2025 Q4", 3)]
    assert quarters[0].share_met == pytest.approx(60 / 100)
    assert sum(q.red_flags for q in quarters) == 6


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_red_flag_lists_its_first_facilities_and_counts_them_all(client, db, make_user):
    from monitor.web.views.dashboard import FLAG_ROWS

    reader, *_ = _seed(db, make_user, 2 * FLAG_ROWS + 10)  # every other one has the flag
    login(client, reader.email)
    html = client.get("/dashboard/").get_data(as_text=True)
    flagged = FLAG_ROWS + 5
    assert re.search(rf'<strong class="flag-count">{flagged}</strong>\s*Children detained', html)
    block = html.split("Children detained", 1)[1].split("</details>", 1)[0]
    assert block.count('href="/dashboard/facilities/') == FLAG_ROWS
    assert f"The first {FLAG_ROWS} of {flagged} facilities." in block


def test_the_latest_visible_visit_agrees_with_a_plain_reading_of_every_visit(db, make_user):
    """Random visits of two organisations in every state and on shared dates: the dashboards'
    latest visit per facility (and its area scores) is the newest one the reader may see in the
    period, ties on the date going to the later visit, exactly as a reading of every row says."""
    import random

    reader = make_user("viewer", org="Org A")
    org_a, org_b = factory.organisation(db, "Org A"), factory.organisation(db, "Org B")
    ids = factory.add_facilities(db, 12, prefix="L")
    rng = random.Random(11)
    visits = []
    for fid in ids[:-2]:  # the last two facilities are never visited
        for _ in range(rng.randint(3, 9)):
            org = rng.choice((org_a, org_b))
            state = rng.choice(list(VisitState))
            day = date(2024, rng.randint(1, 3), 15)  # dates shared by several visits
            visit = factory.add_visit(db, fid, org, day=day, state=state,
                                      areas={"proc": rng.random()})
            visits.append((fid, visit.id, day, org.id, state))
    db.commit()

    def expected(start, end):
        latest = {}
        for fid, vid, day, org_id, state in visits:
            if state not in dashboards.SUMMARISED:
                continue
            if not (org_id == reader.organisation_id or state is VisitState.PUBLISHED):
                continue
            if (start and day < start) or (end and day > end):
                continue
            if fid not in latest or (day, vid) > latest[fid][:2]:
                latest[fid] = (day, vid)
        return {fid: vid for fid, (day, vid) in latest.items()}

    newest_shared = 0
    for fid in ids:
        seen = sorted(((day, vid) for f, vid, day, org_id, state in visits if f == fid
                       and state in dashboards.SUMMARISED
                       and (org_id == reader.organisation_id or state is VisitState.PUBLISHED)),
                      reverse=True)
        newest_shared += len(seen) > 1 and seen[0][0] == seen[1][0]
    assert newest_shared >= 2  # the tie-break is exercised

    for start, end in ((None, None), (date(2024, 1, 10), date(2024, 2, 15))):
        filters = dashboards.OverviewFilters(date_from=start, date_to=end)
        statuses = dashboards.latest_statuses(db, reader, filters, include_unvisited=True)
        assert len(statuses) == len(ids)
        got = {s.facility_id: s.visit_id for s in statuses if s.visit_id is not None}
        assert got == expected(start, end)
        scores = dashboards.area_scores_of_latest(db, reader, filters, ["proc"])
        assert set(scores) == {(fid, "proc") for fid in got}
