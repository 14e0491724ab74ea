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
            for label in _labels(report.nodeid):
                ran[label] += 1
    for report in terminalreporter.stats.get("skipped", []):
        for label in _labels(report.nodeid):
            skipped[label] += 1
    terminalreporter.section("backends and suites")
    for label in ("sqlite", "postgresql", "browser", "localstripe", "smtp", "schemathesis"):
        terminalreporter.write_line(
            f"{label:>12}: {ran[label]} test(s) ran" + (f", {skipped[label]} skipped" if skipped[label] else "")
        )


def _labels(nodeid: str) -> list[str]:
    labels = []
    if "[sqlite" in nodeid or "-sqlite" in nodeid:
        labels.append("sqlite")
    if "[postgresql" in nodeid or "-postgresql" in nodeid:
        labels.append("postgresql")
    if "/browser/" in nodeid or "test_browser" in nodeid:
        labels.append("browser")
    if "stripe" in nodeid:
        labels.append("localstripe")
    if "smtp" in nodeid or "email" in nodeid:
        labels.append("smtp")
    if "schemathesis" in nodeid or "openapi" in nodeid:
        labels.append("schemathesis")
    return labels
