import factory

from accounts.tests.factories import UserFactory
from workouts.models import WorkoutSession


class WorkoutSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkoutSession

    user = factory.SubFactory(UserFactory)
    exercise_type = "squat"
    total_reps = 20
