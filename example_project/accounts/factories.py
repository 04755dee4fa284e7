"""Factories of the demo users and profiles."""

from __future__ import annotations

from datetime import UTC, datetime

import factory
from django.contrib.auth import get_user_model

from example_project.accounts.models import Profile
from forge_suite.seeding import Factory, HasMany, HasOne, UniqueFaker

#: Demo timestamps fall in a fixed window so that the same seed gives the same rows.
START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2025, 12, 31, tzinfo=UTC)


def moment() -> factory.Faker:
    return factory.Faker(
        "date_time_between_dates", datetime_start=START, datetime_end=END, tzinfo=UTC
    )


class UserFactory(Factory):
    class Meta:
        model = get_user_model()

    username = UniqueFaker("user_name", max_length=150)
    email = factory.Faker("email")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("demo-password")
    date_joined = moment()
    is_active = True

    profile = HasOne("example_project.accounts.factories.ProfileFactory", fk="user")
    posts = HasMany("example_project.blog.factories.PostFactory", fk="author")
    orders = HasMany("example_project.shop.factories.OrderFactory", fk="customer")

    class Params:
        admin = factory.Trait(is_staff=True, is_superuser=True)
        staff = factory.Trait(is_staff=True)
        inactive = factory.Trait(is_active=False)


class ProfileFactory(Factory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Faker("name")
    bio = factory.Faker("paragraph", nb_sentences=3)
    location = factory.Faker("city")
    website = factory.Faker("url")
    created_at = moment()

    class Params:
        verified = factory.Trait(is_verified=True)
