"""Shared test harness: launchers (servers, workers) and fixtures used by several apps' tests."""
