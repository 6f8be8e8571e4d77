"""Give payments whose `paid_at` Python cannot read a readable one (issue 11, PostgreSQL only).

Before the consumer checked an event's timestamp, `"0001-01-01T00:00:00+14:00"` was stored as
`0001-12-31 10:00:00+00 BC`: psycopg cannot load such a value (nor one past 9999-12-31), so the
payments list, that payment and its client's admin page answered 500 and `/api/payments/` 400.
Such a `paid_at` becomes the row's `updated_at`, the moment the consumer applied the event (when
the money was reported, to the second), so revenue reports count the payment in the right period.
A day's margin at either end keeps the value readable in any local time zone. Nothing to undo.
"""

from django.db import migrations

UNREADABLE_PAID_AT = "paid_at < '0001-01-02 00:00:00+00' OR paid_at > '9999-12-30 00:00:00+00'"
FIX_SQL = f"UPDATE payments SET paid_at = updated_at WHERE {UNREADABLE_PAID_AT}"


def clamp(apps, schema_editor):
    # SQLite (the embedded default) never stored one: Python could not write it there.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FIX_SQL)


class Migration(migrations.Migration):
    dependencies = [("club", "0006_ledger_triggers")]

    operations = [migrations.RunPython(clamp, migrations.RunPython.noop)]
