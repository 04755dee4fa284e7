"""Set the example project up and run it: migrate, seed, create an admin, start the server."""

from __future__ import annotations

import secrets
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Migrate the database, seed demo data once, create an admin user (credentials printed "
        "once) and start the development server (and a worker when a broker is configured)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "addrport", nargs="?", default="127.0.0.1:8000", help="Where to serve (host:port)."
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="Set up only; do not start the server."
        )
        parser.add_argument("--username", default="admin", help="Admin user name (default admin).")

    def handle(self, *args: Any, **options: Any) -> None:
        addrport: str = options["addrport"]
        host, sep, port = addrport.rpartition(":")
        if not sep or not port.isdigit() or not host:
            raise CommandError(f"addrport must look like 127.0.0.1:8000, got {addrport!r}")
        verbosity = options["verbosity"]

        self.stdout.write(self.style.MIGRATE_HEADING("1. Database"))
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        self.stdout.write("   migrated")

        self.stdout.write(self.style.MIGRATE_HEADING("2. Demo data"))
        self._seed(verbosity)

        self.stdout.write(self.style.MIGRATE_HEADING("3. Admin user"))
        password = self._ensure_admin(options["username"])

        url = f"http://{addrport}/"
        self.stdout.write(self.style.MIGRATE_HEADING("4. OAuth2 clients of the API"))
        self._ensure_clients(url)

        self.stdout.write(self.style.MIGRATE_HEADING("5. Ready"))
        self.stdout.write(f"   site:  {url}")
        self.stdout.write(f"   admin: {url}admin/")
        self.stdout.write(f"   API:   {url}api/v1/docs/")
        if password:
            self.stdout.write(
                self.style.SUCCESS(
                    f"   login: {options['username']} / {password}   (shown once; "
                    f"change it with: python manage.py changepassword {options['username']})"
                )
            )
        else:
            self.stdout.write(
                f"   login: {options['username']} (created earlier; reset the password with "
                f"python manage.py changepassword {options['username']})"
            )
        if options["no_serve"]:
            return
        worker = self._start_worker()
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=20)

    def _seed(self, verbosity: int) -> None:
        if "db_seed" not in get_commands():
            self.stdout.write("   seeding app not ready yet; skipped")
            return
        from django.apps import apps

        if apps.is_installed("forge_suite.seeding"):
            try:
                from forge_suite.seeding.api import already_seeded
            except ImportError:
                already_seeded = None
            if already_seeded is not None and already_seeded():
                self.stdout.write("   already seeded; run `manage.py db_seed --fresh` to reseed")
                return
        call_command("db_seed", verbosity=verbosity)

    def _ensure_clients(self, url: str) -> None:
        """A public client for the SPA-style chat (authorization code + PKCE) and a confidential
        machine client (client credentials), created once; the machine secret shown once."""
        from django.apps import apps

        if not apps.is_installed("oauth2_provider"):
            self.stdout.write("   the API is not installed; skipped")
            return
        from oauth2_provider.models import get_application_model

        model = get_application_model()
        spa, created = model.objects.get_or_create(
            name="Chat SPA",
            defaults={
                "client_type": model.CLIENT_PUBLIC,
                "authorization_grant_type": model.GRANT_AUTHORIZATION_CODE,
                "redirect_uris": f"{url}livechat/",
                "client_secret": "",
            },
        )
        state = "created" if created else "exists"
        if settings.OAUTH2_PROVIDER.get("OIDC_ENABLED") and spa.algorithm != model.RS256_ALGORITHM:
            spa.algorithm = model.RS256_ALGORITHM  # ID tokens signed with the OIDC key
            spa.save(update_fields=["algorithm"])
        self._limit_scopes(spa, "realtime:auth notifications:read notifications:write openid")
        self.stdout.write(f"   Chat SPA (public, code + PKCE) {state}: client_id {spa.client_id}")
        if spa.algorithm:
            self.stdout.write(f"   OpenID Connect: {url}o/.well-known/openid-configuration")
        machine = model.objects.filter(name="Reports machine").first()
        if machine is not None:
            self.stdout.write(
                f"   Reports machine (client credentials) exists: client_id {machine.client_id}"
            )
            return
        secret = secrets.token_urlsafe(32)
        machine = model.objects.create(
            name="Reports machine",
            client_type=model.CLIENT_CONFIDENTIAL,
            authorization_grant_type=model.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,  # stored hashed
        )
        self._limit_scopes(machine, "jobs:read health:read events:read mail:read")
        self.stdout.write(
            self.style.SUCCESS(
                f"   Reports machine (client credentials) created: client_id "
                f"{machine.client_id} secret {secret}   (shown once)"
            )
        )

    @staticmethod
    def _limit_scopes(application: Any, scopes: str) -> None:
        """What the demo client may request (admin: API > Application scopes)."""
        from forge_suite.api.models import ApplicationScopes

        ApplicationScopes.objects.get_or_create(
            application=application, defaults={"scopes": scopes}
        )

    def _ensure_admin(self, username: str) -> str | None:
        user_model = get_user_model()
        with transaction.atomic():
            if user_model._default_manager.filter(username=username).exists():
                self.stdout.write(f"   {username!r} exists")
                return None
            password = secrets.token_urlsafe(12)
            user_model._default_manager.create_superuser(
                username=username, email=f"{username}@example.com", password=password
            )
        self.stdout.write(f"   created {username!r}")
        return password

    def _start_worker(self) -> subprocess.Popen[bytes] | None:
        if not getattr(settings, "CELERY_BROKER_URL", None):
            self.stdout.write("   jobs run in-process (no CELERY_BROKER_URL set)")
            return None
        if "worker" not in get_commands():
            return None
        self.stdout.write("   starting `manage.py worker --beat` for the configured broker")
        return subprocess.Popen([sys.executable, "manage.py", "worker", "--beat"])
