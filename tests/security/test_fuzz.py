"""Bad input, generated: forms never answer 500 nor write half a record, and the checklist
loader answers a damaged shipped checklist with a ChecklistError and nothing else.

(The facility importer's own generated-input tests live with the importer; the expression
language has its own.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from monitor.core import paths
from monitor.core.errors import ChecklistError
from monitor.db.models import AuditEvent, Facility, FacilityAlias, User
from monitor.services.catalog import load_catalog
from tests.conftest import fresh_postgres, fresh_sqlite
from tests.security.conftest import build_world

ANYTHING = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "inf", "91", "-180.0001", "MEX", "mex",
                     "XXX", "prison", "other", "in_use", "' OR 1=1 --", "=cmd|'/c calc'!A1",
                     "<script>alert(1)</script>", "\x00", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "9" * 40]),
)
FACILITY_FIELDS = ("name", "other_names", "country", "admin_area", "locality", "latitude",
                   "longitude", "type", "operator_kind", "operator_name", "capacity", "status",
                   "notes")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, tmp_path_factory, sqlite_template):
    """The shared world, on both databases: they refuse different things (NUL in text, ...)."""
    folder = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        url = fresh_sqlite(sqlite_template, folder)
    else:
        url = fresh_postgres(request.getfixturevalue("postgres_admin_url"),
                             request.getfixturevalue("postgres_template"))
    built = build_world(folder, url)
    yield built
    built.sessions.kw["bind"].dispose()


BOUNDED = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def counts(world) -> tuple[int, int, int, int]:
    with world.sessions() as db:
        return (db.scalar(select(func.count(Facility.id))),
                db.scalar(select(func.count(FacilityAlias.id))),
                db.scalar(select(func.count(AuditEvent.id))),
                db.scalar(select(func.count(User.id))))


@BOUNDED
@given(values=st.fixed_dictionaries({}, optional={name: ANYTHING for name in FACILITY_FIELDS}))
def test_the_facility_form_never_fails_and_never_writes_half(world, values):
    client = world.client("monitor")
    before = counts(world)
    response = client.post("/facilities/new", data={**values, "csrf_token": world.token("monitor")})
    assert response.status_code in (302, 422), response.status_code
    after = counts(world)
    if response.status_code == 302:  # a whole facility and its audit entry, nothing else
        assert after[0] == before[0] + 1 and after[2] == before[2] + 1
    else:
        assert after == before


@BOUNDED
@given(email=ANYTHING, password=ANYTHING, extra=st.dictionaries(st.text(max_size=10), ANYTHING,
                                                               max_size=3))
def test_the_login_form_never_fails(world, email, password, extra):
    client = world.app.test_client()
    before = counts(world)
    token = world.token(None)
    client.get("/login")
    response = client.post("/login", data={**extra, "email": email, "password": password,
                                           "csrf_token": token})
    assert response.status_code in (400, 401, 429), response.status_code
    after = counts(world)
    assert after[:2] == before[:2] and after[3] == before[3]
    assert after[2] - before[2] <= 1  # at most the record of a failed sign-in


# -- a damaged shipped checklist ------------------------------------------------------------------

CHECKLIST_FILES = sorted((paths.CHECKLISTS / "core").glob("*.yaml"))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_deleting_lines_from_the_shipped_checklist_gives_only_checklist_errors(tmp_path_factory,
                                                                              data):
    folder = tmp_path_factory.mktemp("mutated")
    shutil.copytree(paths.CHECKLISTS, folder, dirs_exist_ok=True)
    target: Path = data.draw(st.sampled_from(CHECKLIST_FILES), label="file")
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    doomed = data.draw(st.sets(st.integers(0, len(lines) - 1), min_size=1, max_size=6),
                       label="deleted lines")
    mutated = folder / "core" / target.name
    mutated.write_text("".join(l for n, l in enumerate(lines) if n not in doomed), encoding="utf-8")
    try:
        load_catalog(folder)
    except ChecklistError as error:
        assert error.problems
        for problem in error.problems:
            assert str(problem.path) and problem.message  # says where and what
    # Loading may also succeed: some lines (comments, help texts) are not needed.
