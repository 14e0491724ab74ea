"""The registry of data-generator steps: each package adds a module here that registers its own.

A module in this folder declares its steps with the `register` decorator; `load_steps()` imports every module of the
folder (so adding `bench/generators/cohorts.py` is enough, nothing else to edit) and returns the steps in order.
Orders follow the demo data: users 10, startups 20, cohorts 30, facilities 40, mentors/investors 50, billing 60.

A step receives a `Context`: the connection, a seeded random generator, the scale, a fixed password hash, the rows
earlier steps produced (`ctx.shared`, e.g. `ctx.shared["startups"]`) and `ctx.insert(table, rows)`, which writes
rows in batches with SQLAlchemy Core and advances the progress bar.
"""

from __future__ import annotations

import importlib
import pkgutil
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa
from rich.progress import Progress, TaskID
from sqlalchemy.engine import Connection


@dataclass
class Context:
    connection: Connection
    rng: random.Random
    startups: int
    now: datetime
    password_hash: str
    progress: Progress
    batch_size: int = 2000
    shared: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    task: TaskID | None = None

    def insert(self, table: Any, rows: Iterable[dict[str, Any]]) -> int:
        """Insert `rows` (dicts with the same keys) into `table` (a Table or a table model) in batches."""
        target: sa.Table = table if isinstance(table, sa.Table) else table.__table__
        statement = sa.insert(target)
        written = 0
        iterator: Iterator[dict[str, Any]] = iter(rows)
        while batch := list(islice(iterator, self.batch_size)):
            self.connection.execute(statement, batch)
            written += len(batch)
            if self.task is not None:
                self.progress.advance(self.task, len(batch))
        self.counts[target.name] = self.counts.get(target.name, 0) + written
        return written


@dataclass(frozen=True)
class GeneratorStep:
    name: str
    order: int
    run: Callable[[Context], None]
    # Rows the step will write for a given number of startups: only sizes the progress bar.
    estimate: Callable[[int], int]


_steps: dict[str, GeneratorStep] = {}


def register(
    name: str, *, order: int, estimate: Callable[[int], int] = lambda n: n
) -> Callable[[Callable[[Context], None]], Callable[[Context], None]]:
    """Declare a generator step: `@register("startups", order=20, estimate=lambda n: 8 * n)`."""

    def decorate(run: Callable[[Context], None]) -> Callable[[Context], None]:
        _steps[name] = GeneratorStep(name, order, run, estimate)
        return run

    return decorate


def load_steps() -> list[GeneratorStep]:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))


def weighted(rng: random.Random, weights: dict[Any, float]) -> Any:
    """One key of `weights`, chosen with probability proportional to its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]
