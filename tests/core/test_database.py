from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_run_talks_to_a_real_postgresql_server() -> None:
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("select version()")
        (version,) = cursor.fetchone()
    assert version.startswith("PostgreSQL")
    get_user_model().objects.create_user("pg-user")
    assert get_user_model().objects.filter(username="pg-user").count() == 1


@pytest.mark.django_db
def test_database_roundtrip_on_the_configured_backend() -> None:
    user = get_user_model().objects.create_user("roundtrip", password="x")
    assert get_user_model().objects.get(pk=user.pk).check_password("x")
