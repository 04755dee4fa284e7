"""Factories of the demo chat."""

from __future__ import annotations

import factory

from example_project.accounts.factories import UserFactory, moment
from example_project.chat.models import Message, Room
from forge_suite.seeding import Factory, HasMany, UniqueFaker


class RoomFactory(Factory):
    class Meta:
        model = Room

    name = factory.Faker("catch_phrase")
    slug = UniqueFaker("slug", max_length=120)
    topic = factory.Faker("sentence", nb_words=8)
    created_by = factory.SubFactory(UserFactory)
    created_at = moment()

    messages = HasMany("example_project.chat.factories.MessageFactory", fk="room")


class MessageFactory(Factory):
    class Meta:
        model = Message

    room = factory.SubFactory(RoomFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Faker("sentence", nb_words=12)
    sent_at = moment()
