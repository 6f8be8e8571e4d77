import datetime
from decimal import Decimal

import factory
from django.db import transaction

from accounts.tests.factories import UserFactory
from club.models import AccessLevel, Client, Membership, MembershipEvent, MembershipEventKind, Payment, ledger_write


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

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A paid-until date given to the factory is an opening balance in the ledger, as the data
        # migration writes for existing clients; the status stays what the test asked for.
        # One transaction: outside a test's own (transaction=True tests), the database checks the ledger
        # at each commit.
        with transaction.atomic(), ledger_write():
            client = super()._create(model_class, *args, **kwargs)
            if client.expiration_date is not None:
                MembershipEvent.objects.create(
                    client=client,
                    kind=MembershipEventKind.CORRECTION,
                    expiration_after=client.expiration_date,
                    reason="opening balance",
                )
        return client


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    client = factory.SubFactory(ClientFactory)
    membership = factory.SelfAttribute("client.membership")
    amount = factory.SelfAttribute("membership.price")
