"""Fixture `live_server`: the real app served by uvicorn in a subprocess, on its own SQLite database with demo data.

The server is a separate process with its own environment, so nothing the test process does (its cached settings,
`incubator.db.use_session_factory` in rolled-back tests, the test databases) can reach it, and it cannot reach them.
Its database is migrated and loaded with the demo data by the real CLI (`incubator db upgrade`, `incubator demo load`,
which runs every plugin's demo step), e-mail goes over real SMTP to the `smtp_server` fixture, and
`live_server.run_jobs()` runs `incubator jobs run-once` against the same database to send the outbox when a test
wants it sent.

    def test_x(live_server, smtp_server):
        httpx.get(live_server.url + "/healthz")
        live_server.cli("user", "create", "--email", ...)     # any `incubator ...` command, same env
        live_server.run_jobs()                                # send queued e-mail, run due jobs
        smtp_server.wait_for("someone@example.org")

It is session-scoped, so one server per xdist worker; browser tests share the worker of
`@pytest.mark.xdist_group("browser")`. The database is shared by every test of that worker and never rolled back:
create what you change with unique names (e-mail addresses, startup names) instead of editing demo records that other
tests read, or accept that they see your changes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.smtp import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
SECRET = "live-server-secret-key-that-is-long-enough-0123456789abcdef"
START_TIMEOUT = 60.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def incubator_command() -> list[str]:
    """How to run the `incubator` CLI of this checkout: the console script next to this Python, else `python -m cli`."""
    script = Path(sys.executable).parent / "incubator"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


@dataclass
class LiveServer:
    """What the fixture yields: where the app is, its environment, and ways to run its CLI."""

    url: str
    port: int
    database_url: str
    database_path: Path
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes]

    def cli(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run `incubator <args>` with the server's environment (same database, SMTP server, storage)."""
        return run_cli(self.env, *args, check=check, timeout=timeout)

    def run_jobs(self) -> subprocess.CompletedProcess[str]:
        """Run due jobs and send due e-mail once (`incubator jobs run-once`), as the worker would."""
        return self.cli("jobs", "run-once")

    def log(self) -> str:
        """What the server has written to stdout and stderr so far (its access log and errors)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def run_cli(
    env: dict[str, str], *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*incubator_command(), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"`incubator {' '.join(args)}` exited with {result.returncode}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
        )
    return result


def live_environment(*, port: int, workdir: Path, smtp_host: str, smtp_port: int) -> dict[str, str]:
    """The environment of the live server and its CLI: nothing of the test process's `INCUBATOR_*` settings leaks in."""
    database_path = workdir / "live.db"
    env = {key: value for key, value in os.environ.items() if not key.startswith("INCUBATOR_")}
    env.update(
        {
            # development: `incubator demo load` refuses any other environment; cookies are not Secure over http.
            "INCUBATOR_ENVIRONMENT": "development",
            "INCUBATOR_SECRET_KEY": SECRET,
            "INCUBATOR_DATABASE_URL": f"sqlite:///{database_path}",
            "INCUBATOR_DATABASE_PATH": str(database_path),
            "INCUBATOR_STORAGE_DIR": str(workdir / "uploads"),
            "INCUBATOR_BASE_URL": f"http://127.0.0.1:{port}",
            "INCUBATOR_EMAIL_BACKEND": "smtp",
            "INCUBATOR_SMTP_HOST": smtp_host,
            "INCUBATOR_SMTP_PORT": str(smtp_port),
            "INCUBATOR_SMTP_TLS": "none",
            "INCUBATOR_SMTP_USERNAME": "",
            "INCUBATOR_SMTP_PASSWORD": "",
            "INCUBATOR_STRIPE_SECRET_KEY": "",
            "INCUBATOR_STRIPE_PUBLISHABLE_KEY": "",
            # Cheap password hashes keep log-ins fast; the algorithm (argon2id) is the real one.
            "INCUBATOR_ARGON2_TIME_COST": "1",
            "INCUBATOR_ARGON2_MEMORY_KIB": "1024",
            "INCUBATOR_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def _wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the live server exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:200]!r}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.1)
    pytest.fail(
        f"the live server was not ready within {START_TIMEOUT} s ({last}):\n{log_path.read_text(errors='replace')}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app on 127.0.0.1 and a free port, own SQLite database with demo data, e-mail to `smtp_server`."""
    workdir = tmp_path_factory.mktemp("live")
    port = free_port()
    env = live_environment(port=port, workdir=workdir, smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    run_cli(env, "db", "upgrade")
    run_cli(env, "demo", "load")
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    server = LiveServer(
        url=url,
        port=port,
        database_url=env["INCUBATOR_DATABASE_URL"],
        database_path=Path(env["INCUBATOR_DATABASE_PATH"]),
        env=env,
        log_path=log_path,
        process=process,
    )
    try:
        _wait_ready(url, process, log_path)
        yield server
    finally:
        _stop(process)
