"""``manage.py throttle``: list policies, show a policy's top keys, check or reset a key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forge_suite.throttling import api
from forge_suite.throttling.exceptions import StoreUnavailable, UnknownPolicy


class Command(BaseCommand):
    help = (
        "Inspect and reset rate limits: policies | top POLICY | peek POLICY KEY | reset POLICY KEY"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["policies", "top", "peek", "reset"])
        parser.add_argument("policy", nargs="?")
        parser.add_argument("key", nargs="?")
        parser.add_argument("--count", type=int, default=20, help="keys to show with 'top'")

    def handle(
        self, *args: Any, action: str, policy: str | None, key: str | None, **options: Any
    ) -> None:
        if action == "policies":
            for name, declared in sorted(api.declared_policies().items()):
                effective = api.get_policy(name)
                self.stdout.write(
                    f"{name}\t{effective.rate or 'unlimited'}\t{effective.algorithm}\t"
                    f"key={declared.key}\tmode={effective.mode}"
                )
            return
        if not policy:
            raise CommandError(f"'{action}' needs a policy name")
        try:
            resolved = api.get_policy(policy)
        except UnknownPolicy as exc:
            raise CommandError(str(exc)) from exc
        store = api.get_store()
        try:
            if action == "top":
                if options["count"] < 1:
                    raise CommandError("--count must be at least 1")
                if not store.supports_top_keys:
                    raise CommandError(f"{type(store).__name__} cannot list keys; use Redis")
                for usage in store.top_keys(resolved, count=options["count"]):
                    self.stdout.write(
                        f"{usage.key}\tused={usage.used}\tremaining={usage.remaining}\t"
                        f"reset_after={usage.reset_after:.1f}s"
                    )
                return
            if not key:
                raise CommandError(f"'{action}' needs a key")
            if action == "peek":
                decision = store.peek(resolved, key)
                self.stdout.write(
                    f"{policy} {key}: remaining {decision.remaining}/{decision.limit}, "
                    f"full again in {decision.reset_after:.1f}s"
                )
            else:
                store.reset(resolved, key)
                if options["verbosity"] > 0:
                    self.stdout.write(self.style.SUCCESS(f"Reset {key!r} of policy {policy!r}."))
        except StoreUnavailable as exc:
            raise CommandError(str(exc)) from exc
