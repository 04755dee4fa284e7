"""A Django form field that validates by content, not by what the client claims."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from forge_suite.files.exceptions import InvalidUpload
from forge_suite.files.validation import UploadPolicy, Validated, validate

__all__ = ["UploadValidator", "ValidatedFieldMixin", "ValidatedFileField"]


class UploadValidator:
    """Validator for an ``UploadedFile``: size, sniffed type, extension, image limits, scanners.

    The validated facts are left on the file as ``file.forge_validated``.
    """

    def __init__(self, policy: UploadPolicy | None = None, **overrides: Any) -> None:
        self._policy = policy
        self._overrides = overrides

    @classmethod
    def for_field(
        cls,
        policy: UploadPolicy | None = None,
        max_size: int | None = None,
        allowed_types: list[str] | None = None,
    ) -> UploadValidator:
        """The validator of a form or serializer field: its ``max_size=`` and
        ``allowed_types=`` arguments, when given, override ``FORGE["FILES"]``."""
        overrides: dict[str, Any] = {}
        if max_size is not None:
            overrides["max_size"] = max_size
        if allowed_types is not None:
            overrides["allowed_types"] = tuple(allowed_types)
        return cls(policy, **overrides)

    @property
    def policy(self) -> UploadPolicy:
        return self._policy or UploadPolicy.default(**self._overrides)

    def __call__(self, value: UploadedFile[bytes]) -> Validated:
        try:
            value.open("rb")
            facts = validate(value, value.name or "upload", self.policy, size=value.size)
        except InvalidUpload as exc:
            raise ValidationError(exc.message, code=exc.reason) from None
        value.forge_validated = facts  # type: ignore[attr-defined]
        return facts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UploadValidator) and other._overrides == self._overrides


class ValidatedFieldMixin:
    """The ``policy=``, ``max_size=`` and ``allowed_types=`` arguments of a form or serializer
    file field, turned into its ``upload_validator``; the other arguments go to the field."""

    def __init__(
        self,
        *,
        policy: UploadPolicy | None = None,
        max_size: int | None = None,
        allowed_types: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.upload_validator = UploadValidator.for_field(policy, max_size, allowed_types)


class ValidatedFileField(ValidatedFieldMixin, forms.FileField):
    """``forms.FileField`` plus :class:`UploadValidator`; keyword arguments such as
    ``max_size=`` or ``allowed_types=`` override ``FORGE["FILES"]`` for this field."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if value and isinstance(value, UploadedFile):
            self.upload_validator(value)
        return value
