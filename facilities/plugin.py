"""What the facilities package contributes to the app (filled in as the package grows)."""

from __future__ import annotations

import facilities.models  # noqa: F401 - registers the tables with the metadata
from incubator.plugins import Plugin

PLUGIN = Plugin(name="facilities")
