"""Factories: states, relationships, unique values, seeds, locales, factory_boy compatibility."""

from __future__ import annotations

import factory
import pytest
from django.contrib.auth import get_user_model

from example_project.accounts.factories import UserFactory
from example_project.blog.factories import CommentFactory, PostFactory, TagFactory
from example_project.blog.models import Comment, Post
from forge_suite.seeding import FactoryBuilder, seeded
from forge_suite.seeding.exceptions import UnknownRelation, UnknownState
from forge_suite.seeding.factories import unique_suffix

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_states_combine(session: object) -> None:
    user = UserFactory.states("admin", "inactive").create()
    assert user.is_staff
    assert user.is_superuser
    assert not user.is_active
    plain = UserFactory.create()
    assert not plain.is_staff
    assert plain.is_active


def test_unknown_state_lists_the_available_ones() -> None:
    with pytest.raises(UnknownState) as info:
        UserFactory.states("admin", "wizard")
    message = str(info.value)
    assert "'wizard'" in message
    assert "admin, inactive, staff" in message


def test_with_has_many_and_has_one(session: object) -> None:
    user = UserFactory.with_posts(3).with_profile().create()
    assert Post.objects.filter(author=user).count() == 3
    assert user.profile.user_id == user.pk


def test_has_many_passes_extra_attributes_and_accepts_a_range(session: object) -> None:
    post = PostFactory.with_comments((2, 4), body="Nice!").create()
    comments = Comment.objects.filter(post=post)
    assert 2 <= comments.count() <= 4
    assert {c.body for c in comments} == {"Nice!"}


def test_belongs_to_by_field_and_by_model_name(session: object) -> None:
    ann = UserFactory.create(username="ann")
    by_model = PostFactory.for_user(ann).create()
    by_field = PostFactory.for_author(ann).create_batch(2)
    assert by_model.author == ann
    assert {p.author_id for p in by_field} == {ann.pk}
    assert User.objects.count() == 1  # no extra author was made


def test_unknown_relation_lists_the_available_ones() -> None:
    with pytest.raises(UnknownRelation) as info:
        UserFactory.with_likes(3)
    assert "likes" in str(info.value)
    assert "orders, posts, profile" in str(info.value)
    with pytest.raises(UnknownRelation, match="author, post, user"):
        CommentFactory.for_room(1)


def test_builder_is_immutable_and_plain_factory_boy_kwargs_still_work(session: object) -> None:
    base = UserFactory.states("staff")
    admin = base.states("admin")
    assert isinstance(base, FactoryBuilder)
    assert base.state_names == ("staff",)
    assert admin.state_names == ("staff", "admin")
    # factory_boy style: traits, nested attributes, post-generation values
    user = UserFactory(admin=True, posts=2, posts__title="Hello")
    assert user.is_superuser
    assert list(Post.objects.filter(author=user).values_list("title", flat=True)) == [
        "Hello",
        "Hello",
    ]
    post = PostFactory(author__username="bob")
    assert post.author.username == "bob"


def test_unique_faker_never_repeats_and_respects_max_length(session: object) -> None:
    tags = TagFactory.create_batch(30)
    assert len({t.name for t in tags}) == 30
    assert all(len(t.name) <= 60 for t in tags)
    assert unique_suffix("a" * 20, 7, max_length=10) == "aaaaaaaa.7"
    assert unique_suffix("ann@example.org", 3) == "ann.3@example.org"
    assert unique_suffix("x.1", 2) != unique_suffix("x", 12)


def test_sequences_start_after_existing_rows() -> None:
    with seeded(1):
        TagFactory.create_batch(3)
    with seeded(1):  # a new run: the sequence restarts from the table's row count
        more = TagFactory.create_batch(2)
    assert [t.name.rsplit(".", 1)[1] for t in more] == ["3", "4"]


def test_same_seed_same_objects() -> None:
    def make() -> list[tuple[str, str, str]]:
        with seeded(99):
            users = UserFactory.build_batch(5)
        return [(u.username, u.email, u.first_name) for u in users]

    assert make() == make()
    with seeded(100):
        other = [u.username for u in UserFactory.build_batch(5)]
    assert other != [name for name, _, _ in make()]


def test_locale_changes_the_fake_data_on_both_paths() -> None:
    with seeded(5, locale="ja_JP"):
        user = UserFactory.build()
        UserFactory.bulk(3)
    assert any(ord(ch) > 0x3000 for ch in user.last_name), user.last_name
    for last_name in User.objects.values_list("last_name", flat=True):
        assert any(ord(ch) > 0x3000 for ch in last_name), last_name


def test_plain_factory_boy_factories_work_with_the_bulk_path(session: object) -> None:
    from forge_suite.seeding.bulk import bulk_create

    class PlainCommentFactory(factory.django.DjangoModelFactory):
        class Meta:
            model = Comment

        post = factory.SubFactory(PostFactory)
        author = factory.SubFactory(UserFactory)
        body = factory.Faker("sentence")

    result = bulk_create(PlainCommentFactory, 25)
    assert len(result) == 25
    assert Comment.objects.count() == 25
    assert result.rows["blog.Post"] == 25
    assert all(c.body for c in Comment.objects.all())


def test_sequence_formats_are_learnt_from_the_function() -> None:
    from forge_suite.seeding.sequences import sequence_format

    assert sequence_format(lambda n: f"SKU-{n:06d}") == ("SKU-", "")
    assert sequence_format(lambda n: f"post-{n}-draft") == ("post-", "-draft")
    assert sequence_format(lambda n: n + 1000) == 1000
    assert sequence_format(lambda n: f"x{n % 7}") is None  # not the number itself
    assert sequence_format(lambda n: n * 2) is None
    assert sequence_format(lambda n: 1 / 0) is None


def test_factory_boy_sequences_continue_after_existing_values() -> None:
    from example_project.shop.factories import ProductFactory
    from example_project.shop.models import Product

    with seeded(1):
        ProductFactory.create_batch(3)
        ProductFactory.bulk(3)
    Product.objects.filter(sku="SKU-000001").delete()
    with seeded(2):
        made = ProductFactory.create()
        ProductFactory.bulk(2)
    assert made.sku == "SKU-000006"
    assert Product.objects.filter(sku__in=["SKU-000007", "SKU-000008"]).count() == 2
