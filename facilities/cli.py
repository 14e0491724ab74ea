"""`incubator facilities ...`: the monthly charge step from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="Sites, equipment, bookings and charges.", no_args_is_help=True)
console = Console()


@app.command("charges")
def charges(
    period: Annotated[str, typer.Option(help="Month, YYYY-MM")],
    site: Annotated[str | None, typer.Option(help="Site code; every active site if omitted")] = None,
) -> None:
    """Create the charges of a month (idempotent: a second run adds nothing)."""
    from facilities import service
    from facilities.repository import SiteRepository
    from incubator.db import unit_of_work
    from incubator.errors import AppError

    try:
        with unit_of_work() as session:
            month = service.parse_period(period)
            repo = SiteRepository(session)
            if site:
                found = repo.by_code(site)
                if found is None:
                    console.print(f"[red]No site with the code {site}.[/red]")
                    raise typer.Exit(code=1)
                sites = [found]
            else:
                sites = repo.all()
            for s in sites:
                result = service.run_charge_step(session, site=s, period=month, actor=None)
                console.print(f"{s.code} {period}: {result.created} new charge(s), {result.existing} already there.")
    except AppError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(code=1) from exc
