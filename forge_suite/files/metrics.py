"""Metrics of the files app, through the suite's metrics interface when observability is on."""

from __future__ import annotations

import logging

logger = logging.getLogger("forge_suite.files")


def _emit(kind: str, **labels: object) -> None:
    # SuiteMetrics has no files metrics yet (core and observability own the protocol and its
    # implementation): record them once an implementation offers record_files_<kind>().
    from forge_suite.core.metrics import metrics

    recorder = getattr(metrics(), f"record_files_{kind}", None)
    if recorder is not None:
        recorder(**labels)
    logger.debug("files.%s %s", kind, labels)


def stored(source: str, size: int) -> None:
    """One upload stored (``source``: form, api, tus...) of ``size`` bytes."""
    _emit("stored", source=source, size=size)


def rejected(reason: str, source: str) -> None:
    """One upload refused for ``reason``."""
    _emit("rejected", reason=reason, source=source)


def variant_seconds(name: str, seconds: float) -> None:
    """Time spent generating one variant."""
    _emit("variant", name=name, seconds=seconds)
