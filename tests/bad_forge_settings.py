"""The example project's settings with a misspelled FORGE key, for the check test."""

from example_project.settings import *  # noqa: F403

FORGE = {"REDIS_ULR": "redis://127.0.0.1:6379/0"}
