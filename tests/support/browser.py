"""Fixtures: browser (filled in by the suite that needs it)."""
