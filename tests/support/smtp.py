"""Fixtures: smtp (filled in by the suite that needs it)."""
