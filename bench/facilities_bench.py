"""Facilities benchmark: a resource's availability page with 50,000 past bookings, and booking under contention.

Builds its own PostgreSQL database (migrations, the demo data through the real CLI, then one extra fermenter with
`--bookings` past bookings inserted in bulk), serves the app with uvicorn in a subprocess (production settings, one
worker) and measures, against `/healthz` of the same server in the same run:

- the availability page (HTML calendar) and API of that resource for the current week (an empty week: the cost
  of finding nothing among 50,000 rows) and for a past week full of bookings;
- booking under contention: `--contenders` clients POST the same slot at the same moment (a barrier), for
  `--rounds` rounds; exactly one may win each round, the rest get 409. Also the same number of uncontended
  bookings from one client, to show what the contention itself costs.

    python -m bench.facilities_bench                       # PostgreSQL at 127.0.0.1:5432, database incubator_facbench
    python -m bench.facilities_bench --regenerate --bookings 50000 --duration 6

Prints a table and writes JSON to bench/results/. Only loopback traffic; every phase is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from rich.table import Table

from bench import generate, pages

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/incubator_facbench"
BENCH_RESOURCE = "Bench fermenter 50 L (benchmark)"
console = pages.console


def _cli(url: str, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    env.update(
        {"INCUBATOR_DATABASE_URL": url, "INCUBATOR_ENVIRONMENT": "development", "INCUBATOR_LOG_LEVEL": "WARNING"}
    )
    done = subprocess.run(
        [sys.executable, "-c", "import cli; cli.app()", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise pages.BenchError(f"incubator {' '.join(args)} failed: {done.stdout[-500:]} {done.stderr[-1500:]}")


def _resource_id(url: str) -> str | None:
    engine = sa.create_engine(generate.sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            found = conn.execute(sa.text("SELECT id FROM resource WHERE name = :n"), {"n": BENCH_RESOURCE}).first()
            return str(found[0]) if found else None
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def prepare(url: str, *, bookings: int, regenerate: bool) -> str:
    """The database with demo data and the benchmark fermenter with `bookings` past bookings; returns its id."""
    existing = None if regenerate else _resource_id(url)
    if existing:
        return existing
    generate.prepare_database(url, reset=True)
    console.print("Migrating and loading the demo data …")
    _cli(url, "db", "upgrade")
    _cli(url, "demo", "load")
    from sqlmodel import Session, select

    from facilities.models import Booking, Resource, ResourceCategory, Site
    from incubator.db import create_db_engine
    from incubator.models import User
    from startups.models import Startup

    engine = create_db_engine(generate.sqlalchemy_url(url))
    started = time.perf_counter()
    with Session(engine) as session:
        site = session.exec(select(Site).where(Site.code == "LDN")).one()
        startup = session.exec(select(Startup).where(Startup.name == "Fermentis Labs")).one()
        user = session.exec(select(User).where(User.email == "founder@demo.example.org")).one()
        resource = Resource(
            site_id=site.id,
            name=BENCH_RESOURCE,
            category=ResourceCategory.fermenter,
            volume_litres=50,
            hourly_rate_minor=9000,
            min_minutes=60,
            max_minutes=12 * 60,
            increment_minutes=60,
            max_days_ahead=730,
            buffer_minutes=0,
            requires_training=False,
        )
        session.add(resource)
        session.commit()
        resource_id = resource.id
        # Two-hour slots every four hours, going back from last week: the most recent 300 or so weeks are full.
        end = datetime.combine(date.today() - timedelta(days=date.today().weekday() + 7), datetime.min.time(), UTC)
        rows: list[dict[str, Any]] = []
        for i in range(bookings):
            start = end - timedelta(hours=4 * (i + 1))
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "resource_id": resource_id,
                    "site_id": site.id,
                    "startup_id": startup.id,
                    "user_id": user.id,
                    "start_at": start,
                    "end_at": start + timedelta(hours=2),
                    "blocked_until": start + timedelta(hours=2),
                    "service_date": start.date(),
                    "status": "confirmed",
                    "purpose": "historic run",
                    "minutes": 120,
                    "billable_minutes": 120,
                    "hourly_rate_minor": 9000,
                    "amount_minor": 18000,
                    "currency": "GBP",
                    "confirmed_at": start - timedelta(days=2),
                }
            )
            if len(rows) == 5000:
                session.execute(sa.insert(Booking), rows)
                rows = []
        if rows:
            session.execute(sa.insert(Booking), rows)
        session.commit()
        session.execute(sa.text("ANALYZE booking"))
        session.commit()
    engine.dispose()
    console.print(f"Inserted {bookings:,} past bookings in {time.perf_counter() - started:.1f} s.")
    return str(resource_id)


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def contention(
    base_url: str, token: str, resource_id: str, *, rounds: int, contenders: int, first_start: datetime
) -> dict[str, Any]:
    """`contenders` clients POST the same slot at once, `rounds` times; exactly one must win each round."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    wins_per_round = [0] * rounds
    lock = threading.Lock()
    barrier = threading.Barrier(contenders)

    def client(_index: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
            http.get("/healthz")
            for r in range(rounds):
                start = first_start + timedelta(hours=2 * r)
                body = {
                    "resource_id": resource_id,
                    "start_at": start.isoformat(),
                    "end_at": (start + timedelta(hours=1)).isoformat(),
                }
                barrier.wait(timeout=60)
                began = time.perf_counter()
                response = http.post("/api/v1/bookings", json=body)
                elapsed = time.perf_counter() - began
                with lock:
                    latencies.append(elapsed)
                    statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
                    if response.status_code == 201:
                        wins_per_round[r] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(contenders)]
    wall = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    wall = time.perf_counter() - wall
    latencies.sort()
    return {
        "name": f"booking under contention ({contenders} clients, same slot)",
        "requests": len(latencies),
        "rounds": rounds,
        "seconds": round(wall, 3),
        "rps": len(latencies) / wall,
        "p50_ms": pages._percentile(latencies, 0.5) * 1000,
        "p90_ms": pages._percentile(latencies, 0.9) * 1000,
        "p99_ms": pages._percentile(latencies, 0.99) * 1000,
        "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
        "statuses": statuses,
        "rounds_with_exactly_one_winner": sum(1 for w in wins_per_round if w == 1),
    }


def uncontended(base_url: str, token: str, resource_id: str, *, count: int, first_start: datetime) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        wall = time.perf_counter()
        for i in range(count):
            start = first_start + timedelta(hours=2 * i)
            body = {
                "resource_id": resource_id,
                "start_at": start.isoformat(),
                "end_at": (start + timedelta(hours=1)).isoformat(),
            }
            began = time.perf_counter()
            response = http.post("/api/v1/bookings", json=body)
            latencies.append(time.perf_counter() - began)
            statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
        wall = time.perf_counter() - wall
    latencies.sort()
    return {
        "name": "booking, one client, free slots",
        "requests": count,
        "seconds": round(wall, 3),
        "rps": count / wall,
        "p50_ms": pages._percentile(latencies, 0.5) * 1000,
        "p90_ms": pages._percentile(latencies, 0.9) * 1000,
        "p99_ms": pages._percentile(latencies, 0.99) * 1000,
        "max_ms": latencies[-1] * 1000,
        "statuses": statuses,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    resource_id = prepare(args.database_url, bookings=args.bookings, regenerate=args.regenerate)
    pages.RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_path = pages.RESULTS / f"facilities-server-{stamp}.log"
    today = date.today()
    this_week, full_week = _iso_week(today), _iso_week(today - timedelta(weeks=30))
    load_before = os.getloadavg()
    with (
        pages.running_server(args.database_url, log_path=log_path) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as http,
    ):
        cookie = pages.page_cookie(http, "founder@demo.example.org")
        token = pages.api_token(http, "founder@demo.example.org")
        targets = [
            (pages.Target("baseline: /healthz", "/healthz", auth="none", expect='"ok"'), {}),
            (
                pages.Target(
                    "availability page, this week (50k past bookings)",
                    f"/facilities/resources/{resource_id}?week={this_week}",
                    expect="Book " + BENCH_RESOURCE,
                ),
                {"Cookie": cookie, "Accept": "text/html"},
            ),
            (
                pages.Target(
                    "availability page, a full past week",
                    f"/facilities/resources/{resource_id}?week={full_week}",
                    expect="slot-mine",
                ),
                {"Cookie": cookie, "Accept": "text/html"},
            ),
            (
                pages.Target(
                    "availability API, this week",
                    f"/api/v1/resources/{resource_id}/availability?week={this_week}",
                    auth="api",
                    expect="free_minutes",
                ),
                {"Authorization": f"Bearer {token}"},
            ),
        ]
        for target, headers in targets:
            first = http.get(target.path, headers=headers)
            if first.status_code != 200 or (target.expect and target.expect not in first.text):
                raise pages.BenchError(f"{target.name} answered {first.status_code}: {first.text[:300]}")
        results: list[dict[str, Any]] = []
        with ProcessPoolExecutor(max_workers=args.processes, mp_context=get_context("spawn")) as executor:
            pages._warm_pool(executor, args.processes)
            for target, headers in targets:
                console.print(f"Measuring {target.name} …")
                m = pages.measure(
                    executor,
                    base_url,
                    target,
                    headers,
                    processes=args.processes,
                    concurrency=args.concurrency,
                    warmup=args.warmup,
                    duration=args.duration,
                    max_requests=200_000,
                )
                results.append(asdict(m))
                time.sleep(0.5)
        # Bookings far ahead, in a stretch of the calendar nobody else uses; each run of the bench moves on.
        offset = int(time.time()) % 1000
        first = datetime.combine(today + timedelta(days=60 + offset % 200), datetime.min.time(), UTC)
        console.print("Measuring booking without contention …")
        results.append(uncontended(base_url, token, resource_id, count=args.rounds, first_start=first))
        console.print(f"Measuring booking under contention ({args.contenders} clients x {args.rounds} rounds) …")
        results.append(
            contention(
                base_url,
                token,
                resource_id,
                rounds=args.rounds,
                contenders=args.contenders,
                first_start=first + timedelta(hours=2 * args.rounds + 4),
            )
        )
        with ProcessPoolExecutor(max_workers=args.processes, mp_context=get_context("spawn")) as executor:
            pages._warm_pool(executor, args.processes)
            again = pages.Target("baseline again: /healthz", "/healthz", auth="none")
            results.append(
                asdict(
                    pages.measure(
                        executor,
                        base_url,
                        again,
                        {},
                        processes=args.processes,
                        concurrency=args.concurrency,
                        warmup=args.warmup,
                        duration=args.duration,
                        max_requests=200_000,
                    )
                )
            )
    if log_path.exists() and log_path.stat().st_size == 0:
        log_path.unlink()
    baseline_runs = [r for r in results if r.get("path") == "/healthz"]
    baseline = {
        "rps": sum(r["rps"] for r in baseline_runs) / len(baseline_runs),
        "p50_ms": sum(r["p50_ms"] for r in baseline_runs) / len(baseline_runs),
        "p99_ms": sum(r["p99_ms"] for r in baseline_runs) / len(baseline_runs),
    }
    report = {
        "started_at": stamp,
        "machine": {"cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before]},
        "database": {"backend": "postgresql", "past_bookings": args.bookings},
        "load": {"concurrency": args.concurrency, "duration_seconds": args.duration, "contenders": args.contenders},
        "results": results,
        "baseline": baseline,
    }
    path = pages.RESULTS / f"facilities-{stamp}.json"
    path.write_text(json.dumps(report, indent=2))
    report["path"] = str(path)
    return report


def print_report(report: dict[str, Any]) -> None:
    base = report["baseline"]
    table = Table(
        title=f"Facilities on PostgreSQL, {report['database']['past_bookings']:,} past bookings, "
        f"{report['load']['concurrency']} clients for page loads, {report['machine']['cpus']} CPUs"
    )
    for column in ("Target", "requests", "req/s", "p50 ms", "p99 ms", "p50 vs baseline", "p99 vs baseline", "statuses"):
        table.add_column(column, justify="left" if column in ("Target", "statuses") else "right")
    for r in report["results"]:
        table.add_row(
            r["name"],
            str(r["requests"]),
            f"{r['rps']:,.0f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            f"{r['p50_ms'] / base['p50_ms']:.1f}x",
            f"{r['p99_ms'] / base['p99_ms']:.1f}x",
            ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items())),
        )
    console.print(table)
    for r in report["results"]:
        if "rounds_with_exactly_one_winner" in r:
            console.print(
                f"Contention: {r['rounds_with_exactly_one_winner']} of {r['rounds']} rounds had exactly one winner."
            )
    console.print(f"Result written to {report['path']}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.facilities_bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=DEFAULT_URL, help=f"PostgreSQL database to build (default {DEFAULT_URL})")
    p.add_argument("--bookings", type=int, default=50_000, help="Past bookings of the benchmark resource")
    p.add_argument("--regenerate", action="store_true", help="Rebuild the database even if it holds the data")
    p.add_argument("--concurrency", type=int, default=4, help="Clients for the page loads (default 4)")
    p.add_argument("--processes", type=int, default=1, help="Load-generator processes (default 1)")
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--duration", type=float, default=6.0, help="Measured seconds per page target (max 60)")
    p.add_argument("--contenders", type=int, default=8, help="Clients racing for each slot (default 8)")
    p.add_argument("--rounds", type=int, default=40, help="Contended slots (default 40)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if not generate.is_postgres(args.database_url):
            raise pages.BenchError(
                "This benchmark measures PostgreSQL (the exclusion constraint): give a postgresql:// URL."
            )
        if not 0 < args.duration <= 60 or not 1 <= args.contenders <= 64 or not 1 <= args.rounds <= 500:
            raise pages.BenchError("--duration must be in (0, 60], --contenders 1-64 and --rounds 1-500.")
        report = run(args)
    except pages.BenchError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
