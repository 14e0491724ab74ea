"""Fixtures: stripe_server (filled in by the suite that needs it)."""
