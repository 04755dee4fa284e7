"""A rate-limited JSON endpoint showing forge_suite.throttling's headers and 429 responses."""
