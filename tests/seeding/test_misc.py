"""Settings checks, the quickstart hook and the admin."""

from __future__ import annotations

import io

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import Client, override_settings

from example_project.blog.models import Post
from forge_suite.seeding.api import already_seeded
from forge_suite.seeding.models import SeedRun


def test_settings_are_validated() -> None:
    with override_settings(FORGE={"SEEDING": {"BATCH_SIZE": 0, "LOCALES": "fr"}}):
        messages = [str(m) for m in run_checks()]
    assert any("BATCH_SIZE" in m and "must be greater than 0" in m for m in messages)
    assert any("LOCALES" in m and "unknown setting" in m for m in messages)


@pytest.mark.django_db(transaction=True)
def test_quickstart_seeds_once(testing_env: None) -> None:
    out = io.StringIO()
    call_command("quickstart", "--no-serve", stdout=out)
    posts = Post.objects.count()
    assert posts > 0
    assert already_seeded()
    out = io.StringIO()
    call_command("quickstart", "--no-serve", stdout=out)
    assert "already seeded" in out.getvalue()
    assert Post.objects.count() == posts


@pytest.mark.django_db
def test_admin_lists_seed_runs(admin_client: Client, testing_env: None) -> None:
    call_command("db_seed", "--class", "TagSeeder", stdout=io.StringIO(), stderr=io.StringIO())
    run = SeedRun.objects.get()
    assert str(run).startswith("example_project.blog.seeders.TagSeeder (testing, 20 rows)")
    response = admin_client.get("/admin/forge_seeding/seedrun/")
    assert response.status_code == 200
    assert "TagSeeder" in response.content.decode()
    for url in ("/admin/blog/post/", "/admin/shop/order/", "/admin/chat/message/"):
        assert admin_client.get(url).status_code == 200


def test_build_needs_no_database() -> None:
    # Unit tests that only build() objects keep working without database access.
    from example_project.blog.factories import PostFactory
    from forge_suite.seeding import seeded

    with seeded(3):
        post = PostFactory.build()
    assert post.pk is None
    assert post.author.username
    assert post.author.pk is None
