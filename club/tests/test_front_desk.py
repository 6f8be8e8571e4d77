"""The front desk (SPEC part 2): sales, refunds, holds, corrections, cash-up and receipts, through the API."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from club.models import Client, MembershipEvent, MembershipHold, Payment
from club.selectors import client_search
from club.services import add_months, hold_create, membership_sale
from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory
from dashboard.selectors import today_at_a_glance

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def days(n: int) -> datetime.date:
    return TODAY() + datetime.timedelta(days=n)


def ledger(client: Client) -> list[tuple]:
    return list(
        MembershipEvent.objects.filter(client=client)
        .order_by("id")
        .values_list("kind", "expiration_before", "expiration_after")
    )


def sell(api, client, **body):
    body = {"membership_id": client.membership_id, "months": 1, "method": "CASH", **body}
    return api.post(f"/api/clients/{client.pk}/sales/", body, format="json")


# --- sales ---------------------------------------------------------------------------------------
def test_an_admin_sells_a_membership_for_cash_and_gets_a_receipt_number(api_client_for, admin_user):
    premium = MembershipFactory(price=Decimal("1490.00"))
    member = ClientFactory(expiration_date=days(10), status="INACTIVE")

    response = sell(api_client_for(admin_user), member, membership_id=premium.pk, months=3)

    assert response.status_code == 201, response.content
    body = response.json()
    payment = Payment.objects.get()
    assert body["payment"] | {"paid_at": None} == body["payment"] | {
        "id": payment.pk,
        "status": "PAID",
        "method": "CASH",
        "amount": "4470.00",
        "receipt_number": f"{TODAY().year}-000001",
        "staff_id": admin_user.pk,
        "paid_at": None,
    }
    assert body["client"] == {
        "id": member.pk,
        "membership_id": premium.pk,
        "expiration_date": add_months(days(10), 3).isoformat(),
        "status": "ACTIVE",
    }
    assert ledger(member)[-1] == ("SALE", days(10), add_months(days(10), 3))


def test_a_sale_to_a_lapsed_member_counts_from_today_and_receipts_follow_each_other(api_client_for, admin_user):
    lapsed = ClientFactory(expiration_date=days(-40))
    api = api_client_for(admin_user)

    first = sell(api, lapsed, amount="0").json()
    second = sell(api, lapsed, method="CARD").json()

    year = TODAY().year
    assert [first["payment"]["receipt_number"], second["payment"]["receipt_number"]] == [
        f"{year}-000001",
        f"{year}-000002",
    ]
    assert (first["payment"]["amount"], second["payment"]["amount"]) == ("0.00", "49.90")
    assert first["client"]["expiration_date"] == add_months(TODAY(), 1).isoformat()
    assert second["client"]["expiration_date"] == add_months(add_months(TODAY(), 1), 1).isoformat()


def test_calendar_months_end_on_the_last_day_of_a_shorter_month():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2028, 1, 31), 1) == datetime.date(2028, 2, 29)
    assert add_months(datetime.date(2026, 1, 31), 2) == datetime.date(2026, 3, 31)
    assert add_months(datetime.date(2026, 11, 15), 14) == datetime.date(2028, 1, 15)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"months": 0}, "months"),
        ({"months": 25}, "months"),
        ({"method": "PROVIDER"}, "method"),
        ({"amount": "-1"}, "amount"),
    ],
)
def test_a_sale_with_bad_input_is_a_400_and_records_nothing(api_client_for, admin_user, body, field):
    member = ClientFactory()

    response = sell(api_client_for(admin_user), member, **body)

    assert (response.status_code, list(response.json())) == (400, [field])
    assert not Payment.objects.exists()


@pytest.mark.parametrize("role", ["trainer", "client_user"])
def test_only_an_admin_sells_refunds_holds_and_cashes_up(api_client_for, request, role):
    user = request.getfixturevalue(role)
    member = ClientFactory(expiration_date=days(10))
    payment = PaymentFactory(client=member, status="PAID")
    hold = MembershipHold.objects.create(client=member, starts_on=days(3), ends_on=days(5))
    api = api_client_for(user)

    answers = [
        sell(api, member).status_code,
        api.post(f"/api/payments/{payment.pk}/refund/", {"reason": "x"}, format="json").status_code,
        api.post(
            f"/api/clients/{member.pk}/holds/", {"starts_on": days(1), "ends_on": days(2)}, format="json"
        ).status_code,
        api.delete(f"/api/holds/{hold.pk}/").status_code,
        api.get("/api/payments/summary/").status_code,
    ]

    assert answers == [403] * 5
    assert Payment.objects.count() == 1
    assert MembershipHold.objects.get().cancelled_at is None


def test_anonymous_callers_get_401_from_the_desk(api_client_for):
    member = ClientFactory()

    assert sell(api_client_for(), member).status_code == 401


# --- refunds -------------------------------------------------------------------------------------
def test_a_refund_takes_the_sales_days_back_and_a_second_refund_is_a_409(api_client_for, admin_user):
    member = ClientFactory(expiration_date=days(20))
    payment = membership_sale(client=member, membership=member.membership, months=2, method="CARD", staff=admin_user)
    api = api_client_for(admin_user)

    response = api.post(f"/api/payments/{payment.pk}/refund/", {"reason": "Moved away"}, format="json")
    again = api.post(f"/api/payments/{payment.pk}/refund/", {"reason": "Moved away"}, format="json")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["refund_reason"]) == ("REFUNDED", "Moved away")
    member.refresh_from_db()
    assert member.expiration_date == days(20)
    assert ledger(member)[-1] == ("REFUND", add_months(days(20), 2), days(20))
    assert again.status_code == 409


def test_a_refund_never_moves_the_paid_until_date_before_yesterday(api_client_for, admin_user):
    member = ClientFactory(expiration_date=days(-3))
    # The sale added today's month and the three lapsed days before it; only days from yesterday on go back.
    payment = membership_sale(client=member, membership=member.membership, months=1, method="CASH", staff=admin_user)

    api_client_for(admin_user).post(f"/api/payments/{payment.pk}/refund/", {"reason": "Unhappy"}, format="json")

    member.refresh_from_db()
    assert member.expiration_date == days(-1)
    assert api_client_for(admin_user).get(f"/api/clients/{member.pk}/").json()["status"] == "INACTIVE"


def test_a_refund_needs_a_reason(api_client_for, admin_user):
    payment = PaymentFactory(status="PAID")

    response = api_client_for(admin_user).post(f"/api/payments/{payment.pk}/refund/", {"reason": ""}, format="json")

    assert (response.status_code, list(response.json())) == (400, ["reason"])


# --- holds ---------------------------------------------------------------------------------------
def test_a_hold_moves_the_paid_until_date_and_the_member_is_on_hold_only_on_its_days(api_client_for, admin_user):
    member = ClientFactory(expiration_date=days(30))
    api = api_client_for(admin_user)

    response = api.post(
        f"/api/clients/{member.pk}/holds/", {"starts_on": days(0), "ends_on": days(9), "reason": "Trip"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert (response.json()["days"], response.json()["reason"]) == (10, "Trip")
    shown = api.get(f"/api/clients/{member.pk}/").json()
    assert (shown["status"], shown["expiration_date"]) == ("ON_HOLD", days(40).isoformat())
    statuses = {
        day: Client.objects.with_effective_status(today=days(day)).get(pk=member.pk).effective_status for day in (9, 10)
    }
    assert statuses == {9: "ON_HOLD", 10: "ACTIVE"}  # back to ACTIVE with nobody acting
    assert ledger(member)[-1] == ("HOLD", days(30), days(40))


def test_overlapping_holds_are_a_409_and_too_many_hold_days_a_400(api_client_for, admin_user, settings):
    settings.MEMBERSHIP_HOLD_MAX_DAYS = 14
    member = ClientFactory(expiration_date=days(60))
    url = f"/api/clients/{member.pk}/holds/"
    api = api_client_for(admin_user)
    api.post(url, {"starts_on": days(5), "ends_on": days(14)}, format="json")

    overlapping = api.post(url, {"starts_on": days(14), "ends_on": days(16)}, format="json")
    too_long = api.post(url, {"starts_on": days(20), "ends_on": days(24)}, format="json")

    assert overlapping.status_code == 409
    assert (too_long.status_code, list(too_long.json())) == (400, ["ends_on"])
    assert MembershipHold.objects.count() == 1


def test_a_lapsed_member_cannot_be_put_on_hold(api_client_for, admin_user):
    member = ClientFactory(expiration_date=days(-1))

    response = api_client_for(admin_user).post(
        f"/api/clients/{member.pk}/holds/", {"starts_on": days(0), "ends_on": days(3)}, format="json"
    )

    assert response.status_code == 409


def test_cancelling_a_future_hold_gives_its_days_back_and_a_started_one_stays(api_client_for, admin_user):
    member = ClientFactory(expiration_date=days(30))
    future = hold_create(client=member, starts_on=days(2), ends_on=days(4), staff=admin_user)
    started = hold_create(client=member, starts_on=days(0), ends_on=days(1), staff=admin_user)
    api = api_client_for(admin_user)

    assert api.delete(f"/api/holds/{future.pk}/").status_code == 204
    assert api.delete(f"/api/holds/{started.pk}/").status_code == 409
    member.refresh_from_db()
    assert member.expiration_date == days(32)
    assert [kind for kind, *_ in ledger(member)][-3:] == ["HOLD", "HOLD", "HOLD_CANCELLED"]


# --- corrections through the client API -----------------------------------------------------------
def test_an_admin_corrects_the_paid_until_date_only_with_a_reason(api_client_for, admin_user):
    member = ClientFactory(expiration_date=days(5))
    api = api_client_for(admin_user)
    url = f"/api/clients/{member.pk}/"

    without = api.patch(url, {"expiration_date": days(35)}, format="json")
    with_reason = api.patch(url, {"expiration_date": days(35), "reason": "Paid by bank, entered late"}, format="json")

    assert (without.status_code, list(without.json())) == (400, ["reason"])
    assert (with_reason.status_code, with_reason.json()["expiration_date"]) == (200, days(35).isoformat())
    event = MembershipEvent.objects.filter(client=member).first()
    assert (event.kind, event.reason, event.staff_id) == ("CORRECTION", "Paid by bank, entered late", admin_user.pk)


def test_a_trainer_reads_the_paid_until_date_but_cannot_change_it(api_client_for, trainer):
    member = ClientFactory(expiration_date=days(5))
    api = api_client_for(trainer)
    url = f"/api/clients/{member.pk}/"
    shown = api.get(url).json()

    changed = api.patch(url, {"expiration_date": days(300), "reason": "gift"}, format="json")
    unchanged = api.put(
        url, {k: v for k, v in shown.items() if k not in ("id", "created_at", "updated_at")}, format="json"
    )
    created = api.post(
        "/api/clients/",
        {
            "user_id": UserFactory().pk,
            "first_name": "New",
            "last_name": "Member",
            "phone_number": "+7 900 000 0000",
            "date_of_birth": "1990-01-01",
            "expiration_date": days(365),
            "reason": "gift",
        },
        format="json",
    )

    assert (changed.status_code, unchanged.status_code, created.status_code) == (403, 200, 403)
    member.refresh_from_db()
    assert member.expiration_date == days(5)


# --- reads: the ledger, status, cash-up, receipts, phone search ------------------------------------
def test_the_ledger_lists_newest_first_for_staff_and_the_member_itself(
    api_client_for, admin_user, trainer, client_user, other_client_user
):
    member = client_user.client
    membership_sale(client=member, membership=member.membership, months=1, method="CASH", staff=admin_user)
    hold_create(client=member, starts_on=days(3), ends_on=days(4), staff=admin_user, reason="Flu")
    url = f"/api/clients/{member.pk}/membership-events/"

    own = api_client_for(client_user).get(url)

    assert [row["kind"] for row in own.json()["results"]] == ["HOLD", "SALE"]
    assert set(own.json()["results"][0]) == {
        "id", "client_id", "kind", "expiration_before", "expiration_after", "payment_id", "hold_id", "staff_id",
        "reason", "created_at",
    }  # fmt: skip
    assert api_client_for(trainer).get(url).status_code == 200
    assert api_client_for(other_client_user).get(url).status_code == 404


def test_the_status_is_never_stale_in_the_api_its_filter_and_the_dashboard_count(api_client_for, trainer):
    # Stored ACTIVE, but the last paid day was yesterday and no nightly task has run.
    lapsed = ClientFactory(status="ACTIVE", expiration_date=days(-1))
    paying = ClientFactory(status="ACTIVE", expiration_date=days(3))
    api = api_client_for(trainer)

    assert api.get(f"/api/clients/{lapsed.pk}/").json()["status"] == "INACTIVE"
    assert [row["id"] for row in api.get("/api/clients/?status=ACTIVE").json()["results"]] == [paying.pk]
    assert [row["id"] for row in api.get("/api/clients/?status=INACTIVE").json()["results"]] == [lapsed.pk]
    assert today_at_a_glance(user=trainer, today=TODAY()).active_clients == 1


def test_the_cash_up_of_a_day_sums_by_method_and_by_staff_with_refunds_apart(api_client_for, admin_user):
    member = ClientFactory(membership=MembershipFactory(price=Decimal("1000.00")))
    cash = membership_sale(client=member, membership=member.membership, months=2, method="CASH", staff=admin_user)
    membership_sale(client=member, membership=member.membership, months=1, method="CARD", staff=admin_user)
    api = api_client_for(admin_user)
    api.post(f"/api/payments/{cash.pk}/refund/", {"reason": "Double charge"}, format="json")

    body = api.get(f"/api/payments/summary/?date={TODAY().isoformat()}").json()

    assert body == {
        "date": TODAY().isoformat(),
        "currency": "RUB",
        "count": 2,
        "total": "3000.00",
        "by_method": {
            "CASH": {"count": 1, "total": "2000.00"},
            "CARD": {"count": 1, "total": "1000.00"},
            "TRANSFER": {"count": 0, "total": "0.00"},
            "PROVIDER": {"count": 0, "total": "0.00"},
        },
        "by_staff": [{"staff_id": admin_user.pk, "count": 2, "total": "3000.00"}],
        "refunds": {"count": 1, "total": "2000.00"},
    }
    assert api.get("/api/payments/summary/?date=yesterday").status_code == 400


def test_the_member_downloads_its_own_receipt_and_nobody_elses(
    api_client_for, admin_user, client_user, other_client_user
):
    member = client_user.client
    member.first_name = "Анна"
    member.save()
    payment = membership_sale(client=member, membership=member.membership, months=1, method="CASH", staff=admin_user)
    url = f"/api/payments/{payment.pk}/receipt/"

    own = api_client_for(client_user).get(url)

    assert (own.status_code, own["Content-Type"]) == (200, "application/pdf")
    assert own.content.startswith(b"%PDF")
    assert payment.receipt_number in own["Content-Disposition"]
    assert api_client_for(admin_user).get(url).status_code == 200
    assert api_client_for(other_client_user).get(url).status_code == 404
    assert api_client_for(admin_user).get(f"/api/payments/{PaymentFactory().pk}/receipt/").status_code == 404


@pytest.mark.parametrize("typed", ["+7 935 576-61-26", "89355766126", "9355766126", "8 (935) 576 61 26", "576-61-26"])
def test_a_member_is_found_by_phone_however_it_is_typed(api_client_for, trainer, typed):
    member = ClientFactory(phone_number="+7 (935) 576-61-26")
    ClientFactory(phone_number="+7 935 111 2233")

    found = api_client_for(trainer).get("/api/clients/", {"search": typed}).json()["results"]

    assert [row["id"] for row in found] == [member.pk]
    assert list(client_search(user=trainer, search=typed)) == [member]
    assert Client.objects.get(pk=member.pk).phone_normalized == "9355766126"
