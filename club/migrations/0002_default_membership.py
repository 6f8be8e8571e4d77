from django.core.management.color import no_style
from django.db import migrations

DEFAULT_MEMBERSHIP_ID = 1


def create_default_membership(apps, schema_editor):
    Membership = apps.get_model("club", "Membership")
    Membership.objects.using(schema_editor.connection.alias).get_or_create(
        pk=DEFAULT_MEMBERSHIP_ID,
        defaults={
            "access_level": "STANDARD",
            "price": "0.00",
            "description": "Default membership: clients of a deleted membership move here.",
        },
    )
    # An explicit id does not advance PostgreSQL's identity sequence: move it past the row.
    with schema_editor.connection.cursor() as cursor:
        for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [Membership]):
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("club", "0001_initial")]

    operations = [migrations.RunPython(create_default_membership, migrations.RunPython.noop)]
