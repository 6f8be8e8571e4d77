"""The membership ledger's invariant on every path that can save a client, its guards, and concurrent sales.

Invariant: for every client, the newest membership_events row (highest id) has expiration_after equal
to the client's expiration_date (a client without events has no date).
"""

import datetime
import itertools
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from club import services
from club.models import Client, LedgerBypassError, MembershipEvent, Payment, ReceiptSequence
from club.payment_events import PaymentEvent
from club.tasks import deactivate_expired_memberships
from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def inconsistent_clients() -> list[tuple]:
    newest = MembershipEvent.objects.filter(client=OuterRef("pk")).order_by("-id").values("expiration_after")[:1]
    return [
        (pk, paid_until, ledger)
        for pk, paid_until, ledger in Client.objects.annotate(ledger=Subquery(newest)).values_list(
            "pk", "expiration_date", "ledger"
        )
        if paid_until != ledger
    ]


@pytest.mark.django_db
def test_every_path_that_saves_a_client_keeps_the_ledger_invariant(client, api_client_for, trainer, settings):
    admin = AdminFactory(username="desk", is_superuser=True)
    api = api_client_for(admin)
    membership = MembershipFactory(price=Decimal("1000.00"))
    steps = []

    def check(step: str) -> None:
        steps.append(step)
        assert inconsistent_clients() == [], step

    created = api.post(
        "/api/clients/",
        {
            "user_id": UserFactory().pk,
            "first_name": "Vera",
            "last_name": "Orlova",
            "phone_number": "+7 912 000 11 22",
            "date_of_birth": "1991-02-03",
            "expiration_date": days(10).isoformat(),
            "reason": "Moved from the paper register",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    member = Client.objects.get(pk=created.json()["id"])
    check("API create with a date")
    assert (
        api.post(
            "/api/clients/",
            {
                "user_id": UserFactory().pk,
                "first_name": "No",
                "last_name": "Date",
                "phone_number": "+7 912 000 11 23",
                "date_of_birth": "1991-02-03",
            },
            format="json",
        ).status_code
        == 201
    )
    check("API create without a date")
    body = {
        k: v
        for k, v in api.get(f"/api/clients/{member.pk}/").json().items()
        if k not in ("id", "created_at", "updated_at")
    }
    assert (
        api.put(
            f"/api/clients/{member.pk}/",
            {**body, "expiration_date": days(20).isoformat(), "reason": "Typo"},
            format="json",
        ).status_code
        == 200
    )
    check("API PUT")
    assert api.patch(f"/api/clients/{member.pk}/", {"last_name": "Orlova-Kim"}, format="json").status_code == 200
    assert (
        api_client_for(trainer).patch(f"/api/clients/{member.pk}/", {"weight_kg": "60.00"}, format="json").status_code
        == 200
    )
    check("API PATCH")

    client.force_login(admin)
    admin_form = {
        "user": member.user_id,
        "first_name": "Vera",
        "last_name": "Orlova",
        "phone_number": "+7 912 000 11 22",
        "date_of_birth": "1991-02-03",
        "membership": membership.pk,
        "status": "ACTIVE",
        "expiration_date": days(400).isoformat(),  # read-only in the admin: ignored
        **{
            f"{inline}-{count}": 0
            for inline in ("holds", "membership_events", "payments")
            for count in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
    }
    response = client.post(reverse("admin:club_client_change", args=[member.pk]), admin_form)
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert (member.membership_id, member.expiration_date) == (membership.pk, days(20))
    check("admin change form")
    client.post(
        reverse("admin:club_client_changelist"), {"action": "deactivate_clients", "_selected_action": [member.pk]}
    )
    check("admin action")
    client.force_login(trainer)
    dashboard_form = {
        "first_name": "Vera",
        "last_name": "Orlova",
        "phone_number": "+7 912 000 11 22",
        "date_of_birth": "1991-02-03",
        "membership": membership.pk,
        "status": "ACTIVE",
        "expiration_date": days(500).isoformat(),  # not a field of the trainers' form: ignored
    }
    assert client.post(reverse("club:client-edit", args=[member.pk]), dashboard_form).status_code == 302
    member.refresh_from_db()
    assert member.expiration_date == days(20)
    check("dashboard form")

    # The desk's admin pages (club/admin.py), each calling its service.
    client.force_login(admin)
    joined = client.post(
        reverse("admin:club_client_new_member"),
        {
            "username": "walk.in",
            "email": "walk.in@example.com",
            "password": "squat-rack-2026",
            "first_name": "Walk",
            "last_name": "In",
            "phone_number": "+7 912 000 11 24",
            "date_of_birth": "1990-01-01",
            "membership": membership.pk,
            "months": 1,
            "method": "CASH",
        },
    )
    assert joined.status_code == 302, joined.content.decode()[:2000]
    check("admin New member")
    sold = {"membership": membership.pk, "months": 1, "method": "CARD"}
    assert client.post(reverse("admin:club_client_sell", args=[member.pk]), sold).status_code == 302
    check("admin Sell / renew")
    dates = {"starts_on": days(5).isoformat(), "ends_on": days(9).isoformat()}
    assert client.post(reverse("admin:club_client_hold", args=[member.pk]), dates).status_code == 302
    check("admin Hold")
    desk_hold = member.holds.get(cancelled_at__isnull=True)
    cancel = reverse("admin:club_client_hold_cancel", args=[member.pk, desk_hold.pk])
    assert client.post(cancel, {}).status_code == 302
    check("admin hold cancelled")
    refund = reverse("admin:club_payment_refund", args=[member.payments.get().pk])
    assert client.post(refund, {"reason": "Wrong card"}).status_code == 302
    check("admin Refund")
    corrected = {"expiration_date": days(22).isoformat(), "reason": "Paper register said so"}
    assert client.post(reverse("admin:club_client_correct", args=[member.pk]), corrected).status_code == 302
    check("admin correction")

    sale = services.membership_sale(client=member, membership=membership, months=2, method="CASH", staff=admin)
    check("sale")
    hold = services.hold_create(client=member, starts_on=days(5), ends_on=days(9), staff=admin)
    check("hold")
    services.hold_cancel(hold=hold, staff=admin)
    check("hold cancelled")
    services.payment_refund(payment=sale, reason="Changed their mind", staff=admin)
    check("refund")
    services.client_expiration_correct(client=member, expiration_date=days(-2), reason="Left in March", staff=admin)
    check("correction")
    pending = PaymentFactory(client=member, membership=membership)
    services.payment_apply_event(
        event=PaymentEvent(payment_id=pending.pk, client_id=member.pk, status="PAID", timestamp=timezone.now())
    )
    check("provider payment (consume_payments)")
    deactivate_expired_memberships.apply()
    check("nightly task")
    call_command("seed_demo", clients=6, trainings_per_client=1, stdout=open("/dev/null", "w"))  # noqa: SIM115
    check("seed_demo")

    kinds = list(MembershipEvent.objects.filter(client=member).order_by("id").values_list("kind", flat=True))
    assert kinds == [
        *("CORRECTION", "CORRECTION"),
        *("SALE", "HOLD", "HOLD_CANCELLED", "REFUND", "CORRECTION"),  # the admin's desk pages
        *("SALE", "HOLD", "HOLD_CANCELLED", "REFUND", "CORRECTION", "PAYMENT"),  # the services
    ]
    assert len(steps) == 21


@pytest.mark.django_db
def test_a_paid_until_date_saved_outside_the_ledger_is_refused():
    member = ClientFactory(expiration_date=days(5))

    member.expiration_date = days(400)
    with pytest.raises(LedgerBypassError):
        member.save()
    with pytest.raises(LedgerBypassError):
        Client.objects.filter(pk=member.pk).update(expiration_date=days(400))
    with pytest.raises(LedgerBypassError):
        Client.objects.bulk_update([member], ["expiration_date"])
    with pytest.raises(LedgerBypassError):
        Client.objects.create(user=UserFactory(), first_name="A", last_name="B", phone_number="+7 900 1",
                              date_of_birth=datetime.date(1990, 1, 1), expiration_date=days(30))  # fmt: skip
    # Saving anything else is fine.
    member.refresh_from_db()
    member.first_name = "Renamed"
    member.save()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_refuses_to_commit_a_paid_until_date_without_its_ledger_row():
    member = ClientFactory(expiration_date=days(5))

    with pytest.raises(DatabaseError, match="membership ledger"):
        raw_sql_then_commit_checks("UPDATE clients SET expiration_date = %s WHERE id = %s", [days(400), member.pk])
    with pytest.raises(DatabaseError, match="membership ledger"):
        raw_sql_then_commit_checks(
            "INSERT INTO membership_events (client_id, kind, expiration_after, reason, created_at) "
            "VALUES (%s, 'CORRECTION', %s, '', now())",
            [member.pk, days(99)],
        )
    assert inconsistent_clients() == []


def raw_sql_then_commit_checks(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT does with the deferred checks


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sales_get_unique_gap_free_receipts_and_consistent_ledgers():
    admin = AdminFactory(username="desk")
    membership = MembershipFactory(price=Decimal("1000.00"))
    members = [ClientFactory(expiration_date=days(3), membership=membership) for _ in range(5)]
    sales, errors = 40, []
    start = threading.Barrier(sales)

    def sell(n: int) -> None:
        try:
            start.wait()
            services.membership_sale(
                client=members[n % len(members)], membership=membership, months=1, method="CARD", staff=admin
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=sell, args=(n,)) for n in range(sales)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    year = timezone.localdate().year
    numbers = sorted(Payment.objects.values_list("receipt_number", flat=True))
    assert numbers == [f"{year}-{n:06d}" for n in range(1, sales + 1)]
    assert ReceiptSequence.objects.get(year=year).last_number == sales
    assert inconsistent_clients() == []
    for member in members:
        chain = list(
            MembershipEvent.objects.filter(client=member)
            .order_by("id")
            .values_list("expiration_before", "expiration_after")
        )
        # Eight sales each, one after the other: each starts where the previous one ended.
        assert len(chain) == 1 + sales // len(members)
        assert all(before == previous[1] for previous, (before, _) in itertools.pairwise(chain))
        paid_until = days(3)
        for _ in range(sales // len(members)):
            paid_until = services.add_months(paid_until, 1)
        assert chain[-1][1] == paid_until
