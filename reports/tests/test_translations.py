"""Report labels in Russian: the summary's lines, enum values and the files' headings follow the active language."""

from django.conf import settings
from django.utils import translation

from reports.labels import summary_lines, value_label

SUMMARY = {
    "trainings_total": 12,
    "by_type": {"YOGA": 2, "CARDIO": 1},
    "by_access_level": {"PREMIUM": {"clients": 3, "revenue": "4470.00"}},
    "attendance_rate": None,
}


def test_a_summary_reads_in_russian_under_the_russian_language():
    with translation.override("ru"):
        lines = summary_lines(SUMMARY)

    assert lines == [
        ("Тренировки", 12),
        ("Тренировки по типам — Йога", 2),
        ("Тренировки по типам — Кардио", 1),
        ("Премиум — Активные клиенты", 3),
        (f"Премиум — Выручка, {settings.CLUB_CURRENCY}", "4470.00"),
        ("Посещаемость, %", "—"),
    ]


def test_the_same_summary_reads_in_english_by_default():
    assert summary_lines(SUMMARY)[:2] == [("Trainings", 12), ("Trainings by type — Yoga", 2)]


def test_enum_values_of_every_app_have_russian_labels():
    with translation.override("ru"):
        labels = [value_label(value) for value in ("FULL_BODY", "ON_HOLD", "TRANSFER", "TRAINER", "REFUNDED")]

    assert labels == ["Всё тело", "Заморожен", "Банковский перевод", "Тренер", "Возвращён"]
