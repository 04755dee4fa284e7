"""Who may download a private file: the owner, holders of a permission, or your callable."""

from __future__ import annotations

from typing import Any

from forge_suite.files.conf import app_settings
from forge_suite.files.exceptions import AccessDenied

__all__ = ["can_access", "check_access", "default_policy"]

#: Permission that lets staff read every private file.
VIEW_ANY = "forge_files.view_storedfile"


def default_policy(user: Any, stored_file: Any) -> bool:
    """Public files to anyone; private ones to their owner and to holders of ``VIEW_ANY``.

    A file may narrow this with ``metadata["access"]``: ``{"permission": "app.codename"}``
    also admits users holding that permission.
    """
    if stored_file.is_public:
        return True
    if user is None or not user.is_authenticated:
        return False
    if stored_file.owner_id is not None and stored_file.owner_id == user.pk:
        return True
    extra = (stored_file.metadata or {}).get("access", {})
    if isinstance(extra, dict) and extra.get("permission") and user.has_perm(extra["permission"]):
        return True
    return bool(user.has_perm(VIEW_ANY))


def can_access(user: Any, stored_file: Any) -> bool:
    """What ``FORGE["FILES"]["ACCESS_POLICY"]`` says about ``user`` reading ``stored_file``."""
    return bool(app_settings.ACCESS_POLICY(user, stored_file))


def check_access(user: Any, stored_file: Any) -> None:
    if not can_access(user, stored_file):
        raise AccessDenied("You may not read this file.")
