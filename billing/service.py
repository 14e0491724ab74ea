"""Use cases of the billing package."""
