"""Fixture `stripe_server`: a localstripe (a stateful fake of Stripe's API, GPL, test-only) on a loopback port.

Started once per worker as a subprocess; its data is emptied before each test. Where localstripe is not installed
the tests that need it are skipped, except under CI, where that is a failure.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.backends import in_ci


@dataclass(frozen=True)
class StripeServer:
    url: str

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.url}/_config/data", method="DELETE")
        urllib.request.urlopen(req, timeout=10).read()

    def register_webhook(self, name: str, url: str, secret: str) -> None:
        data = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
        req = urllib.request.Request(f"{self.url}/_config/webhooks/{name}", data=data, method="POST")
        urllib.request.urlopen(req, timeout=10).read()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _localstripe_command() -> list[str] | None:
    beside = Path(sys.executable).parent / "localstripe"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("localstripe")
    return [found] if found else None


@pytest.fixture(scope="session")
def _stripe_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StripeServer]:
    command = _localstripe_command()
    if command is None:
        if in_ci():
            pytest.fail("CI must run the Stripe tests: localstripe is not installed")
        pytest.skip("localstripe is not installed (pip install localstripe)")
    port = free_port()
    log = (tmp_path_factory.mktemp("localstripe") / "localstripe.log").open("wb")
    proc = subprocess.Popen([*command, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    server = StripeServer(url=f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    while True:
        try:
            server.reset()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("localstripe did not start")
            time.sleep(0.2)
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def stripe_server(_stripe_process: StripeServer) -> StripeServer:
    _stripe_process.reset()
    return _stripe_process
