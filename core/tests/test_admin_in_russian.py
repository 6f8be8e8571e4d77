"""The admin in Russian names the club's models and their columns in Russian, not in English.

The names come from the models' verbose names (LocaleMiddleware picks the language from the browser's
Accept-Language), so a model or field without a translatable verbose name would show English here.
"""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ChallengePurpose, TelegramChallenge
from accounts.tests.factories import TrainerFactory
from attendance.models import CheckInMethod, Visit, VisitResult
from classes.models import TimetableRule
from classes.tests.factories import ClassSessionFactory
from club.tests.factories import PaymentFactory
from training.tests.factories import TrainingExerciseFactory
from workouts.tests.factories import WorkoutSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(admin_user):
    """A row in each list below: an empty list shows no column headers."""
    payment = PaymentFactory()
    TrainingExerciseFactory(training__client=payment.client)
    WorkoutSessionFactory(user=payment.client.user)
    session = ClassSessionFactory()
    TimetableRule.objects.create(
        weekday=0, start_time=datetime.time(9), class_type=session.class_type, trainer=TrainerFactory()
    )
    Visit.objects.create(client=payment.client, result=VisitResult.ADMITTED, method=CheckInMethod.DESK)
    TelegramChallenge.objects.create(
        user=admin_user,
        purpose=ChallengePurpose.LOGIN,
        nonce_digest="0" * 64,
        expires_at=timezone.now() + datetime.timedelta(minutes=5),
    )


def column_headers(page: str) -> list[str]:
    table = re.search(r'<table id="result_list">(.*?)</thead>', page, re.S)
    assert table is not None
    cells = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table.group(1), re.S)
    return [html.unescape(re.sub(r"<[^>]+>|\s+", " ", cell)).strip() for cell in cells]


def current_page(page: str) -> str:
    """The last step of the breadcrumbs: the list's model, in the plural."""
    step = re.search(r'<li aria-current="page">(.*?)</li>', page, re.S)
    assert step is not None
    return html.unescape(step.group(1)).strip()


@pytest.mark.parametrize(
    ("changelist", "models", "column", "english_column"),
    [
        ("admin:club_client_changelist", "Клиенты", "Номер телефона", "Phone number"),
        ("admin:club_payment_changelist", "Платежи", "Дата оплаты", "Paid at"),
        ("admin:training_exercise_changelist", "Упражнения", "Группа мышц", "Muscle group"),
        ("admin:workouts_workoutsession_changelist", "Сессии упражнений", "Всего повторений", "Total reps"),
        ("admin:classes_classtype_changelist", "Виды занятий", "Название", "Name"),
        ("admin:classes_classsession_changelist", "Занятия", "Вместимость", "Capacity"),
        ("admin:classes_timetablerule_changelist", "Правила расписания", "Действует", "Active"),
        ("admin:attendance_visit_changelist", "Посещения", "Время прихода", "Checked in at"),
        ("admin:accounts_telegramchallenge_changelist", "Запросы подтверждения в Telegram", "Назначение", "Purpose"),
    ],
)
def test_an_admin_list_in_russian_names_the_model_and_its_columns_in_russian(
    client, admin_user, rows, changelist, models, column, english_column
):
    client.force_login(admin_user)

    russian = client.get(reverse(changelist), HTTP_ACCEPT_LANGUAGE="ru")
    english = client.get(reverse(changelist), HTTP_ACCEPT_LANGUAGE="en")

    assert russian.status_code == 200
    page = russian.content.decode()
    assert current_page(page) == models
    assert column in column_headers(page)
    assert english_column not in column_headers(page)
    # The English admin keeps the names it had before they became translatable.
    assert english_column in column_headers(english.content.decode())


def test_the_admin_index_in_russian_lists_the_models_in_russian(client, admin_user):
    client.force_login(admin_user)

    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    for name in ("Клиенты", "Платежи", "Абонементы", "Тренировки", "Отчёты", "Занятия", "Посещения"):
        assert f">{name}</a>" in page
    assert ">Clients</a>" not in page
