from decimal import Decimal

import pytest

from club.models import DEFAULT_MEMBERSHIP_ID, Membership, Payment
from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory
from club.tests.fake_provider import FakePaymentProvider
from club.tests.utils import assert_list_queries_constant

URL = "/api/payments/"


@pytest.fixture
def provider(settings):
    with FakePaymentProvider() as fake:
        settings.PAYMENT_SERVICE_URL = fake.url
        yield fake


@pytest.mark.django_db
def test_staff_create_a_pending_payment_of_the_membership_price(api_client_for, trainer, client_user):
    response = api_client_for(trainer).post(URL, {"client_id": client_user.client.pk})

    assert response.status_code == 201
    payment = Payment.objects.get(pk=response.json()["id"])
    assert (payment.amount, payment.status, payment.membership_id) == (
        Decimal("49.90"),
        "PENDING",
        client_user.client.membership_id,
    )
    assert response.json()["pay_url"] is None  # no PAYMENT_SERVICE_URL: no provider call


@pytest.mark.django_db
def test_the_price_state_and_provider_data_of_a_payment_are_not_the_callers_to_set(api_client_for, trainer):
    body = {
        "client_id": ClientFactory().pk,
        "amount": "0.01",
        "status": "PAID",
        "paid_at": "2026-01-01T00:00:00Z",
        "pay_url": "https://evil.example/",
    }

    response = api_client_for(trainer).post(URL, body)

    assert response.status_code == 400
    refused = ["Read-only: the server sets this field."]
    assert response.json() == {"amount": refused, "status": refused, "paid_at": refused, "pay_url": refused}
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_a_payment_may_be_for_another_membership(api_client_for, admin_user, client_user):
    vip = MembershipFactory(price=Decimal("99.00"))

    response = api_client_for(admin_user).post(URL, {"client_id": client_user.client.pk, "membership_id": vip.pk})

    assert (response.status_code, response.json()["amount"], response.json()["membership_id"]) == (201, "99.00", vip.pk)


@pytest.mark.django_db
def test_a_free_membership_cannot_be_paid(api_client_for, trainer):
    client = ClientFactory(membership=Membership.objects.get(pk=DEFAULT_MEMBERSHIP_ID))

    response = api_client_for(trainer).post(URL, {"client_id": client.pk})

    assert response.status_code == 400
    assert response.json() == {"membership_id": ["This membership is free: there is nothing to pay."]}


@pytest.mark.django_db
def test_a_user_sees_only_its_own_payments(api_client_for, client_user, other_client_user):
    own = PaymentFactory(client=client_user.client)
    other = PaymentFactory(client=other_client_user.client)
    api = api_client_for(client_user)

    assert [row["id"] for row in api.get(URL).json()["results"]] == [own.pk]
    assert api.get(f"{URL}{own.pk}/").status_code == 200
    assert api.get(f"{URL}{other.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_user_cannot_create_payments(api_client_for, client_user):
    response = api_client_for(client_user).post(URL, {"client_id": client_user.client.pk})

    assert response.status_code == 403
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_anonymous_gets_401_on_payments(api_client_for):
    assert api_client_for().get(URL).status_code == 401
    assert api_client_for().post(URL, {}).status_code == 401


@pytest.mark.django_db
def test_payments_are_not_editable_through_the_api(api_client_for, admin_user):
    payment = PaymentFactory()

    response = api_client_for(admin_user).patch(f"{URL}{payment.pk}/", {"status": "PAID"})

    assert response.status_code == 405
    payment.refresh_from_db()
    assert payment.status == "PENDING"


@pytest.mark.django_db
def test_payment_list_filters_by_status_and_runs_constant_queries(django_assert_num_queries, api_client_for, trainer):
    PaymentFactory.create_batch(22, client=ClientFactory())
    PaymentFactory(status="PAID")

    assert api_client_for(trainer).get(URL, {"status": "PAID"}).json()["count"] == 1
    # user, count, page
    assert_list_queries_constant(django_assert_num_queries, api_client_for(trainer), URL, 3)


@pytest.mark.django_db(transaction=True)
def test_creating_a_payment_asks_the_provider_for_a_pay_link_after_commit(api_client_for, trainer, provider):
    client = ClientFactory()

    response = api_client_for(trainer).post(URL, {"client_id": client.pk})

    assert response.status_code == 201
    payment_id = response.json()["id"]
    assert response.json()["pay_url"] == f"https://pay.example/{payment_id}"
    assert provider.requests == [
        {
            "path": "/payments",
            "body": {
                "payment_id": payment_id,
                "client_id": client.pk,
                "amount": "49.90",
                "description": f"Membership #{client.membership_id}",
                "_committed": True,
            },
        }
    ]
    payment = Payment.objects.get(pk=payment_id)
    assert (payment.provider_reference, payment.status) == (f"prov-{payment_id}", "PENDING")


@pytest.mark.django_db(transaction=True)
def test_a_failing_provider_leaves_the_payment_pending_and_pay_link_retries(api_client_for, trainer, provider):
    client = ClientFactory()
    api = api_client_for(trainer)
    provider.fail = True

    created = api.post(URL, {"client_id": client.pk})
    failed_retry = api.post(f"{URL}{created.json()['id']}/pay-link/")
    provider.fail = False
    retry = api.post(f"{URL}{created.json()['id']}/pay-link/")

    assert (created.status_code, created.json()["pay_url"], created.json()["status"]) == (201, None, "PENDING")
    assert failed_retry.status_code == 503
    assert retry.status_code == 200
    assert retry.json()["pay_url"] == f"https://pay.example/{created.json()['id']}"
    assert len(provider.requests) == 3


@pytest.mark.django_db
def test_a_settled_payment_gets_no_pay_link(api_client_for, trainer):
    payment = PaymentFactory(status="PAID")

    response = api_client_for(trainer).post(f"{URL}{payment.pk}/pay-link/")

    assert response.status_code == 409
    assert "only a PENDING payment" in response.json()["detail"]


@pytest.mark.django_db
def test_a_user_cannot_ask_for_pay_links(api_client_for, client_user):
    payment = PaymentFactory(client=client_user.client)

    assert api_client_for(client_user).post(f"{URL}{payment.pk}/pay-link/").status_code == 403
