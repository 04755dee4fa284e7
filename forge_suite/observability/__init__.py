"""Health probes, metrics, request ids, logs and errors."""
