"""The API answers in the language the client asks for (Accept-Language): Russian or English."""

import datetime

import pytest
from django.utils import timezone

from club.models import MembershipHold, Payment
from club.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def test_a_refused_sale_answers_its_400_in_russian(api_client_for, admin_user):
    member = ClientFactory()

    response = api_client_for(admin_user).post(
        f"/api/clients/{member.pk}/sales/",
        {"membership_id": member.membership_id, "months": 0, "method": "CASH", "colour": "red"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ru",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["colour"] == ["Неизвестное поле."]
    assert body["months"] == ["Убедитесь, что это значение больше либо равно 1."]
    assert response["Content-Language"] == "ru"
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ru", "Заморозки могут занимать не более 14 дней за 365; уже использовано 10."),
        ("en", "Holds may total at most 14 days in 365; 10 are already taken."),
        (None, "Holds may total at most 14 days in 365; 10 are already taken."),
    ],
)
def test_a_hold_the_service_refuses_is_a_400_in_the_asked_language(
    api_client_for, admin_user, settings, language, message
):
    settings.MEMBERSHIP_HOLD_MAX_DAYS = 14
    member = ClientFactory(expiration_date=days(60))
    api = api_client_for(admin_user)
    url = f"/api/clients/{member.pk}/holds/"
    assert api.post(url, {"starts_on": days(5), "ends_on": days(14)}, format="json").status_code == 201
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}

    response = api.post(url, {"starts_on": days(20), "ends_on": days(24)}, format="json", **headers)

    assert (response.status_code, response.json()) == (400, {"ends_on": [message]})
    assert MembershipHold.objects.count() == 1


def test_a_payment_refused_twice_is_a_409_in_russian(api_client_for, admin_user):
    member = ClientFactory(expiration_date=days(60))
    api = api_client_for(admin_user)
    sale = api.post(
        f"/api/clients/{member.pk}/sales/",
        {"membership_id": member.membership_id, "months": 1, "method": "CASH"},
        format="json",
    ).json()
    refund = f"/api/payments/{sale['payment']['id']}/refund/"
    assert api.post(refund, {"reason": "Переезд"}, format="json").status_code == 200

    again = api.post(refund, {"reason": "Переезд"}, format="json", HTTP_ACCEPT_LANGUAGE="ru")

    assert again.status_code == 409
    assert again.json()["detail"] == f"По платежу {sale['payment']['id']} уже сделан возврат."
