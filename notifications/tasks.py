import logging

from celery import Task, shared_task

logger = logging.getLogger(__name__)


# max_retries=None: the retries are the limiter's waits and the backoff, bounded by the service
# (NOTIFICATION_MAX_ATTEMPTS Bot API calls), not by Celery. acks_late + reject_on_worker_lost
# (settings) hand a task back to RabbitMQ when its worker dies; the row's claim makes that harmless.
@shared_task(bind=True, max_retries=None)
def send_notification(self: Task, notification_id: int) -> None:
    # Imported here: the services module queues this task, so it imports this module at its top.
    from notifications.services import notification_send

    if self.request.is_eager:
        # The embedded default (no broker): an eager retry would run again at once, ignoring the
        # countdown, so the limiter's waits are slept here and a failed attempt is not repeated.
        outcome = notification_send(notification_id=notification_id, max_inline_wait=float("inf"))
        if outcome.retry_in is not None:
            logger.warning("notification %s not sent (%s); no retry without a broker", notification_id, outcome.note)
        return
    outcome = notification_send(notification_id=notification_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)


@shared_task
def fail_stale_notification_claims() -> int:
    from notifications.services import notification_fail_stale_claims

    return notification_fail_stale_claims()
