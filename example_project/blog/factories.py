"""Factories of the demo blog."""

from __future__ import annotations

import factory

from example_project.accounts.factories import UserFactory, moment
from example_project.blog.models import Comment, Post, Tag
from forge_suite.seeding import Factory, HasMany, UniqueFaker


class TagFactory(Factory):
    class Meta:
        model = Tag

    name = UniqueFaker("word", max_length=60)
    slug = UniqueFaker("slug", max_length=80)


class PostFactory(Factory):
    class Meta:
        model = Post

    author = factory.SubFactory(UserFactory)
    title = factory.Faker("sentence", nb_words=6)
    slug = UniqueFaker("slug", max_length=220)
    body = factory.Faker("paragraph", nb_sentences=8)
    status = Post.Status.DRAFT
    published_at = None
    created_at = moment()

    comments = HasMany("example_project.blog.factories.CommentFactory", fk="post")

    class Params:
        published = factory.Trait(status=Post.Status.PUBLISHED, published_at=moment())


class CommentFactory(Factory):
    class Meta:
        model = Comment

    post = factory.SubFactory(PostFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Faker("paragraph", nb_sentences=2)
    created_at = moment()
