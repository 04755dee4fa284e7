"""On PostgreSQL, a trigger refuses UPDATE and DELETE of stored events (append-only)."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION forge_eventstore_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'forge_eventstore: stored events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
TRIGGER = """
CREATE TRIGGER forge_eventstore_immutable
BEFORE UPDATE OR DELETE ON forge_eventstore_storedevent
FOR EACH ROW EXECUTE FUNCTION forge_eventstore_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS forge_eventstore_immutable ON forge_eventstore_storedevent;
DROP FUNCTION IF EXISTS forge_eventstore_immutable();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("forge_eventstore", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
