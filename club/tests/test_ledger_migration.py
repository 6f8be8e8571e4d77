"""Migrations 0005/0006 open the ledger of clients that existed before it, and normalise their phones."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("club", "0004_front_desk")]
AFTER = [("club", "0006_ledger_triggers")]


@pytest.fixture
def latest_schema_after():
    """Going back to 0004 also unapplies every later migration that depends on club (attendance's, ...):
    put the whole latest schema back, so the transactional tests after this one find their tables."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_clients_get_an_opening_event_and_a_searchable_phone(latest_schema_after):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    User, Client = apps.get_model("accounts", "User"), apps.get_model("club", "Client")
    # A transactional test before this one may have flushed the default tariff that migration 0002 made.
    apps.get_model("club", "Membership").objects.get_or_create(pk=1, defaults={"price": "0.00"})
    paid = Client.objects.create(
        user=User.objects.create(username="old-paid", email="p@x.io"),
        first_name="Old",
        last_name="Paid",
        phone_number="8 (935) 576-61-26",
        date_of_birth=datetime.date(1980, 1, 1),
        expiration_date=datetime.date(2026, 4, 30),
    )
    never = Client.objects.create(
        user=User.objects.create(username="old-never", email="n@x.io"),
        first_name="Old",
        last_name="Never",
        phone_number="+44 20 7946 0958",
        date_of_birth=datetime.date(1980, 1, 1),
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    apps = executor.loader.project_state(AFTER).apps
    Client, Event = apps.get_model("club", "Client"), apps.get_model("club", "MembershipEvent")
    events = {
        row["client_id"]: row
        for row in Event.objects.values("client_id", "kind", "expiration_before", "expiration_after", "reason")
    }
    assert events[paid.pk] == {
        "client_id": paid.pk,
        "kind": "CORRECTION",
        "expiration_before": None,
        "expiration_after": datetime.date(2026, 4, 30),
        "reason": "opening balance",
    }
    assert events[never.pk]["expiration_after"] is None
    phones = dict(Client.objects.values_list("pk", "phone_normalized"))
    assert phones == {paid.pk: "9355766126", never.pk: "442079460958"}
