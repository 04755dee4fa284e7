"""Rate limiting with several algorithms."""
