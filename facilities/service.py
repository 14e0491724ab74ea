"""Use cases of the facilities package."""
