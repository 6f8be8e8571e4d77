import datetime

import pytest
from django.utils import timezone

from classes.tests.factories import ClassSessionFactory
from club.tests.factories import ClientFactory


@pytest.fixture
def paid_until():
    return timezone.localdate() + datetime.timedelta(days=60)


@pytest.fixture
def member(db, paid_until):
    """A paying member (PREMIUM)."""
    return ClientFactory(expiration_date=paid_until)


@pytest.fixture
def members(db, paid_until):
    def make(count: int):
        return [ClientFactory(expiration_date=paid_until) for _ in range(count)]

    return make


@pytest.fixture
def session(db, trainer):
    return ClassSessionFactory(trainer=trainer, capacity=2, class_type__capacity=2)
