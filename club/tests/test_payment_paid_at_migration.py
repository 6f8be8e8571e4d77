import datetime
import importlib

import pytest
from django.db import DataError, connection, transaction
from django.urls import reverse

from club.models import Payment
from club.tests.factories import PaymentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

fix = importlib.import_module("club.migrations.0007_unreadable_paid_at")


def store_paid_at(payment: Payment, value: str) -> None:
    """What the consumer stored before it checked timestamps (Python cannot even write these)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE payments SET paid_at = %s::timestamptz WHERE id = %s", [value, payment.pk])


def test_the_migration_makes_unreadable_paid_at_values_readable_and_the_pages_answer_again(
    client, admin_user, api_client_for
):
    year_zero = PaymentFactory(status="PAID")
    year_ten_thousand = PaymentFactory(status="PAID")
    fine = PaymentFactory(status="PAID", paid_at=datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.UTC))
    store_paid_at(year_zero, "0001-12-31 10:00:00+00 BC")  # "0001-01-01T00:00:00+14:00"
    store_paid_at(year_ten_thousand, "10000-01-01 09:59:59+00")  # "9999-12-31T23:59:59-14:00"
    with pytest.raises(DataError), transaction.atomic():
        list(Payment.objects.all())  # the 500s of issue 11

    with connection.cursor() as cursor:
        cursor.execute(fix.FIX_SQL)

    for payment in (year_zero, year_ten_thousand):
        row = Payment.objects.get(pk=payment.pk)
        assert row.paid_at == row.updated_at
    assert Payment.objects.get(pk=fine.pk).paid_at == fine.paid_at
    client.force_login(admin_user)
    for url in (
        reverse("admin:club_payment_changelist"),
        reverse("admin:club_payment_change", args=[year_zero.pk]),
        reverse("admin:club_client_change", args=[year_zero.client_id]),
    ):
        assert client.get(url).status_code == 200, url
    assert api_client_for(admin_user).get("/api/payments/").status_code == 200
