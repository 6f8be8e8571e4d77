import datetime
from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from club.models import AccessLevel, Client, Membership, Payment


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    access_level = AccessLevel.PREMIUM
    description = "Gym, pool and group classes"
    price = Decimal("49.90")


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    user = factory.SubFactory(UserFactory)
    membership = factory.SubFactory(MembershipFactory)
    first_name = factory.Sequence(lambda n: f"Anna{n}")
    last_name = "Petrova"
    phone_number = factory.Sequence(lambda n: f"+7 900 {n:07d}")
    date_of_birth = datetime.date(1990, 5, 17)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    client = factory.SubFactory(ClientFactory)
    membership = factory.SelfAttribute("client.membership")
    amount = factory.SelfAttribute("membership.price")
