"""Startups: companies, their founders and team, and the profile reused across every programme."""
