"""The test settings leave nothing behind and name what they leave out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PRINT_MEDIA_ROOT = (
    "import django; django.setup(); from django.conf import settings; print(settings.MEDIA_ROOT)"
)


def test_loading_the_test_settings_leaves_no_media_folder_behind() -> None:
    """Every process that loaded tests/settings.py used to leave a forge-tests-media-* folder."""
    env = {k: v for k, v in os.environ.items() if k != "FORGE_TEST_MEDIA_ROOT"}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    code = PRINT_MEDIA_ROOT
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    media = out.stdout.strip()
    assert "forge-tests-media-" in media
    # Other processes on the machine may create their own; this process's must not exist.
    assert not os.path.exists(media)


def test_processes_started_by_the_tests_share_the_runs_media_folder() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    code = PRINT_MEDIA_ROOT
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT
    )
    assert out.stdout.strip() == str(settings.MEDIA_ROOT)


def test_mail_is_configured_the_way_the_running_django_wants() -> None:
    import django

    if django.VERSION >= (6, 1):
        assert "default" in settings.MAILERS
    else:
        assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
