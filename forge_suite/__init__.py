"""Forge Suite: reusable Django apps that work together."""

__version__ = "0.1.0.dev0"
