"""Use cases of the cohorts package."""
