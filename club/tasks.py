from celery import shared_task
from django.utils import timezone

from club.services import clients_deactivate_expired, memberships_notify


@shared_task
def deactivate_expired_memberships() -> int:
    """Celery beat, daily (CELERY_BEAT_SCHEDULE): ACTIVE clients past their last paid day become INACTIVE."""
    return clients_deactivate_expired(today=timezone.localdate())


@shared_task
def notify_memberships_ending() -> dict[str, dict[str, int]]:
    """Celery beat, daily: MEMBERSHIP_EXPIRING and MEMBERSHIP_LAPSED notifications, each once ever."""
    return memberships_notify(today=timezone.localdate())
