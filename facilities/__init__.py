"""facilities package."""
