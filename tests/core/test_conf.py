from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from forge_suite.core.conf import AppSettings, Option, current_environment, forge_settings


def check_ids(messages: list) -> list[str]:
    return [m.id for m in messages if m.id and m.id.startswith("forge_core")]


def test_defaults_are_used_when_unset() -> None:
    with override_settings(FORGE={}):
        assert forge_settings.REDIS_URL is None
        assert forge_settings.REDIS_SOCKET_TIMEOUT == 5.0


def test_user_values_override_defaults_and_reload_with_override_settings() -> None:
    with override_settings(FORGE={"REDIS_URL": "redis://example:6379/3"}):
        assert forge_settings.REDIS_URL == "redis://example:6379/3"
    with override_settings(FORGE={"REDIS_URL": "redis://other:6379/4"}):
        assert forge_settings.REDIS_URL == "redis://other:6379/4"


def test_unknown_attribute_raises_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="NOPE"):
        forge_settings.NOPE  # noqa: B018


def test_import_string_options_are_resolved() -> None:
    section = AppSettings(
        "TESTSECTION_IMPORT",
        {"FUNC": Option("os.path.join", str, import_string=True)},
    )
    import os.path

    assert section.FUNC is os.path.join


def test_environment_defaults_from_debug() -> None:
    with override_settings(FORGE={}, DEBUG=True):
        assert current_environment() == "development"
    with override_settings(FORGE={}, DEBUG=False):
        assert current_environment() == "production"
    with override_settings(FORGE={"ENVIRONMENT": "staging"}):
        assert current_environment() == "staging"


def test_valid_configuration_passes_checks() -> None:
    with override_settings(FORGE={"REDIS_URL": "redis://127.0.0.1:6379/0", "ENVIRONMENT": "ci"}):
        assert check_ids(run_checks()) == []


def test_unknown_top_level_key_is_an_error_naming_the_key() -> None:
    with override_settings(FORGE={"REDIS_ULR": "redis://127.0.0.1:6379/0"}):
        messages = [m for m in run_checks() if m.id == "forge_core.E002"]
    assert len(messages) == 1
    assert "REDIS_ULR" in messages[0].msg
    assert "REDIS_URL" in messages[0].hint


def test_wrong_type_is_an_error_naming_the_key_and_the_type() -> None:
    with override_settings(FORGE={"REDIS_SOCKET_TIMEOUT": "fast"}):
        messages = [m for m in run_checks() if m.id == "forge_core.E004"]
    assert len(messages) == 1
    assert "REDIS_SOCKET_TIMEOUT" in messages[0].msg
    assert "str" in messages[0].msg


def test_bool_is_not_accepted_for_a_number() -> None:
    with override_settings(FORGE={"REDIS_SOCKET_TIMEOUT": True}):
        assert "forge_core.E004" in check_ids(run_checks())


def test_validator_rejects_a_malformed_url() -> None:
    with override_settings(FORGE={"REDIS_URL": "127.0.0.1:6379"}):
        messages = [m for m in run_checks() if m.id == "forge_core.E004"]
    assert messages
    assert "REDIS_URL" in messages[0].msg


def test_forge_must_be_a_dict() -> None:
    with override_settings(FORGE=["REDIS_URL"]):
        assert check_ids(run_checks()) == ["forge_core.E001"]


def test_app_section_must_be_a_dict() -> None:
    with override_settings(FORGE={"FILES": "s3"}):
        assert "forge_core.E001" in check_ids(run_checks())


@pytest.mark.needs_apps("forge_suite.seeding")
def test_unknown_key_inside_an_app_section_is_named() -> None:
    with override_settings(FORGE={"SEEDING": {"NOT_A_SETTING": 1}}):
        messages = [m for m in run_checks() if m.id == "forge_core.E003"]
    assert len(messages) == 1
    assert "FORGE['SEEDING']['NOT_A_SETTING']" in messages[0].msg


@pytest.mark.needs_apps("forge_suite.mailer")
def test_section_of_an_app_that_is_not_installed_warns() -> None:
    from django.conf import settings

    apps = [a for a in settings.INSTALLED_APPS if a != "forge_suite.mailer"]
    with override_settings(INSTALLED_APPS=apps, FORGE={"MAILER": {}}):
        assert "forge_core.W001" in check_ids(run_checks())
