"""What the billing package contributes to the app (filled in as the package grows)."""

from __future__ import annotations

from billing import models  # noqa: F401 - the tables belong to the metadata
from incubator.plugins import Plugin

PLUGIN = Plugin(name="billing")
