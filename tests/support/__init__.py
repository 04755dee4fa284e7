"""Shared test harness: process launchers and fixtures used by several apps' tests."""
