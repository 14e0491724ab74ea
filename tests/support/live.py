"""Fixtures: live (filled in by the suite that needs it)."""
