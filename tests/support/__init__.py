"""Launchers and fixtures shared by the test-suite (servers, workers, Redis prefixes)."""
