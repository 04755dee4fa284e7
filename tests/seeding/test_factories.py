"""Factories: states, relationships, unique values, seeds, locales, factory_boy compatibility."""

from __future__ import annotations

import factory
import pytest
from django.contrib.auth import get_user_model

from example_project.accounts.factories import UserFactory
from example_project.blog.factories import CommentFactory, PostFactory, TagFactory
from example_project.blog.models import Comment, Post, Tag
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
    from example_project.shop.factories import ProductFactory

    with seeded(1):
        ProductFactory.create_batch(3)
    with seeded(1):  # a new run: the sequence continues after the stored values
        more = ProductFactory.create_batch(2)
    assert [p.sku for p in more] == ["SKU-000003", "SKU-000004"]


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


def isbn13_ok(value: str) -> bool:
    digits = value.replace("-", "")
    if len(digits) != 13 or not digits.isdigit():
        return False
    return sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10 == 0


@pytest.mark.parametrize("bulk", [False, True], ids=["create", "bulk"])
def test_unique_faker_values_stay_valid_isbns(bulk: bool) -> None:
    from example_project.shop.factories import ProductFactory
    from example_project.shop.models import Product
    from forge_suite.seeding import UniqueFaker, registry

    class BookFactory(ProductFactory):
        class Meta:
            model = Product

        sku = UniqueFaker("isbn13", separator="", max_length=13)  # no room for a suffix

    try:
        with seeded(4):
            BookFactory.bulk(40) if bulk else BookFactory.create_batch(40)
        skus = list(Product.objects.values_list("sku", flat=True))
        assert len(set(skus)) == 40
        assert all(isbn13_ok(sku) for sku in skus), [s for s in skus if not isbn13_ok(s)]
    finally:
        registry.unregister(BookFactory)


@pytest.mark.parametrize("bulk", [False, True], ids=["create", "bulk"])
def test_unique_faker_skips_stored_values_and_says_when_it_runs_out(bulk: bool) -> None:
    from forge_suite.seeding import UniqueFaker, registry
    from forge_suite.seeding.exceptions import UniqueValuesExhausted

    Tag.objects.create(name="alpha", slug="alpha")

    class GreekTagFactory(TagFactory):
        class Meta:
            model = Tag

        name = UniqueFaker("random_element", elements=("alpha", "beta", "gamma"), max_tries=60)

    try:
        with seeded(5):
            made = GreekTagFactory.bulk(2) if bulk else GreekTagFactory.create_batch(2)
        assert len(made) == 2
        assert sorted(Tag.objects.values_list("name", flat=True)) == ["alpha", "beta", "gamma"]
        with seeded(6), pytest.raises(UniqueValuesExhausted) as info:
            GreekTagFactory.bulk(1) if bulk else GreekTagFactory.create()
        message = str(info.value)
        assert "UniqueFaker('random_element') for blog.Tag.name found no new valid value" in message
        assert "in 60 draws after 3 distinct values" in message
    finally:
        registry.unregister(GreekTagFactory)


@pytest.mark.parametrize("bulk", [False, True], ids=["create", "bulk"])
def test_recycle_reuses_parents_everywhere_in_the_graph(bulk: bool) -> None:
    with seeded(9):
        users = UserFactory.create_batch(3)
        posts = PostFactory.with_comments(2).recycle(users)
        posts.bulk(6) if bulk else posts.create_batch(6)
        comments = CommentFactory.recycle(User.objects.all())  # the post's author, two levels
        comments.bulk(4) if bulk else comments.create_batch(4)
    assert User.objects.count() == 3
    assert Post.objects.count() == 10
    assert Comment.objects.count() == 16
    ids = {u.pk for u in users}
    assert set(Post.objects.values_list("author_id", flat=True)) <= ids
    assert set(Comment.objects.values_list("author_id", flat=True)) <= ids


def test_recycle_rejects_what_is_not_a_source() -> None:
    from forge_suite.seeding.exceptions import BulkError

    with pytest.raises(BulkError, match="recycle\\(\\) takes model instances"):
        PostFactory.recycle([1, 2])
