import pytest
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat, JSONObject
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from notifications.models import Notification, NotificationKind, NotificationOptOut, NotificationStatus
from notifications.services import BulkQueued, notifications_queue_many
from notifications.tests.helpers import in_failed_transaction, link_telegram

pytestmark = pytest.mark.django_db

EXPIRING = NotificationKind.MEMBERSHIP_EXPIRING


def queue_for(users: list[User], kind: NotificationKind = EXPIRING) -> BulkQueued:
    return notifications_queue_many(
        kind=kind,
        source=User.objects.filter(pk__in=[user.pk for user in users]),
        user_id=F("pk"),
        dedupe_key=Concat(Value(f"{kind}:"), Cast("pk", CharField())),
        context=JSONObject(first_name="username", expiration_date=Value("2026-12-08")),
    )


def test_members_with_a_reachable_telegram_are_queued_and_the_others_skipped_with_the_reason():
    linked = link_telegram(UserFactory(username="linked"))
    unlinked = UserFactory(username="unlinked")
    blocked = link_telegram(UserFactory(username="blocked"))
    User.objects.filter(pk=blocked.pk).update(telegram_unreachable_at=timezone.now())
    opted_out = link_telegram(UserFactory(username="opted_out"))
    NotificationOptOut.objects.create(user=opted_out, kind=EXPIRING)
    other_kind_off = link_telegram(UserFactory(username="other_kind_off"))
    NotificationOptOut.objects.create(user=other_kind_off, kind=NotificationKind.CLASS_REMINDER)

    result = queue_for([linked, unlinked, blocked, opted_out, other_kind_off])

    assert result == BulkQueued(written=5, queued=2)
    written = Notification.objects.order_by("user__username").values_list(
        "user__username", "kind", "dedupe_key", "status", "error", "context"
    )
    assert list(written) == [
        ("blocked", EXPIRING, f"{EXPIRING}:{blocked.pk}", "SKIPPED", "The member blocked the bot.", {
            "first_name": "blocked", "expiration_date": "2026-12-08"}),
        ("linked", EXPIRING, f"{EXPIRING}:{linked.pk}", "QUEUED", "", {
            "first_name": "linked", "expiration_date": "2026-12-08"}),
        ("opted_out", EXPIRING, f"{EXPIRING}:{opted_out.pk}", "SKIPPED", "The member switched this kind off.", {
            "first_name": "opted_out", "expiration_date": "2026-12-08"}),
        ("other_kind_off", EXPIRING, f"{EXPIRING}:{other_kind_off.pk}", "QUEUED", "", {
            "first_name": "other_kind_off", "expiration_date": "2026-12-08"}),
        ("unlinked", EXPIRING, f"{EXPIRING}:{unlinked.pk}", "SKIPPED", "No Telegram account linked.", {
            "first_name": "unlinked", "expiration_date": "2026-12-08"}),
    ]  # fmt: skip


def test_the_same_events_again_write_and_queue_nothing(django_capture_on_commit_callbacks):
    members = [link_telegram(UserFactory()) for _ in range(3)]
    queue_for(members[:2])
    first = list(Notification.objects.values_list("pk", "dedupe_key", "status"))

    with django_capture_on_commit_callbacks() as callbacks:
        again = queue_for(members)

    assert again == BulkQueued(written=1, queued=1)  # only the third member is new
    assert Notification.objects.count() == 3
    assert list(Notification.objects.filter(pk__in=[pk for pk, _, _ in first]).values_list(
        "pk", "dedupe_key", "status")) == first  # fmt: skip
    assert len(callbacks) == 1


def test_nothing_is_written_when_nobody_is_due(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert queue_for([]) == BulkQueued(written=0, queued=0)
    assert (Notification.objects.count(), callbacks) == (0, [])


def test_one_statement_whatever_the_number_of_members(django_assert_num_queries):
    few = [link_telegram(UserFactory()) for _ in range(2)]
    many = [link_telegram(UserFactory()) for _ in range(25)]
    with django_assert_num_queries(1):
        queue_for(few)
    with django_assert_num_queries(1):
        queue_for(many)
    assert Notification.objects.filter(status="QUEUED").count() == 27


def test_the_rows_roll_back_with_the_callers_transaction(django_capture_on_commit_callbacks):
    member = link_telegram(UserFactory())
    with django_capture_on_commit_callbacks() as callbacks:
        in_failed_transaction(lambda: queue_for([member]))
    assert (Notification.objects.count(), callbacks) == (0, [])


def test_sends_are_queued_on_commit_and_reach_the_linked_members_only(
    telegram_bot, django_capture_on_commit_callbacks, eager_tasks
):
    anna = link_telegram(UserFactory(username="anna"), telegram_id=555)
    unlinked = UserFactory(username="boris")
    with django_capture_on_commit_callbacks() as callbacks:
        queue_for([anna, unlinked])
    assert telegram_bot.sent() == []  # nothing before the commit

    for callback in callbacks:
        callback()

    assert telegram_bot.messages_to(555) == [
        "Hi anna! Your membership ends on 8 Dec 2026. Renew it at the front desk before then to keep training "
        "without a break."
    ]
    assert len(telegram_bot.sent()) == 1
    assert Notification.objects.get(user=anna).status == NotificationStatus.SENT
