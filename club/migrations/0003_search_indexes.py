"""Trigram indexes for the API's `?search=` on clients (name, phone), PostgreSQL only.

DRF's SearchFilter issues `UPPER(col::text) LIKE UPPER('%term%')`; a GIN trigram index on that very
expression serves it. SQLite (the embedded default) has no pg_trgm and small tables: nothing to do.
pg_trgm is a trusted extension (PostgreSQL 13+), so the database owner may create it.
"""

from django.db import migrations

COLUMNS = ["first_name", "last_name", "phone_number"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS clients_{column}_trgm_idx ON clients USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS clients_{column}_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("club", "0002_default_membership")]

    operations = [migrations.RunPython(create, drop)]
