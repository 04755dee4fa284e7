"""Acceptance: 100,000 posts with authors and comments, no dangling keys, no duplicates.

Runs with the fast writers (COPY / executemany, the default) at full size, and at a tenth of
it with many-to-many rows and the database's own constraint check, with both writers, on
whichever database the suite runs on.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings

from example_project.accounts.factories import UserFactory
from example_project.blog.factories import CommentFactory, PostFactory, TagFactory
from example_project.blog.models import Comment, Post
from forge_suite.seeding import sample, seeded

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def scalar(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def dangling(child: str, column: str, parent: str) -> int:
    return scalar(
        f"SELECT COUNT(*) FROM {child} c LEFT JOIN {parent} p ON p.id = c.{column} "
        f"WHERE p.id IS NULL"
    )


def duplicates(table: str, column: str) -> int:
    return scalar(
        f"SELECT COUNT(*) FROM (SELECT {column} FROM {table} GROUP BY {column} "
        f"HAVING COUNT(*) > 1) d"
    )


@pytest.mark.parametrize(
    ("fast_writer", "posts_count"),
    [
        pytest.param(True, 100_000, id="fast-writer-100k"),
        pytest.param(False, 10_000, id="bulk_create-10k"),
        pytest.param(True, 10_000, id="fast-writer-10k"),
    ],
)
def test_posts_with_authors_and_comments_are_consistent(
    fast_writer: bool, posts_count: int
) -> None:
    forge = {"SEEDING": {"FAST_WRITER": fast_writer, "PROGRESS": False}}
    with override_settings(FORGE=forge), seeded(100):
        tags = TagFactory.bulk(50)
        users = UserFactory.with_profile().bulk(posts_count // 50)
        # Many-to-many rows and the database's own constraint check (slow on PostgreSQL,
        # which re-checks every deferred key) run at the smaller size.
        m2m = {"tags": sample(tags, k=(0, 2))} if posts_count <= 10_000 else {}
        posts = PostFactory.bulk(posts_count, author=users, **m2m)
        comments = CommentFactory.bulk((0, 2), per=posts, author=users)
    assert Post.objects.count() == posts_count == len(posts)
    assert Comment.objects.count() == len(comments) > posts_count // 2
    assert dangling("blog_post", "author_id", "auth_user") == 0
    assert dangling("blog_comment", "post_id", "blog_post") == 0
    assert dangling("blog_comment", "author_id", "auth_user") == 0
    assert dangling("blog_post_tags", "post_id", "blog_post") == 0
    assert dangling("blog_post_tags", "tag_id", "blog_tag") == 0
    assert dangling("accounts_profile", "user_id", "auth_user") == 0
    assert duplicates("blog_post", "slug") == 0
    assert duplicates("auth_user", "username") == 0
    assert duplicates("accounts_profile", "user_id") == 0
    assert (
        scalar(
            "SELECT COUNT(*) FROM (SELECT post_id, tag_id FROM blog_post_tags "
            "GROUP BY post_id, tag_id HAVING COUNT(*) > 1) d"
        )
        == 0
    )
    if m2m:
        assert Post.tags.through.objects.count() > 0
        # The database's own view: foreign-key constraints checked now, not at commit.
        connection.check_constraints()


@pytest.mark.sqlite
@pytest.mark.parametrize("db_zone", [None, "Asia/Kolkata"])
def test_sqlite_fast_datetime_matches_djangos_adapter(db_zone: str | None) -> None:
    """The fast writer's DateTimeField shortcut stores exactly what Django's adapter would."""
    import datetime
    import zoneinfo

    from forge_suite.seeding.bulk.writers import _row_builder

    values = [
        datetime.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=datetime.UTC),
        datetime.datetime(2026, 10, 25, 2, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")),
        datetime.datetime(
            2024, 2, 29, 23, 59, 59, tzinfo=datetime.timezone(-datetime.timedelta(hours=7))
        ),
    ]
    # The connection's time zone (DATABASES TIME_ZONE) is what SQLite values are stored in.
    connection.settings_dict["TIME_ZONE"] = db_zone
    connection.__dict__.pop("timezone", None)
    try:
        fields, build = _row_builder(Post, connection, ())
        index = [f.attname for f in fields].index("created_at")
        field = fields[index]
        stored = [build(Post(created_at=value))[index] for value in values]
        assert stored == [field.get_db_prep_save(value, connection) for value in values]
        assert len(set(stored)) == len(values)
    finally:
        connection.settings_dict["TIME_ZONE"] = None
        connection.__dict__.pop("timezone", None)
