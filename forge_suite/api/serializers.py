"""Serializer pieces every app's API shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

__all__ = ["StrictSerializer"]


class StrictSerializer(serializers.Serializer[Any]):
    """A serializer that refuses fields it does not declare (400 naming each) instead of
    silently dropping them, so a misspelt ``expected_versoin`` is not an unchecked append.

    Nested serializers deriving from it are strict too (each checks its own object).
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field; this endpoint does not take it."] for name in unknown}
                )
        return super().to_internal_value(data)
