"""The API's fast read path (core.serializers.FastReadMixin) renders exactly what DRF's generic path does."""

import datetime
from decimal import Decimal

import pytest
from rest_framework import serializers

from club.api.serializers import ClientSerializer, MembershipSerializer, PaymentSerializer
from club.models import Client, Membership, Payment
from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory
from training.api.serializers import (
    ExerciseSerializer,
    TrainingExerciseSerializer,
    TrainingPlanSerializer,
    TrainingSerializer,
)
from training.models import Exercise, Training, TrainingExercise, TrainingPlan
from training.tests.factories import (
    ExerciseFactory,
    TrainingExerciseFactory,
    TrainingFactory,
    TrainingPlanFactory,
)

pytestmark = pytest.mark.django_db


def drf_generic(serializer, instance) -> dict:
    return serializers.Serializer.to_representation(serializer, instance)


@pytest.fixture
def rows():
    """Every serializer's model with set and unset optional values, fresh from Python and loaded from the database."""
    vip = MembershipFactory(access_level=None, description=None, price=Decimal("99.9"))
    full = ClientFactory(
        membership=vip,
        gender="FEMALE",
        weight_kg=Decimal("61.5"),
        height_cm=170,
        expiration_date=datetime.date(2026, 5, 1),
        trainer=None,
    )
    bare = ClientFactory()
    payment = PaymentFactory(client=full, paid_at=datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.UTC))
    training = TrainingFactory(client=full, date=datetime.date(2026, 3, 2), intensity=None, description="Heavy")
    row = TrainingExerciseFactory(training=training, extra_weight=40, exercise=ExerciseFactory(description=None))
    TrainingExerciseFactory(training=training, extra_weight=None)
    plan = TrainingPlanFactory(user=full.user)
    plan.trainings.add(training)
    fresh = [vip, full, bare, payment, training, row, plan]
    loaded = [
        *Membership.objects.all(),
        *Client.objects.all(),
        *Payment.objects.all(),
        *Exercise.objects.all(),
        *Training.objects.prefetch_related("exercise_rows"),
        *TrainingExercise.objects.all(),
        *TrainingPlan.objects.prefetch_related("trainings"),
    ]
    return fresh + loaded


SERIALIZERS = {
    Membership: MembershipSerializer,
    Client: ClientSerializer,
    Payment: PaymentSerializer,
    Exercise: ExerciseSerializer,
    Training: TrainingSerializer,
    TrainingExercise: TrainingExerciseSerializer,
    TrainingPlan: TrainingPlanSerializer,
}


def test_fast_representation_matches_drfs(rows):
    for instance in rows:
        serializer = SERIALIZERS[type(instance)]()

        fast = serializer.to_representation(instance)

        assert fast == drf_generic(serializer, instance), instance
        # The same JSON types too: strings stay strings (decimals, dates), numbers numbers.
        assert {k: type(v) for k, v in fast.items()} == {
            k: type(v) for k, v in drf_generic(serializer, instance).items()
        }
