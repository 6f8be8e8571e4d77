import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from club.models import ClientStatus, PaymentMethod, PaymentStatus
from club.payment_events import PaymentEvent
from club.services import add_months, membership_sale, memberships_notify, payment_apply_event
from club.tasks import notify_memberships_ending
from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory
from notifications.models import Notification, NotificationKind, NotificationOptOut
from notifications.tests.helpers import in_failed_transaction, link_telegram, rows

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
EXPIRING, LAPSED = NotificationKind.MEMBERSHIP_EXPIRING, NotificationKind.MEMBERSHIP_LAPSED


def member(days: int | None, *, linked: bool = True, **fields):
    """A member whose last paid day is `days` from today (None: never paid)."""
    expiration = None if days is None else TODAY + datetime.timedelta(days=days)
    client = ClientFactory(expiration_date=expiration, **fields)
    if linked:
        link_telegram(client.user)
    return client


def key(kind: str, client) -> str:
    return f"{kind}:{client.pk}:{client.expiration_date.isoformat()}"


# ---------------------------------------------------------------------------
# RECEIPT
# ---------------------------------------------------------------------------
def sell(client, months: int = 3, **fields):
    membership = fields.pop("membership", None) or MembershipFactory(price=Decimal("499.00"))
    return membership_sale(client=client, membership=membership, months=months, method=PaymentMethod.CASH, staff=None)


def test_a_sale_writes_the_members_receipt_and_queues_its_send_on_commit(django_capture_on_commit_callbacks):
    client = member(10)
    with django_capture_on_commit_callbacks() as callbacks:
        payment = sell(client)
    notification = Notification.objects.get()
    assert (notification.user, notification.kind, notification.dedupe_key, notification.status) == (
        client.user,
        "RECEIPT",
        f"RECEIPT:{payment.pk}",
        "QUEUED",
    )
    assert notification.context == {
        "payment_id": payment.pk,
        "receipt_number": payment.receipt_number,
        "amount": "1497.00",
        "currency": "RUB",
        "membership": "Premium",
        "period_from": (TODAY + datetime.timedelta(days=11)).isoformat(),
        "period_to": add_months(TODAY + datetime.timedelta(days=10), 3).isoformat(),
    }
    assert len(callbacks) == 1


def test_a_lapsed_members_receipt_period_starts_today():
    client = member(-5)
    sell(client, months=1)
    assert Notification.objects.get().context["period_from"] == TODAY.isoformat()


def test_a_sale_that_rolls_back_leaves_no_receipt(django_capture_on_commit_callbacks):
    client = member(10)
    with django_capture_on_commit_callbacks() as callbacks:
        in_failed_transaction(lambda: sell(client))
    assert (Notification.objects.count(), callbacks) == (0, [])


def test_a_member_without_telegram_gets_a_skipped_receipt(django_capture_on_commit_callbacks):
    client = member(10, linked=False)
    with django_capture_on_commit_callbacks() as callbacks:
        sell(client)
    assert list(Notification.objects.values_list("status", "error")) == [("SKIPPED", "No Telegram account linked.")]
    assert callbacks == []


def test_an_online_payment_gets_a_receipt_once_however_often_the_provider_reports_it():
    client = member(10)
    payment = PaymentFactory(client=client, method=PaymentMethod.PROVIDER)
    event = PaymentEvent(payment.pk, client.pk, PaymentStatus.PAID, timezone.now())

    assert payment_apply_event(event=event) is True
    assert payment_apply_event(event=event) is False

    notification = Notification.objects.get()
    assert (notification.dedupe_key, notification.context["receipt_number"], notification.context["amount"]) == (
        f"RECEIPT:{payment.pk}",
        None,
        "49.90",
    )
    assert notification.context["period_from"] == (TODAY + datetime.timedelta(days=11)).isoformat()
    assert notification.context["period_to"] == (TODAY + datetime.timedelta(days=40)).isoformat()


def test_a_failed_online_payment_writes_no_receipt():
    payment = PaymentFactory(client=member(10), method=PaymentMethod.PROVIDER)
    payment_apply_event(event=PaymentEvent(payment.pk, payment.client_id, PaymentStatus.FAILED, timezone.now()))
    assert Notification.objects.count() == 0


# ---------------------------------------------------------------------------
# MEMBERSHIP_EXPIRING / MEMBERSHIP_LAPSED
# ---------------------------------------------------------------------------
def test_expiring_goes_three_days_before_the_last_paid_day_and_lapsed_the_day_after():
    in_three, in_four, last_day_today = member(3), member(4), member(0)
    ended_yesterday, ended_four_days_ago, never_paid = member(-1), member(-4), member(None)

    memberships_notify(today=TODAY)

    assert sorted(rows()) == sorted([
        (EXPIRING, key(EXPIRING, in_three), "QUEUED"),
        (EXPIRING, key(EXPIRING, last_day_today), "QUEUED"),
        (LAPSED, key(LAPSED, ended_yesterday), "QUEUED"),
    ])  # fmt: skip
    assert Notification.objects.filter(user__in=[in_four.user, ended_four_days_ago.user, never_paid.user]).count() == 0


def test_a_notice_beat_missed_is_sent_by_the_next_run_but_never_twice():
    client = member(3)
    memberships_notify(today=TODAY - datetime.timedelta(days=1))  # four days before: nothing yet
    assert rows() == []
    memberships_notify(today=TODAY + datetime.timedelta(days=1))  # the day of the notice was missed
    memberships_notify(today=TODAY + datetime.timedelta(days=2))
    assert rows() == [(EXPIRING, key(EXPIRING, client), "QUEUED")]


def test_the_notices_context_holds_what_the_message_shows():
    client = member(3, first_name="Vera")
    memberships_notify(today=TODAY)
    assert Notification.objects.get().context == {
        "client_id": client.pk,
        "first_name": "Vera",
        "expiration_date": client.expiration_date.isoformat(),
    }


def test_a_member_who_renewed_is_not_told_the_membership_is_expiring():
    client = member(3)
    sell(client, months=1)
    memberships_notify(today=TODAY)
    assert rows(kind=EXPIRING) == []


def test_a_member_deactivated_by_staff_or_deleted_is_not_told():
    member(3, status=ClientStatus.INACTIVE)
    deleted = member(3)
    deleted.user.deleted_at = timezone.now()
    deleted.user.save(update_fields=["deleted_at"])
    memberships_notify(today=TODAY)
    assert rows() == []


def test_unlinked_and_opted_out_members_get_skipped_rows():
    unlinked = member(3, linked=False)
    opted_out = member(-1)
    NotificationOptOut.objects.create(user=opted_out.user, kind=LAPSED)
    memberships_notify(today=TODAY)
    assert set(Notification.objects.values_list("user", "status", "error")) == {
        (unlinked.user.pk, "SKIPPED", "No Telegram account linked."),
        (opted_out.user.pk, "SKIPPED", "The member switched this kind off."),
    }


def test_running_twice_queues_nothing_new(django_capture_on_commit_callbacks):
    member(3)
    member(-1)
    assert memberships_notify(today=TODAY) == {
        EXPIRING: {"written": 1, "queued": 1},
        LAPSED: {"written": 1, "queued": 1},
    }
    with django_capture_on_commit_callbacks() as callbacks:
        again = memberships_notify(today=TODAY)
    assert again == {EXPIRING: {"written": 0, "queued": 0}, LAPSED: {"written": 0, "queued": 0}}
    assert (Notification.objects.count(), callbacks) == (2, [])


def test_the_daily_task_runs_a_fixed_number_of_queries_whatever_the_number_of_members(django_assert_num_queries):
    for _ in range(2):
        member(3)
    with django_assert_num_queries(4):  # savepoint, one INSERT … SELECT per kind, release
        notify_memberships_ending()
    for _ in range(20):
        member(2)
        member(-1)
    with django_assert_num_queries(4):
        notify_memberships_ending()
    assert Notification.objects.count() == 42


def test_the_daily_task_is_on_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notify-memberships-ending"]
    assert entry["task"] == "club.tasks.notify_memberships_ending"


def test_a_user_without_a_client_profile_is_never_a_candidate():
    UserFactory(telegram_id=123)
    memberships_notify(today=TODAY)
    assert rows() == []
