"""Health probes and the protected Prometheus endpoint."""

from __future__ import annotations

import hmac
import ipaddress
import json
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse
from health_check.views import HealthCheckView, MediaType

from forge_suite.observability import health
from forge_suite.observability.conf import app_settings

__all__ = ["HealthView", "live", "metrics_view"]

HEALTH_JSON = "application/health+json"
_NO_CACHE = "no-cache, no-store, must-revalidate, max-age=0"
_LIVE_BODY = b'{"status":"pass"}'


def live(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches no database, cache or other dependency."""
    response = HttpResponse(_LIVE_BODY, content_type=HEALTH_JSON)
    response["Cache-Control"] = _NO_CACHE
    return response


def _wants_html(request: HttpRequest) -> bool:
    fmt = request.GET.get("format")
    if fmt:
        return fmt == "html"
    try:
        for media in MediaType.parse_header(request.headers.get("accept", "*/*")):
            if media.mime_type in {"text/html", "application/xhtml+xml"}:
                return True
            if media.mime_type in {HEALTH_JSON, "application/json", "application/*", "*/*"}:
                return False
    except ValueError:
        return False
    return False


class HealthView(HealthCheckView):
    """django-health-check's view running the suite's components for one scope.

    ``scope="ready"`` runs the critical components (readiness), ``scope="all"`` every one.
    Answers ``application/health+json`` (HTML for browsers), 200 or 503.
    """

    scope: ClassVar[health.Scope] = "all"
    template_name = "forge_observability/health.html"

    def get_checks(self) -> Any:
        for component in health.components(self.scope):
            yield component.check

    def max_age(self) -> float:
        """Seconds a report may be reused; 0: the full report always runs every check."""
        return 0.0

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.report = await health.run_cached(self.scope, self.max_age())
        self.results = self.report.results
        status = self.report.http_status
        if _wants_html(request):
            return self.render_to_response(self.get_context_data(**kwargs), status=status)
        return HttpResponse(
            json.dumps(self.report.as_health_json()), content_type=HEALTH_JSON, status=status
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            "view": self,
            "report": self.report,
            "results": self.report.results,
            "scope": self.scope,
        }


class ReadyView(HealthView):
    scope = "ready"

    def max_age(self) -> float:
        """``HEALTH_READY_CACHE``: a burst of readiness probes runs the checks once."""
        return float(app_settings.HEALTH_READY_CACHE)


#: Who may scrape /metrics without a token when ``METRICS_ALLOWED_IPS`` is not set and DEBUG is on.
_LOOPBACK = ("127.0.0.1/32", "::1/128")


def _allowed_networks() -> tuple[str, ...]:
    """The explicit ``METRICS_ALLOWED_IPS``, else loopback under DEBUG, else nobody."""
    from django.conf import settings

    configured = app_settings.METRICS_ALLOWED_IPS
    if configured is not None:
        return tuple(str(net) for net in configured)
    return _LOOPBACK if settings.DEBUG else ()


def _address_allowed(request: HttpRequest, networks: tuple[str, ...]) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


def _client_allowed(request: HttpRequest) -> bool:
    """A configured token is always required (no address bypasses it); without one, the address.

    With both a token and an explicit ``METRICS_ALLOWED_IPS``, a scraper needs both.
    """
    token = app_settings.METRICS_TOKEN
    if token:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return False
        if not hmac.compare_digest(header[7:].strip().encode(), str(token).encode()):
            return False
        explicit = app_settings.METRICS_ALLOWED_IPS
        return explicit is None or _address_allowed(request, tuple(str(n) for n in explicit))
    return _address_allowed(request, _allowed_networks())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """django-prometheus' exporter behind a token and/or an IP allowlist (403 otherwise).

    With ``PROMETHEUS_MULTIPROC_DIR`` set it aggregates every worker process's metrics.
    """
    if not _client_allowed(request):
        return HttpResponse(
            "Forbidden: metrics need a token or an allowed address.\n",
            status=403,
            content_type="text/plain",
        )
    from django_prometheus.exports import ExportToDjangoView

    response: HttpResponse = ExportToDjangoView(request)
    response["Cache-Control"] = _NO_CACHE
    return response
