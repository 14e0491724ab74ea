"""`incubator billing ...`: run a month from the shell with a progress bar, and verify the hash chains."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(help="Billing: monthly runs and checks.", no_args_is_help=True)
console = Console()


@app.command("run")
def run(
    site: Annotated[str, typer.Option("--site", help="Site code, e.g. LDN")],
    period: Annotated[str, typer.Option("--period", help="Month as YYYY-MM")],
) -> None:
    """Bill a site's month: one draft invoice per startup. Safe to run again; it adds only what is missing."""
    from billing.runs import run_period_by_code
    from billing.service import parse_period
    from incubator.errors import AppError

    try:
        start = parse_period(period)
        with Progress(
            TextColumn("Billing {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task(f"{site} {period}", total=None)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            run_period_by_code(site_code=site, period_start=start, progress=update)
    except AppError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(code=1) from None
    console.print(f"[green]Billing run for {site} {period} complete.[/green]")


@app.command("verify-chain")
def verify_chain() -> None:
    """Check every invoice and credit-note series: numbers 1, 2, 3... and each document's hash intact."""
    from billing.service import verify_chains
    from incubator.db import unit_of_work

    with unit_of_work() as session:
        reports = verify_chains(session)
    bad = False
    for report in reports:
        if report.problems:
            bad = True
            for problem in report.problems:
                console.print(f"[red]{problem}[/red]")
        else:
            console.print(f"{report.series}: {report.documents} document(s), chain intact")
    if bad:
        raise typer.Exit(code=1)
    console.print("[green]All chains verified.[/green]")
