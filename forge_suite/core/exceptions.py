"""Exception bases shared by every Forge Suite app."""

from __future__ import annotations


class ForgeError(Exception):
    """Base class of every error raised by Forge Suite."""


class MissingDependency(ForgeError, ImportError):
    """An optional dependency is not installed; the message names the extra that provides it."""

    def __init__(self, package: str, extra: str, feature: str | None = None) -> None:
        what = f" for {feature}" if feature else ""
        super().__init__(
            f"{package} is required{what} but is not installed. "
            f'Install it with: pip install "forge-suite[{extra}]"'
        )
        self.package = package
        self.extra = extra


class ServiceUnavailable(ForgeError, ConnectionError):
    """A configured backing service (Redis, broker, ...) cannot be reached."""
