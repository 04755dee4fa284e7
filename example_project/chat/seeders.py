"""Chat rooms with conversations."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from example_project.chat.factories import RoomFactory
from forge_suite.seeding import Seeder


class ChatSeeder(Seeder):
    depends_on = ("UserSeeder",)

    def run(self) -> None:
        users = get_user_model()._default_manager.filter(is_superuser=False)
        RoomFactory.with_messages((40, 120), author=users).bulk(self.count(8), created_by=users)
