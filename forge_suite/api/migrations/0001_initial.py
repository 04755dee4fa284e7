# Written by hand: the application model is swappable through django-oauth-toolkit's setting,
# which a project need not define (as django-oauth-toolkit's own migrations do).

import django.db.models.deletion
from django.db import migrations, models
from oauth2_provider.settings import oauth2_settings


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(oauth2_settings.APPLICATION_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApplicationScopes",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "scopes",
                    models.TextField(
                        help_text='Space-separated scopes this application may request, e.g. "jobs:read health:read".'
                    ),
                ),
                (
                    "application",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="forge_scopes",
                        to=oauth2_settings.APPLICATION_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "application scopes",
                "verbose_name_plural": "application scopes",
            },
        ),
    ]
