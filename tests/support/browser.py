"""Fixtures `browser` and `page`: Chromium driven by Playwright against the `live_server`; helpers `login`/`logout`.

    pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

    def test_x(page):
        login(page, "pm@demo.example.org")
        page.goto("/startups")                      # relative to live_server.url
        expect(page.get_by_role("heading", name="Startups")).to_be_visible()

Put browser tests in tests/browser/ (the run's summary counts them as "browser"), mark them `browser` and put them
in the `browser` xdist group so one worker runs them all with one live server. Without Chromium they are skipped with
the reason, except under CI=true where that is a failure. Chromium is the Debian package (`/usr/bin/chromium`, or
INCUBATOR_TEST_CHROMIUM); Playwright never downloads a browser here.

A test that fails leaves a screenshot of each of its pages in the directory printed in the failure report.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.backends import in_ci

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

    from tests.support.live import LiveServer

DEFAULT_TIMEOUT_MS = 10_000
DEMO_PASSWORD = "demo-password"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FAILURE_SHOTS = Path(tempfile.gettempdir()) / "incubator-browser-failures"


def chromium_path() -> str | None:
    """The Chromium executable to drive, or None when there is none."""
    configured = os.environ.get("INCUBATOR_TEST_CHROMIUM", "/usr/bin/chromium")
    if Path(configured).is_file() and os.access(configured, os.X_OK):
        return configured
    return shutil.which(configured)


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A headless Chromium for the whole session (per worker)."""
    executable = chromium_path()
    if executable is None:
        _unavailable(
            "Chromium not found at INCUBATOR_TEST_CHROMIUM or /usr/bin/chromium (install Debian's `chromium` package)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (`make install` installs it)")
    assert executable is not None
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_context(browser: Browser, live_server: LiveServer, **options: Any) -> BrowserContext:
    """A fresh browser context (no cookies) whose relative URLs go to the live server; options as Playwright's."""
    options.setdefault("viewport", {"width": 1280, "height": 800})
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    return context


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh context and page for one test (1280x800, base_url = live_server.url, 10 s timeouts)."""
    context = new_context(browser, live_server)
    the_page = context.new_page()
    try:
        yield the_page
    finally:
        _keep_screenshots_on_failure(request, context)
        context.close()


def _keep_screenshots_on_failure(request: pytest.FixtureRequest, context: BrowserContext) -> None:
    report = getattr(request.node, "_incubator_call_report", None)
    if report is None or not report.failed:
        return
    FAILURE_SHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
    for index, open_page in enumerate(context.pages):
        target = FAILURE_SHOTS / f"{name}-{index}.png"
        try:
            open_page.screenshot(path=str(target), full_page=True)
        except Exception:  # noqa: S112 (a page that cannot be captured must not hide the test's own failure)
            continue
        report.sections.append(("browser", f"screenshot of {open_page.url}: {target}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item._incubator_call_report = report  # type: ignore[attr-defined]


def login(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the form at /login and wait for the dashboard."""
    from playwright.sync_api import expect

    page.goto("/login")
    form = page.locator("main form")
    form.get_by_label("Email address").fill(email)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Welcome"))).to_be_visible()
    page.wait_for_url(re.compile(r"^[^?#]*://[^/]+/(\?.*)?$"))


def open_menu(page: Page) -> None:
    """On a narrow screen the navigation sits behind the Menu toggle: open it when it is shown."""
    toggle = page.locator("label.nav-toggle-label")
    if toggle.count() and toggle.is_visible() and not page.locator("#nav-toggle").is_checked():
        toggle.click()


def logout(page: Page) -> None:
    """Log out with the header's button and wait for the log-in page."""
    from playwright.sync_api import expect

    open_menu(page)
    page.locator("header").get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login(\?.*)?$"))
    expect(page.get_by_role("heading", level=1, name="Log in")).to_be_visible()
