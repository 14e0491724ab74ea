"""Ends the run by saying which database backends and which suites ran (and which were skipped)."""

from __future__ import annotations

from collections import Counter

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    ran: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") != "call":
                continue
            for label in _labels(report.nodeid, report.user_properties):
                ran[label] += 1
    for report in terminalreporter.stats.get("skipped", []):
        for label in _labels(report.nodeid, getattr(report, "user_properties", [])):
            skipped[label] += 1
    terminalreporter.section("backends and suites")
    for label in ("sqlite", "postgresql", "browser", "localstripe", "smtp", "schemathesis"):
        terminalreporter.write_line(
            f"{label:>12}: {ran[label]} test(s) ran" + (f", {skipped[label]} skipped" if skipped[label] else "")
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Markers do not travel with a report (nor from an xdist worker); a user property does.
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.user_properties.append(("suite", "browser"))


def _labels(nodeid: str, properties: object = ()) -> list[str]:
    """The suites a test belongs to, from its node id, and from its markers (`@pytest.mark.browser` anywhere)."""
    labels = []
    if "[sqlite" in nodeid or "-sqlite" in nodeid:
        labels.append("sqlite")
    if "[postgresql" in nodeid or "-postgresql" in nodeid:
        labels.append("postgresql")
    marked = {value for key, value in properties if key == "suite"} if isinstance(properties, list | tuple) else set()
    if "/browser/" in nodeid or "test_browser" in nodeid or "browser" in marked:
        labels.append("browser")
    if "stripe" in nodeid:
        labels.append("localstripe")
    if "smtp" in nodeid or "email" in nodeid:
        labels.append("smtp")
    if "schemathesis" in nodeid or "openapi" in nodeid:
        labels.append("schemathesis")
    return labels
