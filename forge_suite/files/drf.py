"""A Django REST framework serializer field with the same validation as the form field."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from forge_suite.files.forms import ValidatedFieldMixin

__all__ = ["ValidatedFileSerializerField"]


class ValidatedFileSerializerField(ValidatedFieldMixin, serializers.FileField):
    """``serializers.FileField`` refusing disguised, oversized or dangerous files."""

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        try:
            self.upload_validator(value)  # type: ignore[arg-type]  # DRF gives an UploadedFile
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code=exc.code) from None
        return value
