"""cohorts package."""
