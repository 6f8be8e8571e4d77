"""Periodic tasks of the timetable (scheduled in config/settings/base.py): thin wrappers of the services."""

from celery import shared_task

from classes import services


@shared_task
def generate_timetable() -> dict[str, int]:
    return services.timetable_generate()


@shared_task
def mark_no_shows() -> int:
    return services.bookings_mark_no_shows()


@shared_task
def remind_booked_classes() -> dict[str, int]:
    return services.bookings_remind()._asdict()
