import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification, NotificationKind, NotificationStatus
from notifications.services import NOT_LINKED

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_and_failed(client_user, other_client_user):
    now = timezone.now()
    return [
        Notification.objects.create(
            user=client_user,
            kind=NotificationKind.RECEIPT,
            dedupe_key="RECEIPT:101",
            status=NotificationStatus.SENT,
            attempts=1,
            sent_at=now,
        ),
        Notification.objects.create(
            user=client_user,
            kind=NotificationKind.CLASS_REMINDER,
            dedupe_key="CLASS_REMINDER:7",
            status=NotificationStatus.FAILED,
            attempts=5,
            error="Telegram unreachable after 5 attempts: ConnectTimeout",
            created_at=now - datetime.timedelta(hours=1),
        ),
        Notification.objects.create(user=other_client_user, kind=NotificationKind.RECEIPT, dedupe_key="RECEIPT:102"),
    ]


def test_the_admin_lists_notifications_with_status_and_error(client, admin_user, sent_and_failed):
    client.force_login(admin_user)

    response = client.get(reverse("admin:notifications_notification_changelist"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Telegram unreachable after 5 attempts: ConnectTimeout" in html
    newest_first = [row.dedupe_key for row in response.context["cl"].result_list]
    assert newest_first == ["RECEIPT:102", "RECEIPT:101", "CLASS_REMINDER:7"]


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("status__exact=FAILED", ["CLASS_REMINDER:7"]),
        ("kind__exact=RECEIPT", ["RECEIPT:101", "RECEIPT:102"]),
        ("q=boris", ["RECEIPT:102"]),
        ("q=CLASS_REMINDER:7", ["CLASS_REMINDER:7"]),
    ],
)
def test_the_admin_filters_and_searches_notifications(client, admin_user, sent_and_failed, query, keys):
    client.force_login(admin_user)

    response = client.get(reverse("admin:notifications_notification_changelist") + f"?{query}")

    assert sorted(row.dedupe_key for row in response.context["cl"].result_list) == keys


def test_the_admin_cannot_add_change_or_delete_a_notification(client, admin_user, sent_and_failed):
    client.force_login(admin_user)
    notification = sent_and_failed[1]

    assert client.get(reverse("admin:notifications_notification_add")).status_code == 403
    change = client.get(reverse("admin:notifications_notification_change", args=[notification.pk]))
    assert change.status_code == 200
    assert 'name="status"' not in change.content.decode()  # read-only fields, no inputs
    assert client.post(reverse("admin:notifications_notification_delete", args=[notification.pk])).status_code == 403
    assert Notification.objects.filter(pk=notification.pk).exists()


def test_the_opt_out_admin_lists_rows(client, admin_user, client_user, api_client_for):
    api_client_for(client_user).patch("/api/me/notifications/", {"RECEIPT": False})
    client.force_login(admin_user)

    response = client.get(reverse("admin:notifications_notificationoptout_changelist"))

    assert response.status_code == 200
    assert [(row.user, row.kind) for row in response.context["cl"].result_list] == [(client_user, "RECEIPT")]


def test_the_client_admin_links_the_members_notifications(client, admin_user, client_user):
    client.force_login(admin_user)

    response = client.get(reverse("admin:club_client_change", args=[client_user.client.pk]))

    link = reverse("admin:notifications_notification_changelist") + f"?user__id__exact={client_user.pk}"
    assert link in response.content.decode()
    assert client.get(link).status_code == 200


def test_a_clients_page_shows_what_was_sent_to_them(client, trainer, client_user, sent_and_failed):
    client.force_login(trainer)

    response = client.get(reverse("dashboard:client-detail", args=[client_user.client.pk]))

    assert response.status_code == 200
    assert list(response.context["notifications"]) == sent_and_failed[:2]
    html = response.content.decode()
    assert "Telegram notifications" in html
    assert "Class reminder" in html
    assert "Telegram unreachable after 5 attempts: ConnectTimeout" in html


def test_a_clients_page_without_notifications_says_so(client, trainer, client_user):
    client.force_login(trainer)

    response = client.get(reverse("dashboard:client-detail", args=[client_user.client.pk]))

    assert "Nothing sent yet" in response.content.decode()


def test_our_reasons_for_not_sending_are_shown_in_the_pages_language(client, trainer, client_user):
    Notification.objects.create(
        user=client_user, kind="RECEIPT", dedupe_key="RECEIPT:ru-reason", status="SKIPPED", error=NOT_LINKED
    )
    client.force_login(trainer)

    response = client.get(reverse("dashboard:client-detail", args=[client_user.client.pk]), HTTP_ACCEPT_LANGUAGE="ru")

    assert "Telegram не привязан." in response.content.decode()
    assert Notification.objects.get(dedupe_key="RECEIPT:ru-reason").error == "No Telegram account linked."
