"""Settings of the API: ``FORGE["API"]``."""

from __future__ import annotations

from forge_suite.core.conf import AppSettings, Option
from forge_suite.core.validators import non_empty, positive, rate

DEFAULTS: dict[str, Option] = {
    "PREFIX": Option("api/v1/", str, "URL prefix of the versioned API.", validator=non_empty),
    "OAUTH_PREFIX": Option("o/", str, "URL prefix of the OAuth2 endpoints.", validator=non_empty),
    "PAGE_SIZE": Option(
        50, int, "Items per page of the cursor-paginated lists.", validator=positive
    ),
    "MAX_PAGE_SIZE": Option(
        500, int, "Largest ?page_size a client may ask for.", validator=positive
    ),
    "MAILABLES": Option(
        [],
        (list, tuple),
        "Dotted paths of the Mailables POST mail/messages/ may send (nothing else can be sent "
        "through the API).",
    ),
    "MAX_RECIPIENTS": Option(
        50, int, "Most to + cc addresses of one mail sent through the API.", validator=positive
    ),
    "THROTTLE_RATE": Option(
        "600/m",
        str,
        "Requests per client (token user or IP) through forge_suite.throttling; None: off.",
        nullable=True,
        validator=rate,
    ),
}

app_settings = AppSettings("API", DEFAULTS)
