import factory

from club.tests.factories import ClientFactory
from training.models import Exercise, MuscleGroup, Training, TrainingExercise, TrainingPlan, TrainingType


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exercise

    title = factory.Sequence(lambda n: f"Exercise {n}")
    muscle_group = MuscleGroup.LEGS


class TrainingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Training

    client = factory.SubFactory(ClientFactory)
    title = "Leg day"
    training_type = TrainingType.STRENGTH


class TrainingExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingExercise

    training = factory.SubFactory(TrainingFactory)
    exercise = factory.SubFactory(ExerciseFactory)
    # Distinct within any one training, and inside the column's CHECK (1-1000) however many rows the
    # whole session has made: the sequence runs across tests.
    order_in_training = factory.Sequence(lambda n: n % 1000 + 1)


class TrainingPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingPlan

    user = factory.SubFactory("accounts.tests.factories.UserFactory")
    title = "Spring strength block"
