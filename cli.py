"""The `incubator` command: serve, database, demo data, users, worker and jobs, plus each package's commands."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from incubator.config import get_settings
from incubator.models import Role

app = typer.Typer(help="Run and operate Incubator.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(user_app, name="user")
app.add_typer(jobs_app, name="jobs")
console = Console()


def _mount_package_commands() -> None:
    from main import PLUGINS

    for plugin in PLUGINS:
        if plugin.cli is not None:
            app.add_typer(plugin.cli, name=plugin.name)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL only for more than one)")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
) -> None:
    """Serve the web application and API."""
    import uvicorn

    uvicorn.run("main:app", host=host, port=port, workers=workers, reload=reload, proxy_headers=True)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "heads") -> None:
    """Apply migrations up to the latest (or the given) revision."""
    from incubator.migrations import upgrade

    settings = get_settings()
    if settings.is_sqlite:
        settings.database_path.parent.mkdir(parents=True, exist_ok=True)
    upgrade(settings.sqlalchemy_url, revision)
    console.print(f"[green]Database at {revision}.[/green]")


@demo_app.command("load")
def demo_load(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing when users already exist")] = False,
) -> None:
    """Load the demo data (development only)."""
    from rich.progress import Progress

    import main
    from incubator.db import unit_of_work
    from incubator.plugins import demo_steps
    from incubator.repository import UserRepository

    settings = get_settings()
    if settings.environment != "development":
        console.print("[red]Demo data is only loaded in development (INCUBATOR_ENVIRONMENT=development).[/red]")
        raise typer.Exit(code=2)
    main.install_plugins()
    with unit_of_work() as session:
        if UserRepository(session).count() > 0:
            if if_empty:
                console.print("Database is not empty: demo data not loaded.")
                return
            console.print("[red]The database already has users; load demo data into an empty database.[/red]")
            raise typer.Exit(code=2)
        steps = demo_steps()
        with Progress(console=console) as progress:
            task = progress.add_task("Loading demo data", total=len(steps))
            for step in steps:
                progress.update(task, description=f"Loading {step.name}")
                step.load(session)
                session.flush()
                progress.advance(task)
    print_demo_logins()


def print_demo_logins() -> None:
    from incubator.demo import DEMO_PASSWORD, DEMO_USERS

    table = Table(title="Demo log-ins")
    table.add_column("Role")
    table.add_column("E-mail")
    table.add_column("Password")
    for email, _name, roles in DEMO_USERS:
        table.add_row(", ".join(r.label for r in roles), email, DEMO_PASSWORD)
    console.print(table)


@demo_app.command("logins")
def demo_logins() -> None:
    """Print the demo log-ins."""
    print_demo_logins()


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(prompt=True)],
    full_name: Annotated[str, typer.Option(prompt=True)],
    role: Annotated[list[Role], typer.Option(help="Repeat for several roles")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create an active user with the given roles (for the first administrator)."""
    from incubator import service
    from incubator.db import unit_of_work
    from incubator.errors import AppError

    try:
        with unit_of_work() as session:
            user = service.create_user(session, email=email, full_name=full_name, roles=role, password=password)
    except AppError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(code=1) from exc
    console.print(f"[green]Created {user.email} ({', '.join(r.value for r in role)}).[/green]")


@app.command()
def worker(
    poll: Annotated[float | None, typer.Option(help="Seconds between polls when idle")] = None,
) -> None:
    """Run background jobs and send e-mail until stopped."""
    import main
    from incubator.jobs import worker_loop
    from incubator.observability import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    main.install_plugins()
    worker_loop(poll_seconds=poll or settings.worker_poll_seconds)


@jobs_app.command("run-once")
def jobs_run_once() -> None:
    """Run every due job and send due e-mail once, then exit."""
    import main
    from incubator.jobs import run_once

    main.install_plugins()
    result = run_once()
    console.print(f"Sent {result['emails_sent']} e-mail(s), ran {result['jobs_run']} job(s).")


_mount_package_commands()

if __name__ == "__main__":
    app()
