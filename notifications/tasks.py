from celery import shared_task


@shared_task
def send_notification(notification_id: int) -> None:
    # Imported here: the services module queues this task, so it imports this module at its top.
    from notifications.services import notification_send

    notification_send(notification_id=notification_id)
