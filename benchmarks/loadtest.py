"""Load test: several gunicorn workers, monitors filling in visits, readers browsing the public site.

Run from the repository root:

    .venv/bin/python benchmarks/loadtest.py --seconds 60 [--database postgresql]

What it does, on this machine only (127.0.0.1; nothing leaves the loopback interface):

1. makes a fresh database (a SQLite file, or a throw-away PostgreSQL server started like the
   test suite does; ``--database-url`` uses an existing empty PostgreSQL database instead),
   loads the fictional demo data and creates the simulated monitors' accounts;
2. starts gunicorn with ``--workers`` sync workers on a free loopback port;
3. for ``--seconds``, runs ``--monitors`` threads that each sign in and then, over and over,
   open a draft visit through the real form, fill every section through the autosave endpoint
   the page script uses (then once more as a normal form post), and submit it; and
   ``--readers`` threads that fetch /map, /health and public facility profiles;
4. prints requests, errors, and p50/p99 latency per endpoint, and checks that the number of
   visits stored as submitted equals the number of successful submissions the monitors saw.

Exit status 0 when there were no errors and the submissions match, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests

PASSWORD = "load test password 1"
#: Hard caps, whatever the options say: the test must stop by itself.
MAX_SECONDS = 900
MAX_REQUESTS = 200_000


# -- what the simulated people record -------------------------------------------------------------


@dataclass
class Stats:
    """Latencies and failures per endpoint, shared by every thread."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)
    incomplete: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def record(self, label: str, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.latencies[label].append(seconds)
            if error:
                self.errors[label] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{label}: {error}")


class Stop(Exception):
    """The time is up (or the request cap was reached)."""


class Failed(Exception):
    """A request got an answer it should not have (already counted as an error)."""


class Client:
    """One person's browser: a cookie jar, timing every request against its endpoint label."""

    def __init__(self, base: str, stats: Stats, deadline: float) -> None:
        self.base = base
        self.stats = stats
        self.deadline = deadline
        self.http = requests.Session()

    def call(self, method: str, path: str, label: str, expect: tuple[int, ...], **kwargs):
        if time.monotonic() > self.deadline or self.stats.requests >= MAX_REQUESTS:
            raise Stop
        started = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, allow_redirects=False,
                                         timeout=60, **kwargs)
        except requests.RequestException as error:
            self.stats.record(label, time.perf_counter() - started, type(error).__name__)
            raise Stop from error
        elapsed = time.perf_counter() - started
        error = None if response.status_code in expect else (
            f"HTTP {response.status_code} {_gist(response)}")
        self.stats.record(label, elapsed, error)
        if error:
            raise Failed(error)
        return response


def _gist(response: requests.Response) -> str:
    """What a failed response says, in a few words (the page title or the JSON error)."""
    title = re.search(r"<title>([^<]*)</title>", response.text)
    if title:
        return unescape(title.group(1)).strip()
    return response.text[:120].replace("\n", " ")


class FormFields(HTMLParser):
    """The hidden fields and question markers of the section form (id="visit-form")."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.hidden: dict[str, str] = {}
        self.present: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and found.get("id") == "visit-form":
            self.inside = True
        elif self.inside and tag == "input" and found.get("type") == "hidden":
            name, value = found.get("name") or "", found.get("value") or ""
            if name == "present":
                self.present.append(value)
            else:
                self.hidden[name] = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def token_in(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not found:
        raise RuntimeError("no CSRF token in the page")
    return unescape(found.group(1))


# -- the simulated monitor ------------------------------------------------------------------------


class Monitor:
    """Signs in, then opens, fills in and submits visits until the time is up."""

    def __init__(self, client: Client, email: str, facilities: list[str], plan: VisitPlan,
                 seed: int) -> None:
        self.client = client
        self.email = email
        self.facilities = facilities
        self.plan = plan
        self.rng = random.Random(seed)

    def run(self) -> None:
        signed_in = False
        while True:
            try:
                if not signed_in:
                    self.sign_in()
                    signed_in = True
                self.one_visit()
            except Failed:
                # Counted already; start again as a person would: sign in anew, open a new visit.
                signed_in = False
                self.client.http.cookies.clear()
                time.sleep(1)  # and not at once: a retry storm would only measure itself
            except Stop:
                return

    def sign_in(self) -> None:
        page = self.client.call("GET", "/login", "GET /login", (200,))
        self.client.call("POST", "/login", "POST /login", (302,), data={
            "email": self.email, "password": PASSWORD, "csrf_token": token_in(page.text)})

    def one_visit(self) -> None:
        facility = self.rng.choice(self.facilities)
        form = self.client.call("GET", f"/visits/new?facility={facility}", "GET /visits/new", (200,))
        checklist = re.search(r'name="checklist"[^>]*value="([^"]+)"', form.text)
        opened = self.client.call("POST", "/visits/new", "POST /visits/new", (302,), data={
            "csrf_token": token_in(form.text), "facility": facility,
            "start_date": date(2025, 1, 1 + self.rng.randrange(28)).isoformat(),
            "announced": "no", "scope": "full",
            "checklist": checklist.group(1) if checklist else "core@1"})
        visit_id = int(opened.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        answers = self.plan.answers(self.rng)
        # Twice over: a section's skip logic can depend on a later section's answers.
        for passes in range(2):
            for section in self.plan.sections:
                self.fill_section(visit_id, section, answers, autosave=passes == 0)
        overview = self.client.call("GET", f"/visits/{visit_id}", "GET /visits/<id>", (200,))
        done = self.client.call("POST", f"/visits/{visit_id}/submit", "POST /visits/<id>/submit",
                                (302, 422), data={"csrf_token": token_in(overview.text)})
        if done.status_code == 302:
            with self.client.stats.lock:
                self.client.stats.submitted.append(visit_id)
        else:
            with self.client.stats.lock:
                self.client.stats.incomplete += 1

    def fill_section(self, visit_id: int, section: str, answers: dict[str, Any], *,
                     autosave: bool) -> None:
        path = f"/visits/{visit_id}/sections/{section}"
        page = self.client.call("GET", path, "GET /visits/<id>/sections/<s>", (200,))
        fields = FormFields()
        fields.feed(page.text)
        data: list[tuple[str, str]] = [(k, v) for k, v in fields.hidden.items()]
        for question_id in fields.present:
            data.append(("present", question_id))
            value = answers.get(question_id)
            if isinstance(value, list):
                data.extend(("q_" + question_id, str(v)) for v in value)
            elif value is not None:
                data.append(("q_" + question_id, self.plan.text_of(question_id, value)))
        if autosave:
            self.client.call("POST", path + "/autosave", "POST autosave", (200,), data=data,
                             headers={"X-CSRFToken": fields.hidden.get("csrf_token", ""),
                                      "Accept": "application/json"})
        else:
            self.client.call("POST", path, "POST /visits/<id>/sections/<s>", (302,),
                             data=data + [("action", "save")])


class VisitPlan:
    """Complete, consistent answers drawn by the project's own synthetic answer generator."""

    def __init__(self, checklist_dir: Path) -> None:
        from monitor.services.catalog import load_catalog
        from monitor.services.synthetic import AnswerGenerator, FacilityProfile
        from monitor.web.forms.visit import display_value

        catalog = load_catalog(checklist_dir)
        self.checklist = catalog.get("core")
        self.generator = AnswerGenerator(self.checklist, catalog.standards)
        self.profile = FacilityProfile
        self.sections = [s.id for s in self.checklist.sections]
        self._display = display_value
        self._lock = threading.Lock()

    def answers(self, rng: random.Random) -> dict[str, Any]:
        profile = self.profile(capacity=rng.randrange(50, 800), facility_type="prison",
                               quality=rng.random())
        with self._lock:
            drawn = self.generator.answers(rng, profile)
        return {qid: self._display(self.checklist.by_id[qid], v) for qid, v in drawn.items()}

    def text_of(self, question_id: str, value: Any) -> str:
        return value if isinstance(value, str) else str(value)


# -- the readers ----------------------------------------------------------------------------------


def read_public(client: Client, profiles: list[str], seed: int) -> None:
    rng = random.Random(seed)
    while True:
        choice = rng.random()
        try:
            if choice < 0.2:
                client.call("GET", "/map", "GET /map", (200,))
            elif choice < 0.5:
                client.call("GET", "/health", "GET /health", (200,))
            else:
                client.call("GET", f"/facilities/{rng.choice(profiles)}/profile",
                            "GET /facilities/<id>/profile", (200,))
        except Failed:
            continue  # counted; a reader simply goes on reading
        except Stop:
            return


# -- the server and its database ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_database(url: str, monitors: int, demo: bool, key: str) -> tuple[list[str], list[str]]:
    """Schema, demo data and accounts; return (facility ids to visit, public profile ids)."""
    from sqlalchemy import select

    from monitor.core.crypto import Vault
    from monitor.db.migrate import upgrade_to_head
    from monitor.db.models import Facility, VisitSummary
    from monitor.db.session import make_session_factory
    from monitor.services import accounts
    from monitor.services import demo as demo_service
    from monitor.services.catalog import load_catalog

    upgrade_to_head(url)
    factory = make_session_factory(url)
    with factory() as db:
        if demo:
            demo_service.load(db, catalog=load_catalog(ROOT / "checklists"), vault=Vault([key]))
        else:
            demo_service.load_people_and_places(db)
        for number in range(monitors):
            accounts.create_user(db, f"load{number}@loadtest.example", PASSWORD, role="monitor",
                                 organisation="Load test monitors")
        db.commit()
        facilities = list(db.scalars(select(Facility.public_id)
                                     .where(Facility.merged_into_id.is_(None))))
        published = list(db.scalars(
            select(Facility.public_id).join(VisitSummary, VisitSummary.facility_id == Facility.id)
            .where(VisitSummary.is_published.is_(True)).distinct()))
    factory.kw["bind"].dispose()
    return facilities, published or facilities


def count_submitted(url: str, visit_ids: list[int]) -> tuple[int, int, int]:
    """Among *visit_ids*: visits stored as submitted, and those with their summary row; and
    every submitted visit of the load-test organisation (to catch one stored but not seen)."""
    from sqlalchemy import func, select

    from monitor.db.models import Organisation, Visit, VisitState, VisitSummary
    from monitor.db.session import make_session_factory

    factory = make_session_factory(url)
    with factory() as db:
        submitted = db.scalar(select(func.count(Visit.id)).where(
            Visit.id.in_(visit_ids), Visit.state == VisitState.SUBMITTED)) if visit_ids else 0
        summaries = db.scalar(select(func.count(VisitSummary.visit_id)).where(
            VisitSummary.visit_id.in_(visit_ids))) if visit_ids else 0
        all_by_monitors = db.scalar(
            select(func.count(Visit.id)).join(Organisation, Visit.organisation_id == Organisation.id)
            .where(Visit.state == VisitState.SUBMITTED, Organisation.name == "Load test monitors"))
    factory.kw["bind"].dispose()
    return submitted, summaries, all_by_monitors


def start_gunicorn(url: str, workers: int, port: int, instance: Path, key: str,
                   log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    # Secrets set explicitly, so that workers starting at once never race to create them.
    env.update(DATABASE_URL=url, MONITOR_INSTANCE=str(instance), MONITOR_DATA_KEYS=key,
               MONITOR_SECRET_KEY=secrets.token_hex(32), MONITOR_ENV="development")
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
               f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning",
               "monitor.web.app:create_app()"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def wait_until_up(base: str, server: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped while starting; see its log")
        try:
            if requests.get(base + "/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer /health within {seconds:.0f} s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# -- report ---------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report(stats: Stats, seconds: float, database: str, workers: int) -> dict[str, Any]:
    rows = []
    for label in sorted(stats.latencies):
        values = stats.latencies[label]
        rows.append({"endpoint": label, "requests": len(values), "errors": stats.errors[label],
                     "p50_ms": round(percentile(values, 0.50) * 1000, 1),
                     "p99_ms": round(percentile(values, 0.99) * 1000, 1)})
    width = max(len(r["endpoint"]) for r in rows) if rows else 10
    print(f"\nLoad test on {database}, {workers} gunicorn workers, {seconds:.0f} s")
    print(f"{'endpoint':{width}}  {'requests':>8}  {'errors':>6}  {'p50 ms':>8}  {'p99 ms':>8}")
    for r in rows:
        print(f"{r['endpoint']:{width}}  {r['requests']:>8}  {r['errors']:>6}  {r['p50_ms']:>8}  "
              f"{r['p99_ms']:>8}")
    total_errors = sum(stats.errors.values())
    print(f"{'total':{width}}  {stats.requests:>8}  {total_errors:>6}   "
          f"({stats.requests / seconds:.1f} requests/s)")
    for example in stats.examples:
        print("  error:", example)
    return {"database": database, "workers": workers, "seconds": round(seconds, 1),
            "requests": stats.requests, "errors": total_errors, "endpoints": rows}


# -- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long to run (default 60)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", default=None,
                        help="an existing, empty PostgreSQL database to use instead of starting one")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--monitors", type=int, default=6,
                        help="simulated monitors filling in visits (default 6)")
    parser.add_argument("--readers", type=int, default=3,
                        help="simulated readers of the public site (default 3)")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo visits (faster set-up)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    options = parser.parse_args(argv)
    seconds = min(max(options.seconds, 1), MAX_SECONDS)
    if not 1 <= options.workers <= 16 or not 0 <= options.monitors <= 50 or not 0 <= options.readers <= 50:
        parser.error("use 1-16 workers and at most 50 monitors and 50 readers")

    from monitor.core.crypto import generate_key

    work = Path(tempfile.mkdtemp(prefix="dm-load-"))
    key = generate_key()
    postgres = None
    server = None
    try:
        if options.database == "sqlite":
            url = f"sqlite:///{work / 'load.sqlite3'}"
        elif options.database_url:
            url = options.database_url
        else:
            from sqlalchemy import create_engine, text

            from tests.pg import Server, find_bindir

            bindir = find_bindir()
            if bindir is None:
                print("PostgreSQL is not installed (Debian package postgresql); or give "
                      "--database-url.", file=sys.stderr)
                return 1
            postgres = Server(bindir)
            admin = postgres.start()
            engine = create_engine(admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text("CREATE DATABASE dm_load"))
            engine.dispose()
            url = admin.rsplit("/", 1)[0] + "/dm_load"
        started = time.monotonic()
        facilities, profiles = prepare_database(url, options.monitors, not options.no_demo, key)
        print(f"Database ready in {time.monotonic() - started:.1f} s "
              f"({len(facilities)} facilities, {options.monitors} monitors).")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_gunicorn(url, options.workers, port, work / "instance", key,
                                work / "gunicorn.log")
        wait_until_up(base, server)
        plan = VisitPlan(ROOT / "checklists")
        stats = Stats()
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=Monitor(Client(base, stats, deadline),
                                                   f"load{n}@loadtest.example", facilities, plan,
                                                   seed=n).run, daemon=True)
                   for n in range(options.monitors)]
        threads += [threading.Thread(target=read_public, args=(Client(base, stats, deadline),
                                                               profiles, 1000 + n), daemon=True)
                    for n in range(options.readers)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 120)
        elapsed = time.monotonic() - began
        figures = report(stats, elapsed, options.database, options.workers)
        stored, summaries, all_submitted = count_submitted(url, stats.submitted)
        sent = len(stats.submitted)
        print(f"submissions: sent {sent}, stored {stored} (with summary rows: {summaries}; "
              f"every submitted visit of the load-test monitors: {all_submitted}); "
              f"refused as incomplete: {stats.incomplete}")
        figures.update(submissions_sent=sent, submissions_stored=stored,
                       incomplete=stats.incomplete)
        if options.json:
            options.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
        log = (work / "gunicorn.log").read_text(encoding="utf-8", errors="replace")
        if "Traceback" in log or "ERROR" in log:
            print("gunicorn logged errors; its last lines:\n" + "\n".join(log.splitlines()[-15:]))
        ok = figures["errors"] == 0 and sent == stored == summaries == all_submitted
        print("RESULT:", "pass" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        if server is not None:
            stop(server)
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
