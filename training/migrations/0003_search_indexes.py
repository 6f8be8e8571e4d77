"""Trigram indexes for `?search=` on exercise, training and plan titles, PostgreSQL only (see club 0003)."""

from django.db import migrations

TITLES = {"exercises": "exercises_title_trgm_idx", "trainings": "trainings_title_trgm_idx", "training_plans": "training_plans_title_trgm_idx"}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, index in TITLES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING gin (UPPER(title::text) gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in TITLES.values():
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [("club", "0003_search_indexes"), ("training", "0002_filter_indexes")]

    operations = [migrations.RunPython(create, drop)]
