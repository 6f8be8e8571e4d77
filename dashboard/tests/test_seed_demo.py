import pytest
from django.core.management import call_command

from accounts.models import Role, User
from club.models import Client, MembershipEvent, Payment, PaymentStatus
from training.models import Exercise, Training, TrainingExercise, TrainingPlan
from workouts.models import WorkoutSession

pytestmark = pytest.mark.django_db


def club_size() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Client, Exercise, Training, TrainingExercise, TrainingPlan, WorkoutSession, Payment)
    }


def test_seed_demo_builds_a_club_with_staff_members_and_history(capsys):
    call_command("seed_demo", clients=6, trainings_per_client=2)

    assert User.objects.filter(role=Role.ADMIN, is_superuser=True, username="admin").exists()
    assert User.objects.filter(role=Role.TRAINER).count() == 2
    assert Client.objects.count() == 6
    assert Exercise.objects.count() >= 40
    assert Exercise.objects.exclude(muscle_group=None).count() == Exercise.objects.count()
    assert Training.objects.count() == 12
    assert TrainingExercise.objects.filter(order_in_training=1).count() == 12
    assert TrainingPlan.objects.filter(trainings__isnull=False).distinct().count() == 6
    assert WorkoutSession.objects.count() >= 6
    # Every member has payments: the admin's payments list and the revenue report have something to show.
    assert set(Payment.objects.values_list("client", flat=True)) == set(Client.objects.values_list("pk", flat=True))
    assert Payment.objects.filter(status=PaymentStatus.PAID, paid_at__isnull=False).exists()
    assert "admin / admin-demo-pass" in capsys.readouterr().out


def test_demo_members_are_paid_up_by_desk_sales_with_receipts_and_a_ledger_behind_every_date():
    call_command("seed_demo", clients=30, trainings_per_client=1)

    sales = Payment.objects.filter(status=PaymentStatus.PAID)
    receipts = list(sales.values_list("receipt_number", flat=True))
    year_numbers = sorted(int(number.split("-")[1]) for number in receipts)
    assert sorted(set(sales.values_list("method", flat=True))) <= ["CARD", "CASH", "TRANSFER"]
    assert year_numbers[0] == 1
    assert len(set(receipts)) == len(receipts)
    assert set(MembershipEvent.objects.filter(kind="SALE").values_list("payment", flat=True)) == set(
        sales.values_list("pk", flat=True)
    )
    for member in Client.objects.exclude(expiration_date=None):
        assert member.membership_events.order_by("-id").first().expiration_after == member.expiration_date


def test_seed_demo_is_idempotent_and_tops_up(client):
    call_command("seed_demo", clients=3, trainings_per_client=1)
    first = club_size()
    call_command("seed_demo", clients=3, trainings_per_client=1)
    assert club_size() == first

    call_command("seed_demo", clients=5, trainings_per_client=1)
    assert Client.objects.count() == 5
    assert client.login(username="client00005", password="client-demo-pass")
