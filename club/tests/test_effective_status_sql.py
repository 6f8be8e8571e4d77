"""The effective status written as SQL (club.models.EffectiveStatus) says what Client.status_on() says,
as the base table of a query and inside a subquery (where the clients table is aliased)."""

import datetime

import pytest
from django.utils import timezone

from club.models import Client, MembershipHold
from club.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def members() -> dict[str, Client]:
    made = {
        "paying": ClientFactory(status="ACTIVE", expiration_date=days(10)),
        "lapsed yesterday": ClientFactory(status="ACTIVE", expiration_date=days(-1)),
        "last day today": ClientFactory(status="ACTIVE", expiration_date=days(0)),
        "never paid, stored inactive": ClientFactory(status="INACTIVE", expiration_date=None),
        "never paid, stored active": ClientFactory(status="ACTIVE", expiration_date=None),
        "deactivated by staff": ClientFactory(status="INACTIVE", expiration_date=days(10)),
        "on a hold today": ClientFactory(status="ACTIVE", expiration_date=days(10)),
        "hold cancelled": ClientFactory(status="ACTIVE", expiration_date=days(10)),
        "hold ended yesterday": ClientFactory(status="ON_HOLD", expiration_date=days(10)),
    }
    MembershipHold.objects.create(client=made["on a hold today"], starts_on=days(-2), ends_on=days(0))
    MembershipHold.objects.create(
        client=made["hold cancelled"], starts_on=days(-1), ends_on=days(1), cancelled_at=timezone.now()
    )
    MembershipHold.objects.create(client=made["hold ended yesterday"], starts_on=days(-5), ends_on=days(-1))
    return made


def test_the_sql_status_is_the_python_rule_for_every_kind_of_member(members):
    annotated = dict(Client.objects.with_effective_status().values_list("pk", "effective_status"))

    assert {name: annotated[m.pk] for name, m in members.items()} == {
        name: m.status_on() for name, m in members.items()
    }
    assert annotated[members["on a hold today"].pk] == "ON_HOLD"
    assert annotated[members["lapsed yesterday"].pk] == "INACTIVE"
    assert annotated[members["hold ended yesterday"].pk] == "ACTIVE"


def test_the_sql_status_filters_inside_a_subquery(members):
    on_hold = Client.objects.with_effective_status().filter(effective_status="ON_HOLD").values("pk")

    assert list(Client.objects.filter(pk__in=on_hold).values_list("pk", flat=True)) == [members["on a hold today"].pk]
