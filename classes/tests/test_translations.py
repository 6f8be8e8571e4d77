"""Booking refusals follow the caller's language (Accept-Language): the 409's detail in Russian or English."""

import datetime

import pytest
from django.utils import timezone

from classes.models import Booking
from club.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("ru", "В день этого занятия абонемент не действует."),
        ("ru-RU,ru;q=0.9,en;q=0.8", "В день этого занятия абонемент не действует."),
        ("en-GB", "The membership is not active on the day of this class."),
        (None, "The membership is not active on the day of this class."),
    ],
)
def test_a_lapsed_members_booking_is_refused_in_its_language(api_client_for, session, language, detail):
    lapsed = ClientFactory(expiration_date=timezone.localdate() - datetime.timedelta(days=1))
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}

    response = api_client_for(lapsed.user).post(
        f"/api/class-sessions/{session.pk}/bookings/", {}, format="json", **headers
    )

    # The machine-readable reason stays the same in every language.
    assert (response.status_code, response.json()) == (409, {"detail": detail, "extra": {"reason": "LAPSED"}})
    assert not Booking.objects.exists()


def test_booking_twice_is_refused_in_russian(api_client_for, session, member):
    url = f"/api/class-sessions/{session.pk}/bookings/"
    api = api_client_for(member.user)
    assert api.post(url, {}, format="json").status_code == 201

    response = api.post(url, {}, format="json", HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 409
    assert response.json()["detail"] == "У этого клиента уже есть место на этом занятии."
