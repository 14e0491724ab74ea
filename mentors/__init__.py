"""mentors package."""
