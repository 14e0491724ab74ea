"""investors package."""
