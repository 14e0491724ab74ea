"""Use cases of the investors package."""
