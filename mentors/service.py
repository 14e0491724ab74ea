"""Use cases of the mentors package."""
