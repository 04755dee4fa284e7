"""Demo users with profiles."""

from __future__ import annotations

from example_project.accounts.factories import UserFactory
from forge_suite.seeding import Seeder


class UserSeeder(Seeder):
    environments = ("development", "testing")

    def run(self) -> None:
        UserFactory.with_profile().bulk(self.count(60))
        UserFactory.states("staff").with_profile(verified=True).bulk(self.count(3))
