"""What the cohorts package contributes to the app (filled in as the package grows)."""

from __future__ import annotations

from incubator.plugins import Plugin

PLUGIN = Plugin(name="cohorts")
