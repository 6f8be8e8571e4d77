"""Members at risk: paying, but no admitted visit in AT_RISK_DAYS (SPEC part 2, "Attendance")."""

import datetime

import pytest
from django.utils import timezone

from attendance.models import Visit
from club.models import MembershipHold
from club.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def visit(client, days_ago: int, result: str = "ADMITTED") -> None:
    Visit.objects.create(
        client=client,
        checked_in_at=timezone.now() - datetime.timedelta(days=days_ago),
        result=result,
        reason=None if result == "ADMITTED" else "LAPSED",
        method="QR",
    )


def test_at_risk_lists_paying_members_who_stopped_coming_newest_lapse_first(
    api_client_for, trainer, settings, django_assert_num_queries
):
    settings.AT_RISK_DAYS = 14
    regular = ClientFactory(first_name="Regular", expiration_date=days(30), trainer=trainer)
    visit(regular, 2)
    drifted_lately = ClientFactory(first_name="Lately", expiration_date=days(30), trainer=trainer)
    visit(drifted_lately, 15)
    drifted_long_ago = ClientFactory(first_name="LongAgo", expiration_date=days(30))
    visit(drifted_long_ago, 40)
    visit(drifted_long_ago, 3, result="DENIED")  # turned away at the door is not a visit
    never_came = ClientFactory(first_name="Never", expiration_date=days(30))
    lapsed = ClientFactory(first_name="Lapsed", expiration_date=days(-3))  # not paying: not at risk
    on_hold = ClientFactory(first_name="Holding", expiration_date=days(30))
    MembershipHold.objects.create(client=on_hold, starts_on=days(-20), ends_on=days(5))

    api = api_client_for(trainer)

    with django_assert_num_queries(3):  # the user, the count, the page: one annotated query, no loop
        response = api.get("/api/clients/?at_risk=true")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [c["id"] for c in results] == [drifted_lately.pk, drifted_long_ago.pk, never_came.pk]
    assert results[0]["trainer_id"] == trainer.pk
    not_at_risk = api.get("/api/clients/?at_risk=false").json()["results"]
    assert {c["id"] for c in not_at_risk} == {regular.pk, lapsed.pk, on_hold.pk}


def test_a_member_sees_at_most_itself_at_risk(api_client_for, client_user, other_client_user):
    response = api_client_for(client_user).get("/api/clients/?at_risk=true")

    assert response.status_code == 200
    assert {c["id"] for c in response.json()["results"]} <= {client_user.client.pk}
