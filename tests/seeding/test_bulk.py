"""The bulk path: batches, parents first, valid keys, unique values, fallbacks, memory."""

from __future__ import annotations

import tracemalloc
from typing import Any

import factory
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from example_project.accounts.factories import UserFactory
from example_project.accounts.models import Profile
from example_project.blog.factories import CommentFactory, PostFactory, TagFactory
from example_project.blog.models import Comment, Post, Tag
from example_project.shop.factories import OrderFactory
from example_project.shop.models import OrderItem
from forge_suite.seeding import Factory, registry, sample, seeded
from forge_suite.seeding.exceptions import BulkError
from forge_suite.seeding.session import SeedSession

pytestmark = pytest.mark.django_db
User = get_user_model()
NO_COPY = {"SEEDING": {"FAST_WRITER": False}}


def test_foreign_keys_drawn_from_a_previous_result(session: SeedSession) -> None:
    users = UserFactory.bulk(20)
    posts = PostFactory.bulk(300, author=users)
    assert len(users) == 20
    assert len(posts) == 300
    assert Post.objects.count() == 300
    authors = set(Post.objects.values_list("author_id", flat=True))
    assert authors <= set(users.pks)
    assert len(authors) > 10  # spread over the users, not one parent
    assert set(posts.pks) == set(Post.objects.values_list("pk", flat=True))


def test_subfactory_parents_are_written_first_one_per_row(session: SeedSession) -> None:
    result = CommentFactory.bulk(40)
    assert result.rows == {"blog.Comment": 40, "blog.Post": 40, "auth.User": 80}
    assert Comment.objects.count() == 40
    assert Post.objects.count() == 40
    assert User.objects.count() == 80
    assert Comment.objects.filter(post__author__isnull=False).count() == 40


def test_per_parent_counts(session: SeedSession) -> None:
    users = UserFactory.bulk(5)
    posts = PostFactory.bulk(4, per=users)
    counts = Post.objects.values("author").annotate(n=Count("id"))
    assert sorted(c["n"] for c in counts) == [4] * 5
    comments = CommentFactory.bulk((0, 3), per=posts, author=users)
    per_post = dict(Comment.objects.values_list("post").annotate(n=Count("id")))
    assert all(0 <= n <= 3 for n in per_post.values())
    assert len(comments) == Comment.objects.count() == sum(per_post.values())


def test_with_relationships_on_the_bulk_path(session: SeedSession) -> None:
    result = UserFactory.states("staff").with_profile(verified=True).with_posts(2).bulk(15)
    assert result.rows == {"auth.User": 15, "accounts.Profile": 15, "blog.Post": 30}
    assert User.objects.filter(is_staff=True).count() == 15
    assert Profile.objects.filter(is_verified=True).count() == 15
    assert set(Profile.objects.values_list("user_id", flat=True)) == set(result.pks)
    assert Post.objects.values("author").distinct().count() == 15


def test_nested_relationships_reuse_given_parents(session: SeedSession) -> None:
    from example_project.shop.factories import ProductFactory

    products = ProductFactory.bulk(10)
    users = UserFactory.bulk(3)
    OrderFactory.with_items(3, product=products).bulk(8, customer=users)
    assert OrderItem.objects.count() == 24
    assert set(OrderItem.objects.values_list("product_id", flat=True)) <= set(products.pks)


def test_many_to_many_sample(session: SeedSession) -> None:
    tags = TagFactory.bulk(6)
    users = UserFactory.bulk(2)
    result = PostFactory.bulk(50, author=users, tags=sample(tags, k=(1, 3)))
    through = Post.tags.through
    per_post = dict(through.objects.values_list("post_id").annotate(n=Count("id")))
    assert len(per_post) == 50
    assert all(1 <= n <= 3 for n in per_post.values())
    assert result.rows["blog.Post_tags"] == sum(per_post.values())
    assert set(through.objects.values_list("tag_id", flat=True)) <= set(tags.pks)


@override_settings(FORGE={"SEEDING": {"POOL_SIZE": 3}})
def test_unique_columns_stay_unique_even_with_a_tiny_value_pool() -> None:
    class WordTagFactory(Factory):
        class Meta:
            model = Tag

        name = factory.Faker("word")  # plain Faker on a unique column
        slug = factory.Faker("slug")

    with seeded(8):
        WordTagFactory.bulk(500)
        WordTagFactory.bulk(200)  # a second call continues the sequence
    assert Tag.objects.count() == 700
    assert Tag.objects.values("name").distinct().count() == 700
    assert Tag.objects.values("slug").distinct().count() == 700


@override_settings(FORGE=NO_COPY)
def test_rows_are_written_in_batches_of_batch_size(session: SeedSession) -> None:
    with CaptureQueriesContext(connection) as queries:
        TagFactory.bulk(250, batch_size=100)
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 3
    assert Tag.objects.count() == 250


def test_memory_stays_flat_as_rows_grow(session: SeedSession) -> None:
    class NumberedTagFactory(Factory):
        class Meta:
            model = Tag

        name = factory.Sequence(lambda n: f"tag {n}")
        slug = factory.Sequence(lambda n: f"tag-{n}")

    try:
        NumberedTagFactory.bulk(200, batch_size=500)  # warm up

        def peak(rows: int) -> int:
            tracemalloc.start()
            NumberedTagFactory.bulk(rows, batch_size=500)
            _, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            return top

        small, large = peak(2_000), peak(20_000)
    finally:
        registry.unregister(NumberedTagFactory)
    # 10x the rows, streamed in batches of 500: the peak is a batch, not the dataset.
    assert large < small * 2, (small, large)


@override_settings(FORGE=NO_COPY)
def test_primary_key_fallback_when_the_backend_returns_none(
    session: SeedSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    features = type(connection.features)
    monkeypatch.setattr(features, "can_return_rows_from_bulk_insert", False)
    UserFactory.bulk(3)  # rows before ours: keys must be recovered above them
    users = UserFactory.bulk(30, batch_size=7)
    posts = PostFactory.bulk(2, per=users)
    assert sorted(users.pks) == sorted(User.objects.values_list("pk", flat=True))[3:]
    assert Post.objects.count() == 60
    assert set(Post.objects.values_list("author_id", flat=True)) == set(users.pks)
    assert len(posts) == 60


@pytest.mark.postgres
def test_copy_writer_reserves_real_sequence_values(session: SeedSession) -> None:
    result = TagFactory.bulk(120, batch_size=50)
    assert sorted(result.pks) == sorted(Tag.objects.values_list("pk", flat=True))
    later = Tag.objects.create(name="later", slug="later")  # the sequence moved past ours
    assert later.pk > max(result.pks)


def test_lazy_attributes_and_fallback_declarations(session: SeedSession) -> None:
    class TitledPostFactory(Factory):
        class Meta:
            model = Post

        author = factory.SubFactory(UserFactory)
        slug = factory.Sequence(lambda n: f"post-{n}")
        title = factory.LazyAttribute(lambda o: f"About {o.slug} by {o.author.pk}")
        body = factory.Faker("sentence")

    class MaybePostFactory(TitledPostFactory):
        status = factory.Maybe("sticky", yes_declaration="published", no_declaration="draft")
        sticky = False

        class Meta:
            model = Post
            exclude = ("sticky",)

    users = UserFactory.bulk(2)
    TitledPostFactory.bulk(10, author=users)
    for post in Post.objects.all():
        assert post.title == f"About {post.slug} by {post.author_id}"
    Post.objects.all().delete()
    MaybePostFactory.bulk(5, author=users)  # Maybe -> factory_boy build() per row
    assert set(Post.objects.values_list("status", flat=True)) == {"draft"}
    assert Post.objects.count() == 5


def test_bad_input_is_rejected_clearly(session: SeedSession) -> None:
    with pytest.raises(BulkError, match="count must be an int >= 0"):
        TagFactory.bulk(-1)
    with pytest.raises(BulkError, match="batch_size must be positive"):
        TagFactory.bulk(5, batch_size=-3)
    with pytest.raises(BulkError, match="no parent rows"):
        PostFactory.bulk(5, author=User.objects.none())
    with pytest.raises(BulkError, match="per= needs"):
        PostFactory.bulk(2, per=[1, 2])
    assert Tag.objects.count() == 0


def test_a_failing_batch_leaves_nothing(session: SeedSession) -> None:
    calls = []

    def explode() -> str:
        calls.append(1)
        if len(calls) > 150:
            raise RuntimeError("generator failed")
        return "body"

    class FragileCommentFactory(Factory):
        class Meta:
            model = Comment

        post = factory.SubFactory(PostFactory)
        author = factory.SubFactory(UserFactory)
        body = factory.LazyFunction(explode)

    with pytest.raises(RuntimeError, match="generator failed"):
        FragileCommentFactory.bulk(300, batch_size=100)
    assert Comment.objects.count() == 0
    assert Post.objects.count() == 0


def test_progress_bar_on_request(session: SeedSession, capsys: pytest.CaptureFixture[str]) -> None:
    TagFactory.bulk(30, progress=True)
    assert "blog.Tag" in capsys.readouterr().err


def test_same_seed_same_bulk_rows() -> None:
    def run() -> list[tuple[object, ...]]:
        with seeded(2024):
            users = UserFactory.bulk(5)
            PostFactory.bulk(3, per=users)
        rows = list(Post.objects.order_by("pk").values_list("title", "slug", "body", "created_at"))
        authors = list(Post.objects.order_by("pk").values_list("author__username", flat=True))
        Post.objects.all().delete()
        User.objects.all().delete()
        return [*rows, *authors]

    first, second = run(), run()
    assert first == second
    with seeded(2025):
        PostFactory.bulk(15)
    assert list(Post.objects.order_by("pk").values_list("title", flat=True)) != [
        r[0] for r in first[:15]
    ]


def test_factory_boy_style_relationship_kwargs_on_the_bulk_path(session: SeedSession) -> None:
    UserFactory.bulk(4, posts=2, posts__title="Same title")
    assert Post.objects.count() == 8
    assert set(Post.objects.values_list("title", flat=True)) == {"Same title"}
    with pytest.raises(BulkError, match="unknown nested override 'likes__count'"):
        UserFactory.bulk(1, likes__count=3)


def test_nested_parent_values_go_to_the_parent_rows(session: SeedSession) -> None:
    class FamousPostFactory(Factory):
        class Meta:
            model = Post

        author = factory.SubFactory(UserFactory)
        title = factory.Faker("sentence")
        slug = factory.Sequence(lambda n: f"famous-{n}")
        body = "text"

        class Params:
            famous = factory.Trait(author__last_name="Famous")

    FamousPostFactory.states("famous").bulk(6, author__first_name="Ada")
    assert Post.objects.count() == 6
    assert set(User.objects.values_list("first_name", "last_name")) == {("Ada", "Famous")}
    users = UserFactory.bulk(2)
    with pytest.raises(BulkError, match="nested values \\(first_name\\) need a SubFactory"):
        FamousPostFactory.bulk(2, author=users, author__first_name="Ada")


def test_fallback_before_compilation_still_writes_parents_first(session: SeedSession) -> None:
    class DictPostFactory(Factory):
        class Meta:
            model = Post
            exclude = ("meta",)

        meta = factory.Dict({"kind": "news"})  # unsupported on the fast path
        author = factory.SubFactory(UserFactory)
        title = factory.LazyAttribute(lambda o: o.meta["kind"])
        slug = factory.Sequence(lambda n: f"dict-{n}")
        body = "text"

    DictPostFactory.bulk(4)
    assert list(Post.objects.values_list("title", flat=True)) == ["news"] * 4
    assert User.objects.count() == 4
    assert Post.objects.filter(author__isnull=False).count() == 4


def test_post_generation_hooks_run_on_the_bulk_path(session: SeedSession) -> None:
    class HookedPostFactory(Factory):
        class Meta:
            model = Post

        author = factory.SubFactory(UserFactory)
        title = "draft"
        slug = factory.Sequence(lambda n: f"hooked-{n}")
        body = "text"

        @factory.post_generation
        def tags(self, create: bool, extracted: Any, **kwargs: Any) -> None:
            # factory_boy's recommended way to fill a many-to-many field
            if create and extracted:
                self.tags.add(*extracted)

        @factory.post_generation
        def retitle(self, create: bool, extracted: Any, prefix: str = "Post") -> None:
            self.title = f"{prefix} {self.pk}"  # a change the bulk path must save

    try:
        tags = list(TagFactory.create_batch(3))
        result = HookedPostFactory.bulk(50, tags=tags, retitle__prefix="Hooked")
        assert Post.tags.through.objects.count() == 150
        assert result.rows["blog.Post_tags"] == 150
        assert session.rows["blog.Post_tags"] == 150
        assert all(p.title == f"Hooked {p.pk}" for p in Post.objects.all())
    finally:
        registry.unregister(HookedPostFactory)


def test_a_post_generation_declaration_the_bulk_path_cannot_run_is_refused(
    session: SeedSession,
) -> None:
    from example_project.accounts.factories import ProfileFactory

    class ProfiledUserFactory(UserFactory):
        class Meta:
            model = User

        card = factory.RelatedFactory(ProfileFactory, factory_related_name="user")

    try:
        with pytest.raises(BulkError, match=r"ProfiledUserFactory\.card is a RelatedFactory"):
            ProfiledUserFactory.bulk(3)
        assert not User.objects.exists()
    finally:
        registry.unregister(ProfiledUserFactory)
