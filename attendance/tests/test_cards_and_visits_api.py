"""The member's card and the visits list (SPEC part 2, "Attendance")."""

import datetime

import pytest
from django.utils import timezone

from attendance import cards
from attendance.models import Visit
from attendance.services import check_in
from club.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def test_a_member_gets_a_short_lived_signed_card_naming_itself(api_client_for, client_user):
    before = timezone.now()

    response = api_client_for(client_user).get("/api/me/card/")

    assert response.status_code == 200
    body = response.json()
    assert cards.read_card(body["qr_payload"]).client_id == client_user.client.pk
    assert body["qr_payload"] != str(client_user.client.pk)
    expires_at = datetime.datetime.fromisoformat(body["expires_at"])
    assert before < expires_at <= timezone.now() + datetime.timedelta(minutes=5)
    assert response["Cache-Control"] == "no-store"


def test_the_card_as_a_qr_image(api_client_for, client_user):
    response = api_client_for(client_user).get("/api/me/card.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content


def test_a_trainer_has_no_member_card(api_client_for, trainer):
    assert api_client_for(trainer).get("/api/me/card/").status_code == 404
    assert api_client_for(None).get("/api/me/card/").status_code == 401


def test_staff_list_visits_filtered_by_client_result_and_dates(api_client_for, trainer, django_assert_num_queries):
    boris = ClientFactory(expiration_date=days(30))
    old = check_in(staff=trainer, client_id=boris.pk, now=timezone.now() - datetime.timedelta(days=3))
    today = check_in(staff=trainer, client_id=boris.pk)
    denied = check_in(staff=trainer, client_id=ClientFactory(expiration_date=days(-5)).pk)
    api = api_client_for(trainer)

    with django_assert_num_queries(3):  # the user, the count, the page
        listed = api.get("/api/visits/")
    by_client = api.get(f"/api/visits/?client_id={boris.pk}").json()
    admitted_today = api.get(f"/api/visits/?result=ADMITTED&date_from={days(0)}&date_to={days(0)}").json()
    denied_only = api.get("/api/visits/?result=DENIED").json()

    assert listed.status_code == 200
    assert [v["id"] for v in listed.json()["results"]] == [denied.visit.pk, today.visit.pk, old.visit.pk]
    assert [v["id"] for v in by_client["results"]] == [today.visit.pk, old.visit.pk]
    assert [v["id"] for v in admitted_today["results"]] == [today.visit.pk]
    assert [v["id"] for v in denied_only["results"]] == [denied.visit.pk]
    assert listed.json()["results"][1] == {
        "id": today.visit.pk,
        "client_id": boris.pk,
        "checked_in_at": listed.json()["results"][1]["checked_in_at"],
        "result": "ADMITTED",
        "reason": None,
        "method": "DESK",
        "staff_id": trainer.pk,
    }


def test_a_member_sees_only_its_own_visits(api_client_for, trainer, client_user, other_client_user):
    mine = check_in(staff=trainer, client_id=client_user.client.pk)
    check_in(staff=trainer, client_id=other_client_user.client.pk)
    api = api_client_for(client_user)

    response = api.get("/api/visits/")
    theirs = api.get(f"/api/visits/?client_id={other_client_user.client.pk}")

    assert [v["id"] for v in response.json()["results"]] == [mine.visit.pk]
    assert theirs.json()["count"] == 0
    other_visit = Visit.objects.exclude(pk=mine.visit.pk).get()
    assert api.get(f"/api/visits/{other_visit.pk}/").status_code == 404


def test_a_bad_visits_filter_is_a_400(api_client_for, trainer):
    assert api_client_for(trainer).get("/api/visits/?date_from=yesterday").status_code == 400
    assert api_client_for(trainer).get("/api/visits/?result=MAYBE").status_code == 400


def test_a_user_cannot_issue_printed_cards(api_client_for, client_user):
    response = api_client_for(client_user).post(f"/api/clients/{client_user.client.pk}/printed-card/")

    assert response.status_code == 403
