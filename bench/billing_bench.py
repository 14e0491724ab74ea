"""Benchmark of the monthly billing run against a plain bulk insert of the same rows, in the same run.

    python -m bench.billing_bench                                  # 2,000 startups on PostgreSQL at 127.0.0.1:5432
    python -m bench.billing_bench --startups 500 --database-url postgresql://postgres@127.0.0.1:5432/x

Each startup has a lease, a membership, 30 bookings and 3 service orders in the month (35 charges). The run makes one
draft invoice per startup with one line per charge, committing each startup on its own (crash-safe), through the
same code as `incubator billing run`. The baseline inserts the same number of invoice and invoice-line rows with
SQLAlchemy Core executemany in one transaction. The ratio run / baseline must stay at or under 3.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/incubator_billing_bench"
PERIOD = date(2026, 11, 1)
LIMIT = 3.0


def _engine_url(url: str) -> str:
    return "postgresql+psycopg://" + url.removeprefix("postgresql://") if url.startswith("postgresql://") else url


def fresh_database(url: str) -> str:
    real = sa.make_url(_engine_url(url))
    if real.get_backend_name() == "postgresql":
        admin = sa.create_engine(real.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{real.database}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{real.database}"'))
        admin.dispose()
    from incubator.migrations import upgrade

    upgrade(real.render_as_string(hide_password=False))
    return real.render_as_string(hide_password=False)


def seed(engine: sa.engine.Engine, startups: int) -> tuple[uuid.UUID, uuid.UUID]:
    """Two sites (one billed by the run, one for the baseline), startups and 35 charges each at the run's site."""
    from facilities.models import Charge, Site, TaxRate
    from startups.models import Startup

    now = datetime.now(UTC)
    run_site, base_site = uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        for sid, code in ((run_site, "BENCH"), (base_site, "BASE")):
            conn.execute(
                sa.insert(Site),
                [
                    {
                        "id": sid,
                        "name": f"Bench {code}",
                        "code": code,
                        "address": "",
                        "timezone": "Europe/London",
                        "currency": "GBP",
                        "legal_name": "",
                        "legal_address": "",
                        "tax_id": "",
                        "bank_details": "",
                        "invoice_footer": "",
                        "is_active": True,
                        "created_at": now,
                    }
                ],
            )
            conn.execute(
                sa.insert(TaxRate),
                [
                    {
                        "id": uuid.uuid4(),
                        "site_id": sid,
                        "name": "VAT",
                        "rate": Decimal("0.20"),
                        "effective_date": date(2020, 1, 1),
                    }
                ],
            )
        ids = [uuid.uuid4() for _ in range(startups)]
        conn.execute(
            sa.insert(Startup),
            [
                {
                    "id": i,
                    "name": f"Bench startup {n}",
                    "sector": "biomanufacturing",
                    "description": "",
                    "stage": "seed",
                    "trl": 4,
                    "biosafety_level": "none",
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
                for n, i in enumerate(ids)
            ],
        )
        batch: list[dict[str, Any]] = []
        for n, sid in enumerate(ids):
            kinds = (
                [("lease", 150000), ("membership", 45000)]
                + [("booking", 3300 + k) for k in range(30)]
                + [("service", 12345 + k) for k in range(3)]
            )
            for k, (category, amount) in enumerate(kinds):
                batch.append(
                    {
                        "id": uuid.uuid4(),
                        "site_id": run_site,
                        "startup_id": sid,
                        "category": category,
                        "description": f"{category} {k}",
                        "source_type": "bench",
                        "source_ref": f"{n}-{k}",
                        "service_date": date(2026, 11, 1 + k % 28),
                        "period_start": None,
                        "period_end": None,
                        "quantity": Decimal(1),
                        "unit_amount_minor": amount,
                        "amount_minor": amount,
                        "currency": "GBP",
                        "discount_rate": Decimal("0.10") if k % 2 else Decimal(0),
                        "created_at": now,
                        "voided_at": None,
                    }
                )
            if len(batch) >= 10000:
                conn.execute(sa.insert(Charge), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(Charge), batch)
    return run_site, base_site


def baseline(
    engine: sa.engine.Engine, site_id: uuid.UUID, startups: list[uuid.UUID], lines_each: int, period: date = PERIOD
) -> float:
    """The same number of invoice and line rows, inserted with Core executemany in one transaction."""
    from billing.models import Invoice, InvoiceLine

    now = datetime.now(UTC)
    invoices, lines = [], []
    for sid in startups:
        iid = uuid.uuid4()
        invoices.append(
            {
                "id": iid,
                "site_id": site_id,
                "startup_id": sid,
                "period_start": period,
                "status": "draft",
                "currency": "GBP",
                "subtotal_minor": 0,
                "discount_minor": 0,
                "net_minor": 0,
                "tax_minor": 0,
                "total_minor": 0,
                "paid_minor": 0,
                "credited_minor": 0,
                "note": "",
                "reminders_sent": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        for k in range(lines_each):
            lines.append(
                {
                    "id": uuid.uuid4(),
                    "invoice_id": iid,
                    "charge_id": None,
                    "position": k + 1,
                    "category": "booking",
                    "description": f"line {k}",
                    "service_date": PERIOD,
                    "quantity": Decimal(1),
                    "unit_amount_minor": 3300,
                    "amount_minor": 3300,
                    "discount_rate": Decimal(0),
                    "discount_minor": 0,
                    "net_minor": 3300,
                    "tax_name": "VAT",
                    "tax_rate": Decimal("0.2"),
                    "tax_minor": 660,
                    "total_minor": 3960,
                    "credited_minor": 0,
                }
            )
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.insert(Invoice), invoices)
        for i in range(0, len(lines), 10000):
            conn.execute(sa.insert(InvoiceLine), lines[i : i + 10000])
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.billing_bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=DEFAULT_URL)
    p.add_argument("--startups", type=int, default=2000)
    args = p.parse_args(argv)

    import main as app_main  # noqa: F401 - every package's tables and jobs
    from billing.models import Invoice, InvoiceLine
    from billing.runs import BATCH_SIZE, run_period
    from incubator import db as kernel_db

    url = fresh_database(args.database_url)
    engine = kernel_db.create_db_engine(url)
    kernel_db.use_session_factory(lambda: Session(engine, expire_on_commit=False))
    print(f"Seeding {args.startups:,} startups x 35 charges …", flush=True)
    run_site, base_site = seed(engine, args.startups)
    with engine.connect() as conn:
        startup_ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM startup ORDER BY id"))]

    # The baseline runs before and after the run (the machine may be shared); the faster one is used, which makes
    # the ratio the less flattering of the two.
    base_before = baseline(engine, base_site, startup_ids, 35)
    started = time.perf_counter()
    run_period(site_id=run_site, period_start=PERIOD)
    run = time.perf_counter() - started
    base_after = baseline(engine, base_site, startup_ids, 35, period=date(2026, 12, 1))
    base = min(base_before, base_after)
    again_started = time.perf_counter()
    run_period(site_id=run_site, period_start=PERIOD)  # idempotent re-run: nothing to add
    rerun = time.perf_counter() - again_started

    with engine.connect() as conn:
        invoices = conn.execute(
            sa.select(sa.func.count()).select_from(Invoice).where(Invoice.site_id == run_site)  # type: ignore[arg-type]
        ).scalar_one()
        lines = conn.execute(
            sa.select(sa.func.count())
            .select_from(InvoiceLine)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)  # type: ignore[arg-type]
            .where(Invoice.site_id == run_site)  # type: ignore[arg-type]
        ).scalar_one()
    rows = invoices + lines
    ratio = run / base
    print(f"database        {engine.url.get_backend_name()} {engine.url.database}")
    print(f"rows            {invoices:,} invoices + {lines:,} lines = {rows:,}")
    print(
        f"baseline        {base:8.2f} s  bulk insert of the same rows, one transaction "
        f"(before {base_before:.2f} s, after {base_after:.2f} s)"
    )
    print(f"billing run     {run:8.2f} s  one transaction per {BATCH_SIZE} startups ({rows / run:,.0f} rows/s)")
    print(f"re-run          {rerun:8.2f} s  (idempotent: adds nothing)")
    print(f"ratio           {ratio:8.2f}  (limit {LIMIT})")
    kernel_db.use_session_factory(None)
    engine.dispose()
    return 0 if ratio <= LIMIT and invoices == args.startups and lines == args.startups * 35 else 1


if __name__ == "__main__":
    sys.exit(main())
