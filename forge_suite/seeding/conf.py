"""Settings of seeding: ``FORGE["SEEDING"]``."""

from __future__ import annotations

from forge_suite.core.conf import AppSettings, Option
from forge_suite.core.validators import non_empty, positive

DEFAULTS: dict[str, Option] = {
    "LOCALE": Option(
        "en_US",
        str,
        "Faker locale used by factories unless --locale says otherwise.",
        validator=non_empty,
    ),
    "BATCH_SIZE": Option(
        2000, int, "Rows per bulk_create batch on the bulk path.", validator=positive
    ),
    "POOL_SIZE": Option(
        500,
        int,
        "Distinct values pre-generated per Faker declaration on the bulk path.",
        validator=positive,
    ),
    "SEEDERS": Option(
        None,
        (list, tuple),
        "Dotted paths of the seeders db_seed runs; None discovers every installed app's "
        "seeders.py.",
        nullable=True,
    ),
    "FAST_WRITER": Option(
        True,
        bool,
        "Write bulk batches with COPY (PostgreSQL, psycopg 3) or one prepared executemany "
        "(SQLite), keys reserved first; False uses Django's bulk_create on every backend.",
    ),
    "PROGRESS": Option(True, bool, "Show tqdm progress bars on the command line."),
}

app_settings = AppSettings("SEEDING", DEFAULTS)
