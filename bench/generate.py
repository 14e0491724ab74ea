"""Fill a database with realistic data at a chosen scale, for benchmarks.

    python -m bench.generate --database-url postgresql://postgres@127.0.0.1:5432/incubator_bench --startups 10000
    python -m bench.generate --database-url sqlite:///var/bench.db --startups 10000

Creates the database if it is missing (PostgreSQL), migrates it to head, then runs every registered generator step
(`bench/generators/*.py`) with bulk inserts. The demo log-ins (`admin@demo.example.org` ... with the password
`demo-password`) are included; every generated founder has the same password. A database that already holds users
is refused unless `--reset` is given, which drops and recreates it.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bench.generators import Context, load_steps

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/incubator_bench"
console = Console()


class GenerateError(Exception):
    """A problem with the target database, explained in a sentence."""


def sqlalchemy_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def is_postgres(url: str) -> bool:
    return sa.make_url(sqlalchemy_url(url)).get_backend_name() == "postgresql"


def _sqlite_path(url: str) -> Path:
    database = sa.make_url(url).database
    if not database or database == ":memory:":
        raise GenerateError("Give SQLite a file: sqlite:///var/bench.db")
    return Path(database)


def prepare_database(url: str, *, reset: bool) -> None:
    """Create the database if it is missing; with `reset`, drop it first."""
    if not is_postgres(url):
        path = _sqlite_path(url)
        if reset:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    target = sa.make_url(sqlalchemy_url(url))
    name = target.database or ""
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise GenerateError(f"Use a plain database name (letters, digits, underscores), not {name!r}.")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if exists and reset:
                conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                exists = None
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        raise GenerateError(f"Cannot reach PostgreSQL at {target.host}:{target.port}: {exc.orig}") from exc
    finally:
        admin.dispose()


def count_rows(url: str, table: str) -> int | None:
    """Rows in `table`, or None when the database or the table does not exist."""
    if not is_postgres(url) and not _sqlite_path(url).exists():
        return None
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()


@dataclass
class Summary:
    url: str
    startups: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)


def generate(url: str, *, startups: int, seed: int = 42, batch_size: int = 2000, reset: bool = False) -> Summary:
    from incubator.db import create_db_engine
    from incubator.demo import DEMO_PASSWORD
    from incubator.migrations import upgrade
    from incubator.security import hash_password

    started = time.perf_counter()
    prepare_database(url, reset=reset)
    console.print(f"Migrating {_safe(url)} …")
    upgrade(sqlalchemy_url(url))
    existing = count_rows(url, "user_account")
    if existing:
        raise GenerateError(f"The database already has {existing} users. Pass --reset to drop and recreate it.")
    # One argon2 hash for everyone: hashing 30,000 passwords would take an hour and measure nothing.
    password_hash = hash_password(DEMO_PASSWORD)
    steps = load_steps()
    engine = create_db_engine(sqlalchemy_url(url))
    summary = Summary(url=_safe(url), startups=startups, seconds=0.0)
    columns = (
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with engine.connect() as conn, Progress(*columns, console=console) as progress:
            ctx = Context(
                connection=conn,
                rng=random.Random(seed),
                startups=startups,
                now=datetime.now(UTC),
                password_hash=password_hash,
                progress=progress,
                batch_size=batch_size,
            )
            for step in steps:
                ctx.task = progress.add_task(step.name, total=step.estimate(startups))
                step.run(ctx)
                conn.commit()
                progress.update(ctx.task, total=progress.tasks[ctx.task].completed)
            summary.rows = dict(ctx.counts)
    finally:
        engine.dispose()
    _analyze(url)
    summary.seconds = time.perf_counter() - started
    return summary


def _analyze(url: str) -> None:
    """Fresh planner statistics, as a production database would have after autovacuum."""
    engine = sa.create_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("VACUUM ANALYZE" if is_postgres(url) else "ANALYZE"))
    finally:
        engine.dispose()


def _safe(url: str) -> str:
    return sa.make_url(sqlalchemy_url(url)).render_as_string(hide_password=True)


def print_summary(summary: Summary) -> None:
    console.print(f"Generated {summary.startups:,} startups in {summary.seconds:.1f} s into {summary.url}")
    table = Table()
    table.add_column("Table")
    table.add_column("Rows", justify="right")
    for name, rows in sorted(summary.rows.items()):
        table.add_row(name, f"{rows:,}")
    console.print(table)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=DEFAULT_URL, help=f"SQLAlchemy URL (default {DEFAULT_URL})")
    p.add_argument("--startups", type=int, default=10_000, help="How many startups (default 10000)")
    p.add_argument("--seed", type=int, default=42, help="Random seed, for repeatable data")
    p.add_argument("--batch-size", type=int, default=2000, help="Rows per INSERT batch")
    p.add_argument("--reset", action="store_true", help="Drop and recreate the database first")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.startups < 1:
        console.print("[red]--startups must be at least 1.[/red]")
        return 2
    try:
        summary = generate(
            args.database_url, startups=args.startups, seed=args.seed, batch_size=args.batch_size, reset=args.reset
        )
    except GenerateError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    print_summary(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
