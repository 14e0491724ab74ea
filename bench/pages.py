"""Page benchmark: requests/s and p50/p99 latency of a few pages, against a bare endpoint of the same server.

Starts the app with uvicorn in a subprocess (production settings, one worker, logs at warning) on a free loopback
port, signs in as the demo users (a page cookie through the log-in form, a bearer token through the OAuth2 password
flow) and loads each target in turn with a bounded load generator: `--processes` processes x `--concurrency` threads
in all, each thread an httpx client with keep-alive, for `--warmup` + `--duration` seconds per target. The baseline
is `/healthz` of the same server, measured in the same run, so the ratios say what the page itself costs on this
machine whatever the machine is.

    python -m bench.pages --database-url postgresql://postgres@127.0.0.1:5432/incubator_bench

Prints a table and writes a JSON result to `bench/results/` (ignored by git). Only loopback traffic.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/incubator_bench"
PASSWORD = "demo-password"
USERS = {
    "admin": "admin@demo.example.org",
    "pm": "pm@demo.example.org",
    "founder": "founder@demo.example.org",
}
console = Console()
if not console.is_terminal:
    console = Console(width=150)


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    auth: str = "page"  # "none", "page" (session cookie) or "api" (bearer token)
    user: str = "pm"
    expect: str | None = None  # text the first response must contain, so a broken page is not measured as fast


def targets(detail_id: str) -> list[Target]:
    return [
        Target("baseline: /healthz", "/healthz", auth="none", expect='"ok"'),
        Target("dashboard (programme manager)", "/", expect="Welcome"),
        Target("dashboard (admin)", "/", user="admin", expect="Administration"),
        Target("startups list page", "/startups", expect="Startups"),
        Target(
            "startups list page, filtered and sorted",
            "/startups?sector=therapeutics&sort=created&dir=desc&offset=100",
            expect="Startups",
        ),
        Target("startups list page (founder)", "/startups", user="founder", expect="Startups"),
        Target("startups API list, limit 50", "/api/v1/startups?limit=50", auth="api", expect='"total"'),
        Target("startup detail page", f"/startups/{detail_id}", expect="TRL"),
    ]


@dataclass
class Measurement:
    name: str
    path: str
    user: str | None
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    client_cpu: float  # cores the load generator used during the window: near its process count = client-bound
    statuses: dict[str, int] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(database_url: str, port: int, storage: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    env.update(
        {
            "INCUBATOR_DATABASE_URL": database_url,
            "INCUBATOR_ENVIRONMENT": "production",
            "INCUBATOR_SECRET_KEY": secrets.token_urlsafe(48),
            "INCUBATOR_LOG_LEVEL": "WARNING",
            "INCUBATOR_BASE_URL": f"http://127.0.0.1:{port}",
            "INCUBATOR_STORAGE_DIR": str(storage),
        }
    )
    return env


@contextmanager
def running_server(database_url: str, *, log_path: Path, startup_timeout: float = 60) -> Iterator[str]:
    """Serve the app on a free loopback port until the block ends; yields its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with tempfile.TemporaryDirectory(prefix="incubator-bench-") as storage, log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=server_env(database_url, port, Path(storage)), stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + startup_timeout
            while True:
                if process.poll() is not None:
                    raise BenchError(f"The server exited with code {process.returncode}; see {log_path}.")
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise BenchError(f"The server did not answer within {startup_timeout:.0f} s; see {log_path}.")
                time.sleep(0.2)
            ready = httpx.get(f"{base_url}/readyz", timeout=10)
            if ready.status_code != 200:
                raise BenchError(f"/readyz says {ready.text}: generate or migrate the database first.")
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def api_token(client: httpx.Client, email: str) -> str:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    if response.status_code != 200:
        raise BenchError(f"Could not get a token for {email}: {response.status_code} {response.text[:200]}")
    return str(response.json()["access_token"])


def page_cookie(client: httpx.Client, email: str) -> str:
    """Sign in through the log-in form as a browser does; returns the Cookie header to send afterwards.

    The cookies are `Secure` in production, so they are sent by hand rather than by httpx's cookie jar (which
    rightly keeps secure cookies off plain http).
    """
    form = client.get("/login")
    csrf_cookie = form.cookies.get("incubator_csrf")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if not csrf_cookie or not found:
        raise BenchError("The log-in page has no CSRF cookie or token.")
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": found.group(1), "next": "/"},
        headers={"Cookie": f"incubator_csrf={csrf_cookie}"},
    )
    session = response.cookies.get("incubator_session")
    if response.status_code != 303 or not session:
        raise BenchError(f"Could not log in as {email}: {response.status_code} {response.text[:200]}")
    return f"incubator_session={session}; incubator_csrf={csrf_cookie}"


def _load(
    base_url: str,
    path: str,
    headers: dict[str, str],
    threads: int,
    start_at: float,
    measure_from: float,
    stop_at: float,
    max_requests: int,
) -> tuple[list[float], dict[str, int], float, float]:
    """One load-generator process: `threads` keep-alive clients hitting `path` until `stop_at` (monotonic clock,
    shared by the processes of one machine). Returns the latencies measured after `measure_from`, the status
    counts, and this process's CPU seconds and wall seconds over the measured window."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    statuses: list[Counter[str]] = [Counter() for _ in range(threads)]
    budget = [max_requests]
    lock = threading.Lock()

    def worker(index: int) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            while time.monotonic() < start_at:
                time.sleep(0.001)
            while (now := time.monotonic()) < stop_at:
                began = time.perf_counter()
                try:
                    status = str(client.get(path).status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                elapsed = time.perf_counter() - began
                if now >= measure_from:
                    latencies[index].append(elapsed)
                    statuses[index][status] += 1
                    with lock:
                        budget[0] -= 1
                        if budget[0] <= 0:
                            return

    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    while time.monotonic() < measure_from:
        time.sleep(0.001)
    cpu_start, wall_start = time.process_time(), time.monotonic()
    for t in pool:
        t.join()
    cpu, wall = time.process_time() - cpu_start, time.monotonic() - wall_start
    merged: Counter[str] = Counter()
    for c in statuses:
        merged.update(c)
    return [x for chunk in latencies for x in chunk], dict(merged), cpu, wall


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(
    executor: ProcessPoolExecutor,
    base_url: str,
    target: Target,
    headers: dict[str, str],
    *,
    processes: int,
    concurrency: int,
    warmup: float,
    duration: float,
    max_requests: int,
) -> Measurement:
    start_at = time.monotonic() + 1.0  # time for the processes to open their clients
    measure_from = start_at + warmup
    stop_at = measure_from + duration
    threads = [concurrency // processes + (1 if i < concurrency % processes else 0) for i in range(processes)]
    futures = [
        executor.submit(
            _load, base_url, target.path, headers, n, start_at, measure_from, stop_at, max_requests // processes
        )
        for n in threads
        if n
    ]
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    cpu = 0.0
    wall = 0.0
    for future in futures:
        lat, st, c, w = future.result(timeout=warmup + duration + 120)
        latencies.extend(lat)
        statuses.update(st)
        cpu += c
        wall = max(wall, w)
    latencies.sort()
    window = max(wall, 1e-9)
    errors = sum(n for s, n in statuses.items() if s != "200")
    return Measurement(
        name=target.name,
        path=target.path,
        user=None if target.auth == "none" else target.user,
        requests=len(latencies),
        errors=errors,
        seconds=round(window, 3),
        rps=len(latencies) / window,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p90_ms=_percentile(latencies, 0.90) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        mean_ms=(sum(latencies) / len(latencies) * 1000) if latencies else float("nan"),
        max_ms=(latencies[-1] * 1000) if latencies else float("nan"),
        client_cpu=round(cpu / window, 2),
        statuses=dict(statuses),
    )


def _warm_pool(executor: ProcessPoolExecutor, processes: int) -> None:
    # Start the processes (and import httpx in them) before the first measurement.
    for f in [executor.submit(_noop) for _ in range(processes)]:
        f.result(timeout=60)


def _noop() -> None:
    return None


def _headers_for(target: Target, cookies: dict[str, str], tokens: dict[str, str]) -> dict[str, str]:
    if target.auth == "page":
        return {"Cookie": cookies[target.user], "Accept": "text/html"}
    if target.auth == "api":
        return {"Authorization": f"Bearer {tokens[target.user]}", "Accept": "application/json"}
    return {}


def run(
    database_url: str,
    *,
    processes: int = 1,
    concurrency: int = 8,
    warmup: float = 1.0,
    duration: float = 6.0,
    max_requests: int = 200_000,
    only: str | None = None,
) -> dict[str, Any]:
    """Start the server, sign in, measure every target; returns the report (also written to bench/results/)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_path = RESULTS / f"server-{stamp}.log"
    load_before = os.getloadavg()
    with (
        running_server(database_url, log_path=log_path) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        cookies = {role: page_cookie(client, email) for role, email in USERS.items()}
        tokens = {"pm": api_token(client, USERS["pm"])}
        listing = client.get("/api/v1/startups?limit=1", headers={"Authorization": f"Bearer {tokens['pm']}"}).json()
        total = int(listing["total"])
        if total == 0:
            raise BenchError("The database has no startups: run python -m bench.generate first.")
        middle = client.get(
            f"/api/v1/startups?limit=1&offset={total // 2}&sort=created",
            headers={"Authorization": f"Bearer {tokens['pm']}"},
        ).json()
        chosen = [t for t in targets(middle["items"][0]["id"]) if only is None or only in t.name or t.auth == "none"]
        # The baseline again at the end: on a shared machine the load drifts, and the ratios use the mean of both.
        chosen.append(Target("baseline again: /healthz", "/healthz", auth="none", expect='"ok"'))
        for target in chosen:
            first = client.get(target.path, headers=_headers_for(target, cookies, tokens))
            if first.status_code != 200 or (target.expect and target.expect not in first.text):
                raise BenchError(f"{target.name} ({target.path}) answered {first.status_code}: {first.text[:300]}")
        results: list[Measurement] = []
        with ProcessPoolExecutor(max_workers=processes, mp_context=get_context("spawn")) as executor:
            _warm_pool(executor, processes)
            for target in chosen:
                console.print(f"Measuring {target.name} ({target.path}) …")
                results.append(
                    measure(
                        executor,
                        base_url,
                        target,
                        _headers_for(target, cookies, tokens),
                        processes=processes,
                        concurrency=concurrency,
                        warmup=warmup,
                        duration=duration,
                        max_requests=max_requests,
                    )
                )
                time.sleep(0.5)
    if log_path.stat().st_size == 0:
        log_path.unlink()
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    report = {
        "started_at": stamp,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_before],
        },
        "database": {"backend": backend, "startups": total},
        "load": {
            "engine": "httpx threads",
            "processes": processes,
            "concurrency": concurrency,
            "warmup_seconds": warmup,
            "duration_seconds": duration,
        },
        "server": {"workers": 1, "environment": "production", "log_level": "warning"},
        "results": [asdict(r) for r in results],
    }
    report["baseline"] = baseline_of(report["results"])
    report["ratios"] = {
        r.name: {
            "rps_vs_baseline": r.rps / report["baseline"]["rps"],
            "p50_vs_baseline": r.p50_ms / report["baseline"]["p50_ms"],
        }
        for r in results
        if r.path != "/healthz" and report["baseline"]["rps"] and r.requests
    }
    path = RESULTS / f"pages-{backend}-{total}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2))
    report["path"] = str(path)
    return report


def baseline_of(results: list[dict[str, Any]]) -> dict[str, float]:
    """The mean of the baseline runs (first and last), which every page is compared with."""
    runs = [r for r in results if r["path"] == "/healthz"]
    return {
        "rps": sum(r["rps"] for r in runs) / len(runs),
        "p50_ms": sum(r["p50_ms"] for r in runs) / len(runs),
        "spread": (max(r["rps"] for r in runs) / min(r["rps"] for r in runs)) if min(r["rps"] for r in runs) else 0,
    }


def print_report(report: dict[str, Any]) -> None:
    results = report["results"]
    baseline = report["baseline"]
    table = Table(
        title=(
            f"{report['database']['startups']:,} startups on {report['database']['backend']}, "
            f"{report['load']['concurrency']} clients, {report['load']['duration_seconds']:g} s each, "
            f"{report['machine']['cpus']} CPUs"
        )
    )
    table.add_column("Target")
    table.add_column("req/s", justify="right")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_column("req/s vs baseline", justify="right")
    table.add_column("p50 vs baseline", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("client CPU", justify="right")
    for r in results:
        measured = r["requests"] > 0
        table.add_row(
            r["name"],
            f"{r['rps']:,.0f}",
            f"{r['p50_ms']:.1f}" if measured else "timed out",
            f"{r['p99_ms']:.1f}" if measured else "-",
            f"{r['rps'] / baseline['rps']:.3f}x" if baseline["rps"] else "-",
            f"{r['p50_ms'] / baseline['p50_ms']:.1f}x" if measured and baseline["p50_ms"] else "-",
            str(r["errors"]),
            f"{r['client_cpu']:.2f}",
        )
    console.print(table)
    if baseline["spread"] > 1.25:
        console.print(
            f"[yellow]The two baseline runs differ by {baseline['spread']:.2f}x: the machine's load changed during "
            "the run, so the ratios are rough. Run again on a quieter machine.[/yellow]"
        )
    console.print(
        "req/s vs baseline: the page's throughput as a share of /healthz's; p50 vs baseline: how many times longer "
        "its median request takes. client CPU: cores the load generator used (near its process count: the "
        "generator, not the server, was the limit)."
    )
    console.print(f"Result written to {report['path']}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=DEFAULT_URL, help=f"A generated database (default {DEFAULT_URL})")
    add_load_options(p)
    return p


def add_load_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--concurrency", type=int, default=8, help="Concurrent clients (default 8)")
    p.add_argument("--processes", type=int, default=1, help="Load-generator processes (default 1)")
    p.add_argument("--warmup", type=float, default=1.0, help="Seconds of unmeasured load per target (default 1)")
    p.add_argument("--duration", type=float, default=6.0, help="Measured seconds per target (default 6, max 60)")
    p.add_argument("--max-requests", type=int, default=200_000, help="Stop a target after this many requests")
    p.add_argument("--only", help="Measure only the targets whose name contains this (and the baseline)")


def check_load_options(args: argparse.Namespace) -> None:
    if not 1 <= args.concurrency <= 256 or not 1 <= args.processes <= args.concurrency:
        raise BenchError("--concurrency must be 1-256 and --processes between 1 and --concurrency.")
    if not 0 < args.duration <= 60 or not 0 <= args.warmup <= 30:
        raise BenchError("--duration must be in (0, 60] seconds and --warmup in [0, 30]: a run stays bounded.")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        check_load_options(args)
        report = run(
            args.database_url,
            processes=args.processes,
            concurrency=args.concurrency,
            warmup=args.warmup,
            duration=args.duration,
            max_requests=args.max_requests,
            only=args.only,
        )
    except BenchError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
