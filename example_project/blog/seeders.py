"""A blog with published and draft posts, comments and tags."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from example_project.blog.factories import PostFactory, TagFactory
from example_project.blog.models import Tag
from forge_suite.seeding import Seeder, sample


class TagSeeder(Seeder):
    #: A blog's tag vocabulary stays small at any --scale (and single words run out).
    MAX_TAGS = 300

    def run(self) -> None:
        room = max(self.MAX_TAGS - Tag.objects.count(), 0)
        TagFactory.bulk(min(self.count(20), room))


class PostSeeder(Seeder):
    depends_on = ("UserSeeder", TagSeeder)

    def run(self) -> None:
        users = get_user_model()._default_manager.filter(is_superuser=False)
        tags = Tag.objects.all()
        PostFactory.states("published").with_comments((0, 8), author=users).bulk(
            self.count(150), author=users, tags=sample(tags, k=(1, 3))
        )
        PostFactory.bulk(self.count(30), author=users, tags=sample(tags, k=(0, 2)))
