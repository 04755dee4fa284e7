"""Absolute links of this site inside mails, and signed click redirects."""

from __future__ import annotations

import re
import uuid

from django.urls import reverse

from forge_suite.mailer.conf import app_settings
from forge_suite.mailer.tokens import sign_message, sign_value

__all__ = ["CLICK_SALT", "absolute", "rewrite_links", "unsubscribe_links"]

#: Salt of click-redirect tokens.
CLICK_SALT = "click"


def absolute(path: str) -> str:
    """``path`` prefixed with ``FORGE["MAILER"]["BASE_URL"]``."""
    base: str = app_settings.BASE_URL
    return base.rstrip("/") + path


_HREF = re.compile(r'href="(https?://[^"]+)"', re.IGNORECASE)


def rewrite_links(html: str, message_uuid: uuid.UUID) -> str:
    """``html`` with each http(s) link replaced by a signed click redirect through this site."""

    def replace(match: re.Match[str]) -> str:
        target = match.group(1)
        if "/unsubscribe/" in target or "/preferences/" in target:
            return match.group(0)
        token = sign_value(f"{message_uuid.hex} {target}", CLICK_SALT)
        return f'href="{absolute(reverse("forge_mailer:click", args=[token]))}"'

    return _HREF.sub(replace, html)


def unsubscribe_links(row_uuid: uuid.UUID) -> tuple[dict[str, str], dict[str, str]]:
    """``(context, headers)`` of one message's unsubscribe links (RFC 8058 one-click)."""
    token = sign_message(row_uuid)
    url = absolute(reverse("forge_mailer:unsubscribe", args=[token]))
    context = {
        "unsubscribe_url": url,
        "preferences_url": absolute(reverse("forge_mailer:preferences", args=[token])),
    }
    targets = [f"<{url}>"]
    if app_settings.UNSUBSCRIBE_MAILTO:
        targets.append(f"<mailto:{app_settings.UNSUBSCRIBE_MAILTO}?subject=unsubscribe>")
    headers = {
        "List-Unsubscribe": ", ".join(targets),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return context, headers
