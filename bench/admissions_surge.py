"""Admissions surge benchmark: 1,000 founders submitting in a short window, and the ranking page at 1,000 x 3.

    python -m bench.admissions_surge                       # PostgreSQL at 127.0.0.1:5432, database created fresh
    python -m bench.admissions_surge --founders 300 --concurrency 16

1. Creates a fresh PostgreSQL database (`--database`, dropped and re-created), migrates it, and seeds an open cohort
   with a three-question form and `--founders` founders, each with a startup and an API token (seeded in-process:
   the surge, not the sign-up, is what is measured).
2. Serves the app with uvicorn in a subprocess (production settings, one worker; `bench.pages.running_server`).
3. Baseline: `/healthz` of the same server with the same concurrency, in the same run.
4. Surge: `--concurrency` concurrent HTTP clients work through the founders; each submission is the founder's
   real API sequence: start the application, save the answers, submit (three requests). Reports submissions/s,
   p50/p99 latency per submission and per request, and errors (any non-2xx answer or transport error).
5. Ranking: a cohort with 1,000 applications x 3 reviews (bulk-written by `cohorts.demo.generate_reviewed_cohort`);
   every request ranks the whole cohort (all 3,000 reviews normalised) and renders one page of the table: the
   default 50 rows and the largest page, 200 rows. Median/p95 latency and the server's CPU per request.

Prints a table and writes JSON to bench/results/. Only loopback traffic.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from bench.pages import RESULTS, BenchError, page_cookie, running_server

console = Console()
BASE = "postgresql+psycopg://postgres@127.0.0.1:5432"


@dataclass
class Result:
    name: str
    count: int
    errors: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] * 1000


def fresh_database(base: str, name: str) -> str:
    admin = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{base}/{name}"


@dataclass
class Seeded:
    cohort_id: str
    question_ids: list[str]
    tokens: list[tuple[str, str]]  # (token, startup id)
    ranking_cohort_id: str


def seed(url: str, founders: int, ranking_applications: int) -> Seeded:
    """Everything the run needs, written in-process in one transaction per part."""
    from sqlmodel import Session

    from cohorts import service
    from cohorts.demo import generate_reviewed_cohort
    from cohorts.models import QuestionKind
    from cohorts.schemas import CohortCreate, CriterionCreate, ProgrammeCreate, QuestionCreate
    from incubator import service as accounts
    from incubator.db import create_db_engine
    from incubator.models import Role, User, UserRole
    from startups.models import MemberRole, Startup, StartupMember

    engine = create_db_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        pm = accounts.create_user(
            session, email="pm@bench.example.org", full_name="Bench PM", roles=[Role.program_manager],
            password="demo-password",
        )  # fmt: skip
        programme = service.create_programme(session, data=ProgrammeCreate(name="Surge Accelerator"), actor=pm)
        now = datetime.now(UTC).replace(tzinfo=None)
        cohort = service.create_cohort(
            session,
            data=CohortCreate(
                programme_id=programme.id, name="Surge cohort", applications_open=now - timedelta(days=1),
                applications_close=now + timedelta(days=1), start_date=(now + timedelta(days=30)).date(),
                capacity=20,
            ),
            actor=pm,
        )  # fmt: skip
        questions = [
            service.add_question(session, cohort=cohort, data=q, actor=pm)
            for q in (
                QuestionCreate(prompt="One-line pitch", kind=QuestionKind.short_text),
                QuestionCreate(prompt="The problem and your solution", kind=QuestionKind.long_text),
                QuestionCreate(prompt="Scale", kind=QuestionKind.single_choice, choices=["Bench", "Pilot", "Demo"]),
            )
        ]
        service.add_criterion(session, cohort=cohort, data=CriterionCreate(name="Science"), actor=pm)
        service.open_cohort(session, cohort=cohort, actor=pm)
        tokens: list[tuple[str, str]] = []
        for i in range(founders):
            user = User(email=f"founder{i}@surge.example.org", full_name=f"Founder {i}")
            session.add(user)
            session.flush()
            session.add(UserRole(user_id=user.id, role=Role.founder))
            startup = Startup(name=f"Surge startup {i}")
            session.add(startup)
            session.flush()
            session.add(StartupMember(startup_id=startup.id, user_id=user.id, role=MemberRole.founder))
            token, _ = accounts.issue_api_token(session, user=user)
            tokens.append((token, str(startup.id)))
        session.commit()
        ranking = generate_reviewed_cohort(session, applications=ranking_applications, reviews_per_application=3)
        session.commit()
        result = Seeded(str(cohort.id), [str(q.id) for q in questions], tokens, str(ranking.id))
    with engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
        conn.commit()
    engine.dispose()
    return result


def _run(name: str, jobs: list[Any], work: Any, concurrency: int) -> tuple[Result, list[float]]:
    latencies: list[float] = []
    request_latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    local = threading.local()

    def one(job: Any) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=BASE_URL[0], timeout=60)
        began = time.perf_counter()
        ok, per_request = work(client, job)
        elapsed = time.perf_counter() - began
        with lock:
            latencies.append(elapsed)
            request_latencies.extend(per_request)
            if not ok:
                errors[0] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, jobs))
    seconds = time.perf_counter() - started
    result = Result(
        name, len(jobs), errors[0], round(seconds, 2), round(len(jobs) / seconds, 1),
        round(_percentile(latencies, 0.5), 1), round(_percentile(latencies, 0.99), 1),
    )  # fmt: skip
    return result, request_latencies


BASE_URL = [""]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def server_pid() -> int | None:
    """The uvicorn child of this process (started by `bench.pages.running_server`)."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == me and b"uvicorn" in cmdline:
            return int(entry.name)
    return None


def server_cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of the server process so far: unlike wall time, not inflated when other work
    shares the machine."""
    if pid is None:
        return float("nan")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def healthz(client: httpx.Client, _: Any) -> tuple[bool, list[float]]:
    began = time.perf_counter()
    try:
        ok = client.get("/healthz").status_code == 200
    except httpx.HTTPError:
        ok = False
    return ok, [time.perf_counter() - began]


def submission(seeded: Seeded) -> Any:
    pitch, problem, scale = seeded.question_ids

    def work(client: httpx.Client, job: tuple[str, str]) -> tuple[bool, list[float]]:
        token, startup_id = job
        headers = {"Authorization": f"Bearer {token}"}
        times: list[float] = []
        try:
            began = time.perf_counter()
            created = client.post(
                f"/api/v1/cohorts/{seeded.cohort_id}/applications", json={"startup_id": startup_id}, headers=headers
            )
            times.append(time.perf_counter() - began)
            if created.status_code != 201:
                return False, times
            app_id = created.json()["id"]
            began = time.perf_counter()
            saved = client.put(
                f"/api/v1/applications/{app_id}/answers",
                json={"answers": {pitch: "Precision fermentation of casein", problem: "Animal-free dairy." * 20,
                                  scale: "Pilot"}},
                headers=headers,
            )  # fmt: skip
            times.append(time.perf_counter() - began)
            began = time.perf_counter()
            submitted = client.post(f"/api/v1/applications/{app_id}/submit", headers=headers)
            times.append(time.perf_counter() - began)
            return saved.status_code == 200 and submitted.status_code == 200, times
        except httpx.HTTPError:
            return False, times

    return work


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.admissions_surge", description=__doc__.split("\n\n")[0])
    p.add_argument("--base", default=BASE, help="PostgreSQL server URL without a database name")
    p.add_argument("--database", default="incubator_admissions_bench", help="Database to (re)create")
    p.add_argument("--founders", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--ranking-applications", type=int, default=1000)
    p.add_argument("--ranking-requests", type=int, default=20)
    args = p.parse_args(argv)

    from incubator.migrations import upgrade

    try:
        url = fresh_database(args.base, args.database)
        console.print(f"Fresh database {args.database}; migrating and seeding {args.founders:,} founders …")
        upgrade(url)
        t0 = time.perf_counter()
        seeded = seed(url, args.founders, args.ranking_applications)
        console.print(f"Seeded in {time.perf_counter() - t0:.1f} s.")
        RESULTS.mkdir(exist_ok=True)
        log_path = RESULTS / "admissions_surge_server.log"
        with running_server(url, log_path=log_path) as base_url:
            BASE_URL[0] = base_url
            # Warm the server (imports, templates, connection pool) outside the measurements.
            for _ in range(50):
                httpx.get(f"{base_url}/healthz")
            pid = server_pid()
            load_before = os.getloadavg()
            cpu0 = server_cpu_seconds(pid)
            baseline, _ = _run("GET /healthz (baseline)", list(range(args.founders * 3)), healthz, args.concurrency)
            cpu1 = server_cpu_seconds(pid)
            surge, per_request = _run(
                "submission (start + answers + submit)", seeded.tokens, submission(seeded), args.concurrency
            )
            cpu2 = server_cpu_seconds(pid)
            cookie = page_cookie(httpx.Client(base_url=base_url, timeout=30), "pm@bench.example.org")
            ranking: dict[str, dict[str, Any]] = {}
            with httpx.Client(base_url=base_url, timeout=60, headers={"Cookie": cookie}) as client:
                for label, query in (("50 rows (default page)", ""), ("200 rows (largest page)", "?limit=200")):
                    url_path = f"/cohorts/{seeded.ranking_cohort_id}/ranking{query}"
                    first = client.get(url_path)
                    if first.status_code != 200:
                        raise BenchError(f"ranking page answered {first.status_code}")
                    times: list[float] = []
                    cpu_start = server_cpu_seconds(pid)
                    for _ in range(args.ranking_requests):
                        began = time.perf_counter()
                        response = client.get(url_path)
                        times.append(time.perf_counter() - began)
                    cpu_ms = (server_cpu_seconds(pid) - cpu_start) * 1000 / max(1, args.ranking_requests)
                    ranking[label] = {
                        "rows_rendered": response.text.count("<tr>") - 1,
                        "median_ms": round(statistics.median(times) * 1000, 1),
                        "p95_ms": round(_percentile(times, 0.95), 1),
                        "server_cpu_ms": round(cpu_ms, 1),
                    }
            load_after = os.getloadavg()
    except BenchError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "founders": args.founders,
        "concurrency": args.concurrency,
        "baseline": asdict(baseline),
        "surge": asdict(surge),
        "surge_requests": {
            "count": len(per_request),
            "p50_ms": round(_percentile(per_request, 0.5), 1),
            "p99_ms": round(_percentile(per_request, 0.99), 1),
            "per_second": round(len(per_request) / surge.seconds, 1),
        },
        "ratio_requests_per_second_vs_baseline": round(len(per_request) / surge.seconds / baseline.per_second, 3),
        "server_cpu_ms": {
            "per_healthz": round((cpu1 - cpu0) * 1000 / baseline.count, 2),
            "per_submission": round((cpu2 - cpu1) * 1000 / surge.count, 2),
        },
        "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in load_after]},
        "ranking": {"applications": args.ranking_applications, "reviews_each": 3, "pages": ranking},
    }
    table = Table(title=f"Admissions surge: {args.founders:,} founders, {args.concurrency} concurrent clients")
    for col in ("what", "count", "errors", "seconds", "per second", "p50 ms", "p99 ms"):
        table.add_column(col)
    for r in (baseline, surge):
        table.add_row(
            r.name, str(r.count), str(r.errors), str(r.seconds), str(r.per_second), str(r.p50_ms), str(r.p99_ms)
        )
    sr = report["surge_requests"]
    table.add_row(
        "  its requests", str(sr["count"]), "", "", str(sr["per_second"]), str(sr["p50_ms"]), str(sr["p99_ms"])
    )
    console.print(table)
    for label, figures in ranking.items():
        console.print(
            f"Ranking page, {args.ranking_applications:,} applications x 3 reviews all ranked, {label}: "
            f"median {figures['median_ms']} ms, p95 {figures['p95_ms']} ms, server CPU {figures['server_cpu_ms']} ms "
            f"per request ({args.ranking_requests} requests)."
        )
    console.print(f"Request rate during the surge vs /healthz: {report['ratio_requests_per_second_vs_baseline']}")
    cpu = report["server_cpu_ms"]
    console.print(
        f"Server CPU per request (independent of other load on the machine): /healthz {cpu['per_healthz']} ms, "
        f"submission {cpu['per_submission']} ms. "
        f"Load average before/after: {report['load_average']['before'][0]} / {report['load_average']['after'][0]} "
        f"on {os.cpu_count()} CPUs."
    )
    out = RESULTS / f"admissions-surge-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    console.print(f"Written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
