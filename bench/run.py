"""`make bench`: generate the data set if the database does not hold it yet, then run the page benchmark.

    python -m bench.run                                   # 10,000 startups on PostgreSQL at 127.0.0.1:5432
    python -m bench.run --database-url sqlite:///var/bench.db --startups 2000
    make bench BENCH_ARGS="--startups 50000 --duration 10"

A database that already holds exactly `--startups` startups is reused (generation is the slow part); `--regenerate`
drops and refills it. Each target is loaded for `--warmup` + `--duration` seconds, so a run stops by itself in a
couple of minutes.
"""

from __future__ import annotations

import argparse
import sys

from bench import generate, pages


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=generate.DEFAULT_URL, help=f"default {generate.DEFAULT_URL}")
    p.add_argument("--startups", type=int, default=10_000, help="Scale of the data set (default 10000)")
    p.add_argument("--regenerate", action="store_true", help="Drop and refill the database even if it fits")
    p.add_argument("--seed", type=int, default=42, help="Random seed of the generator")
    pages.add_load_options(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = pages.console
    try:
        pages.check_load_options(args)
        if args.startups < 1:
            raise pages.BenchError("--startups must be at least 1.")
        have = generate.count_rows(args.database_url, "startup")
        if args.regenerate or have != args.startups:
            reason = "as asked" if args.regenerate else f"it holds {have if have is not None else 'no'} startups"
            console.print(f"Generating {args.startups:,} startups ({reason}) …")
            generate.print_summary(
                generate.generate(args.database_url, startups=args.startups, seed=args.seed, reset=True)
            )
        else:
            console.print(f"Reusing the {have:,} startups already in the database (--regenerate to refill it).")
        report = pages.run(
            args.database_url,
            processes=args.processes,
            concurrency=args.concurrency,
            warmup=args.warmup,
            duration=args.duration,
            max_requests=args.max_requests,
            only=args.only,
        )
    except (pages.BenchError, generate.GenerateError) as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    pages.print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
