import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import TrainerFactory
from classes.models import ClassSession, ClassType


class ClassTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassType

    name = factory.Sequence(lambda n: f"Yoga {n}")
    capacity = 10
    duration_min = 60


class ClassSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassSession

    class_type = factory.SubFactory(ClassTypeFactory)
    trainer = factory.SubFactory(TrainerFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + datetime.timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda session: session.starts_at + datetime.timedelta(hours=1))
    capacity = factory.SelfAttribute("class_type.capacity")
    room = ""
