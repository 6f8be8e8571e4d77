"""Fill clients.phone_normalized, and open every existing client's membership ledger.

The opening event is a CORRECTION with reason "opening balance" from nothing to the client's current
expiration_date, so the ledger's invariant (newest event's expiration_after == expiration_date) holds
for the rows that predate it. Batched: a club with many members migrates without loading them all.
"""

import re

from django.db import migrations

BATCH = 2000
OPENING_REASON = "opening balance"


def _normalize_phone(raw):
    # A copy of club.models.normalize_phone as it is today: migrations must not follow later changes.
    digits = re.sub(r"\D", "", raw or "")
    return digits[1:] if len(digits) == 11 and digits[0] in "78" else digits


def forwards(apps, schema_editor):
    Client = apps.get_model("club", "Client")
    MembershipEvent = apps.get_model("club", "MembershipEvent")
    last_pk = 0
    while True:
        clients = list(
            Client.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", "phone_number", "expiration_date")[:BATCH]
        )
        if not clients:
            break
        for client in clients:
            client.phone_normalized = _normalize_phone(client.phone_number)
        Client.objects.bulk_update(clients, ["phone_normalized"])
        MembershipEvent.objects.bulk_create(
            MembershipEvent(
                client_id=client.pk,
                kind="CORRECTION",
                expiration_before=None,
                expiration_after=client.expiration_date,
                reason=OPENING_REASON,
            )
            for client in clients
        )
        last_pk = clients[-1].pk


def backwards(apps, schema_editor):
    apps.get_model("club", "MembershipEvent").objects.filter(reason=OPENING_REASON, kind="CORRECTION").delete()


class Migration(migrations.Migration):
    dependencies = [("club", "0004_front_desk")]

    operations = [migrations.RunPython(forwards, backwards)]
