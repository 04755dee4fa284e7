"""Admin: which scopes each OAuth2 application may request."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from forge_suite.api.models import ApplicationScopes
from forge_suite.api.scopes import SCOPES


class ApplicationScopesForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {text}") for name, text in SCOPES.items()]
        + [("openid", "openid: Sign you in (OpenID Connect)")],
        widget=forms.CheckboxSelectMultiple,
        help_text="What this application may request; more is refused with invalid_scope.",
    )

    class Meta:
        model = ApplicationScopes
        fields = ["application", "scopes"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if self.instance.pk:
            self.initial["scopes"] = self.instance.scope_list

    def clean_scopes(self) -> str:
        return " ".join(self.cleaned_data["scopes"])


@admin.register(ApplicationScopes)
class ApplicationScopesAdmin(admin.ModelAdmin):
    form = ApplicationScopesForm
    list_display = ("application", "scopes")
    search_fields = ("application__name", "application__client_id", "scopes")
    autocomplete_fields = ("application",)
