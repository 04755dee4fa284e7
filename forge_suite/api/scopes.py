"""The OAuth2 scopes of the API, named per app: ``<app>:read`` / ``<app>:write`` and the like."""

from __future__ import annotations

__all__ = ["SCOPES"]

#: Every scope a client may be granted, with the text the consent page shows.
SCOPES: dict[str, str] = {
    "jobs:read": "See job history, failed jobs and schedules",
    "jobs:write": "Retry and forget failed jobs, run schedules now",
    "health:read": "See the health summary",
    "throttling:read": "See your current rate-limit usage",
    "realtime:auth": "Authorise private and presence channel subscriptions",
    "realtime:trigger": "Send realtime events and read channel information",
    "files:read": "See files and get signed download links",
    "files:write": "Upload and delete files",
    "mail:send": "Send registered mails",
    "mail:read": "See mail status and events",
    "notifications:read": "Read your notifications",
    "notifications:write": "Mark your notifications read",
    "events:read": "Read event streams",
    "events:write": "Append events",
    "introspection": "Introspect tokens (RFC 7662)",
}
