"""Access policies used by the tests through FORGE["FILES"]["ACCESS_POLICY"]."""

from __future__ import annotations

from typing import Any


def bob_only(user: Any, stored_file: Any) -> bool:
    return bool(user.is_authenticated and user.username == "bob")
