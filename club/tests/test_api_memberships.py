from decimal import Decimal

import pytest

from club.models import DEFAULT_MEMBERSHIP_ID, Membership
from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory
from club.tests.utils import assert_list_queries_constant

pytestmark = pytest.mark.django_db

URL = "/api/memberships/"


@pytest.mark.parametrize("role", ["admin_user", "trainer", "client_user"])
def test_every_signed_in_role_reads_memberships(request, api_client_for, role):
    vip = MembershipFactory(access_level="VIP", price=Decimal("99.00"))

    response = api_client_for(request.getfixturevalue(role)).get(f"{URL}{vip.pk}/")

    assert response.status_code == 200
    assert response.json() == {"id": vip.pk, "access_level": "VIP", "description": vip.description, "price": "99.00"}


def test_anonymous_cannot_read_memberships(api_client_for):
    assert api_client_for().get(URL).status_code == 401


def test_admin_creates_a_membership(api_client_for, admin_user):
    response = api_client_for(admin_user).post(URL, {"access_level": "PREMIUM", "price": "49.50"})

    assert response.status_code == 201
    membership = Membership.objects.get(pk=response.json()["id"])
    assert (membership.access_level, membership.price, membership.description) == ("PREMIUM", Decimal("49.50"), None)


@pytest.mark.parametrize("role", ["trainer", "client_user"])
def test_only_an_admin_writes_memberships(request, api_client_for, role):
    membership = MembershipFactory()
    api = api_client_for(request.getfixturevalue(role))

    assert api.post(URL, {"price": "10.00"}).status_code == 403
    assert api.patch(f"{URL}{membership.pk}/", {"price": "1.00"}).status_code == 403
    assert api.delete(f"{URL}{membership.pk}/").status_code == 403
    membership.refresh_from_db()
    assert membership.price == Decimal("49.90")


def test_anonymous_writes_are_unauthenticated(api_client_for):
    assert api_client_for().post(URL, {"price": "10.00"}).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": "-1.00"}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "123456789012.00"}, "price"),
        ({"price": "10.00", "access_level": "GOLD"}, "access_level"),
        ({"price": "10.00", "description": "x" * 10_000}, "description"),
        ({}, "price"),
    ],
)
def test_bad_membership_input_is_a_400_naming_the_field(api_client_for, admin_user, body, field):
    response = api_client_for(admin_user).post(URL, body)

    assert response.status_code == 400
    assert field in response.json()
    assert Membership.objects.count() == 1  # only the default membership


def test_malformed_json_is_a_400(api_client_for, admin_user):
    response = api_client_for(admin_user).post(URL, '{"price": ', content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_deleting_a_membership_moves_its_clients_to_the_default_one(api_client_for, admin_user):
    client = ClientFactory()

    response = api_client_for(admin_user).delete(f"{URL}{client.membership_id}/")

    assert response.status_code == 204
    client.refresh_from_db()
    assert client.membership_id == DEFAULT_MEMBERSHIP_ID


def test_a_membership_with_payments_cannot_be_deleted(api_client_for, admin_user):
    payment = PaymentFactory()

    response = api_client_for(admin_user).delete(f"{URL}{payment.membership_id}/")

    assert response.status_code == 409
    assert "payments" in response.json()["detail"]
    assert Membership.objects.filter(pk=payment.membership_id).exists()


def test_the_default_membership_cannot_be_deleted(api_client_for, admin_user):
    response = api_client_for(admin_user).delete(f"{URL}{DEFAULT_MEMBERSHIP_ID}/")

    assert response.status_code == 409
    assert response.json()["detail"].startswith("The default membership cannot be deleted")


def test_memberships_filter_by_access_level_and_order_by_price(api_client_for, client_user):
    MembershipFactory(access_level="VIP", price=Decimal("99.00"))
    MembershipFactory(access_level="VIP", price=Decimal("79.00"))

    response = api_client_for(client_user).get(URL, {"access_level": "VIP", "ordering": "-price"})

    assert [row["price"] for row in response.json()["results"]] == ["99.00", "79.00"]


def test_unknown_filter_value_is_a_400(api_client_for, client_user):
    response = api_client_for(client_user).get(URL, {"access_level": "GOLD"})

    assert response.status_code == 400
    assert "access_level" in response.json()


def test_membership_list_runs_constant_queries(django_assert_num_queries, api_client_for, admin_user):
    MembershipFactory.create_batch(25)
    # user, count, page
    assert_list_queries_constant(django_assert_num_queries, api_client_for(admin_user), URL, 3)
