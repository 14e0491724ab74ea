"""How long threads of one process wait for SQLite, with and without the kernel's in-process queue.

    python -m bench.sqlite_queue [--threads 8] [--hold-ms 4] [--seconds 8]

Every SQLite transaction of the app takes the write lock at BEGIN (`BEGIN IMMEDIATE`). Without a queue, waiting
threads poll SQLite's busy handler, whose sleeps grow to 100 ms, and the thread that just committed wins again and
again; `incubator.db` therefore makes the threads of a process take turns on a lock first. This prints, for both,
transactions per second and the p50, p99 and longest wait, on temporary database files.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from incubator import db


def measure(path: Path, *, threads: int, hold: float, seconds: float) -> dict[str, float]:
    engine = db.create_db_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    waits: list[float] = []
    stop = time.monotonic() + seconds

    def work() -> None:
        while time.monotonic() < stop:
            began = time.perf_counter()
            with engine.begin() as conn:
                conn.exec_driver_sql("SELECT n FROM t").all()
                time.sleep(hold)
            waits.append(time.perf_counter() - began)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    engine.dispose()
    waits.sort()
    n = len(waits)
    return {
        "tx_per_s": n / seconds,
        "p50_ms": waits[n // 2] * 1000,
        "p99_ms": waits[min(n - 1, int(n * 0.99))] * 1000,
        "max_ms": waits[-1] * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.sqlite_queue", description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--hold-ms", type=float, default=4.0, help="How long each transaction holds the database")
    p.add_argument("--seconds", type=float, default=8.0, help="Per variant (at most 30)")
    args = p.parse_args(argv)
    seconds = min(max(args.seconds, 1.0), 30.0)
    results: dict[str, dict[str, float]] = {}
    original: Any = db._queue_for_sqlite
    with tempfile.TemporaryDirectory(prefix="incubator-sqlite-queue-") as tmp:
        results["in-process queue (the app)"] = measure(
            Path(tmp) / "queue.db", threads=args.threads, hold=args.hold_ms / 1000, seconds=seconds
        )
        db._queue_for_sqlite = lambda engine, lock: None  # type: ignore[assignment]
        try:
            results["busy handler only"] = measure(
                Path(tmp) / "plain.db", threads=args.threads, hold=args.hold_ms / 1000, seconds=seconds
            )
        finally:
            db._queue_for_sqlite = original
    table = Table(title=f"{args.threads} threads, transactions holding SQLite for {args.hold_ms:g} ms")
    for column in ("variant", "tx/s", "p50 ms", "p99 ms", "longest ms"):
        table.add_column(column, justify="left" if column == "variant" else "right")
    for name, r in results.items():
        table.add_row(name, f"{r['tx_per_s']:.0f}", f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", f"{r['max_ms']:.0f}")
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
