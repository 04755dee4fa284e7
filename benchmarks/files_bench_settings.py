"""Settings of the files upload benchmark's server: what a project serving uploads installs
(auth, sessions, django-oauth-toolkit for bearer tokens, the files app), configured by the
same environment variables as the files tests' server processes."""

from __future__ import annotations

from tests.files.server_settings import *  # noqa: F403

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "forge_suite.core",
    "forge_suite.files",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
