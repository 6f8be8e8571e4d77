import datetime

import pytest

from accounts.tests.factories import TrainerFactory, UserFactory
from club.models import DEFAULT_MEMBERSHIP_ID, Client
from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory
from club.tests.utils import assert_list_queries_constant
from training.models import Training
from training.tests.factories import TrainingFactory

pytestmark = pytest.mark.django_db

URL = "/api/clients/"


def new_client_body(user, **overrides):
    return {
        "user_id": user.pk,
        "first_name": "Ivan",
        "last_name": "Sidorov",
        "phone_number": "+7 900 123-45-67",
        "date_of_birth": "1991-02-03",
        **overrides,
    }


@pytest.mark.parametrize("role", ["admin_user", "trainer"])
def test_staff_create_a_client_with_the_seed_defaults(request, api_client_for, role):
    user = UserFactory()

    response = api_client_for(request.getfixturevalue(role)).post(URL, new_client_body(user, height_cm="181.50"))

    assert response.status_code == 201
    body = response.json()
    assert body | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "user_id": user.pk,
        "membership_id": DEFAULT_MEMBERSHIP_ID,
        "trainer_id": None,
        "first_name": "Ivan",
        "last_name": "Sidorov",
        "phone_number": "+7 900 123-45-67",
        "gender": None,
        "date_of_birth": "1991-02-03",
        "weight_kg": None,
        "height_cm": "181.50",
        "status": "ACTIVE",
        "expiration_date": None,
        "created_at": "",
        "updated_at": "",
    }
    assert Client.objects.get(pk=body["id"]).user == user


def test_a_user_reads_its_own_client_profile(api_client_for, client_user):
    response = api_client_for(client_user).get(f"{URL}{client_user.client.pk}/")

    assert response.status_code == 200
    assert response.json()["user_id"] == client_user.pk


def test_a_user_gets_404_for_another_clients_profile(api_client_for, client_user, other_client_user):
    response = api_client_for(client_user).get(f"{URL}{other_client_user.client.pk}/")

    assert response.status_code == 404


def test_a_users_client_list_holds_only_its_own_profile(api_client_for, client_user, other_client_user):
    response = api_client_for(client_user).get(URL)

    assert [row["id"] for row in response.json()["results"]] == [client_user.client.pk]


def test_a_user_cannot_write_clients(api_client_for, client_user, other_client_user):
    api = api_client_for(client_user)
    own = client_user.client

    assert api.post(URL, new_client_body(UserFactory())).status_code == 403
    assert api.patch(f"{URL}{own.pk}/", {"status": "ACTIVE", "expiration_date": "2099-01-01"}).status_code == 403
    assert api.delete(f"{URL}{own.pk}/").status_code == 403
    assert api.patch(f"{URL}{other_client_user.client.pk}/", {"first_name": "X"}).status_code == 403
    own.refresh_from_db()
    assert own.expiration_date is None


def test_anonymous_gets_401_on_clients(api_client_for, client_user):
    api = api_client_for()

    assert api.get(URL).status_code == 401
    assert api.get(f"{URL}{client_user.client.pk}/").status_code == 401
    assert api.post(URL, {}).status_code == 401


def test_trainer_updates_status_membership_and_trainer(api_client_for, trainer, client_user):
    vip = MembershipFactory(access_level="VIP")
    coach = TrainerFactory()

    response = api_client_for(trainer).patch(
        f"{URL}{client_user.client.pk}/", {"status": "ON_HOLD", "membership_id": vip.pk, "trainer_id": coach.pk}
    )

    assert response.status_code == 200
    client = Client.objects.get(pk=client_user.client.pk)
    assert (client.status, client.membership_id, client.trainer_id) == ("ON_HOLD", vip.pk, coach.pk)


def test_a_client_profile_cannot_move_to_another_user(api_client_for, trainer, client_user):
    response = api_client_for(trainer).patch(f"{URL}{client_user.client.pk}/", {"user_id": UserFactory().pk})

    assert response.status_code == 400
    assert response.json() == {"user_id": ["A client profile cannot move to another user."]}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone_number": "call me"}, "phone_number"),
        ({"first_name": "x" * 10_000}, "first_name"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "yesterday"}, "date_of_birth"),
        ({"weight_kg": "-70"}, "weight_kg"),
        ({"height_cm": "5000"}, "height_cm"),
        ({"gender": "OTHER"}, "gender"),
        ({"gender": ""}, "gender"),
        ({"status": "GONE"}, "status"),
        ({"membership_id": 999_999}, "membership_id"),
        ({"trainer_id": "abc"}, "trainer_id"),
    ],
)
def test_bad_client_input_is_a_400_naming_the_field(api_client_for, trainer, overrides, field):
    response = api_client_for(trainer).post(URL, new_client_body(UserFactory(), **overrides))

    assert response.status_code == 400
    assert field in response.json()
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    "account",
    [
        pytest.param(lambda: TrainerFactory(), id="a trainer"),
        pytest.param(lambda: UserFactory(deleted_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)), id="deleted"),
        pytest.param(lambda: ClientFactory().user, id="already a client"),
    ],
)
def test_a_client_profile_needs_an_active_user_without_one(api_client_for, trainer, account):
    response = api_client_for(trainer).post(URL, new_client_body(account()))

    assert response.status_code == 400
    assert "user_id" in response.json()


def test_trainer_id_must_name_a_trainer(api_client_for, trainer):
    response = api_client_for(trainer).post(URL, new_client_body(UserFactory(), trainer_id=UserFactory().pk))

    assert response.status_code == 400
    assert "trainer_id" in response.json()


def test_deleting_a_client_deletes_its_trainings(api_client_for, admin_user):
    training = TrainingFactory()

    response = api_client_for(admin_user).delete(f"{URL}{training.client_id}/")

    assert response.status_code == 204
    assert not Training.objects.filter(pk=training.pk).exists()


def test_a_client_with_payments_cannot_be_deleted(api_client_for, admin_user):
    payment = PaymentFactory()

    response = api_client_for(admin_user).delete(f"{URL}{payment.client_id}/")

    assert response.status_code == 409
    assert Client.objects.filter(pk=payment.client_id).exists()


def test_clients_filter_by_status_and_membership(api_client_for, trainer):
    vip = MembershipFactory()
    wanted = ClientFactory(membership=vip, status="ON_HOLD")
    ClientFactory(membership=vip)
    ClientFactory(status="ON_HOLD")

    response = api_client_for(trainer).get(URL, {"status": "ON_HOLD", "membership_id": vip.pk})

    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


@pytest.mark.parametrize("term", ["vanov", "555 12"])
def test_clients_search_by_name_and_phone(api_client_for, trainer, term):
    wanted = ClientFactory(last_name="Ivanova", phone_number="+7 555 12 34")
    ClientFactory(last_name="Petrova")

    response = api_client_for(trainer).get(URL, {"search": term})

    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


def test_clients_order_by_expiration_date(api_client_for, trainer):
    late = ClientFactory(expiration_date=datetime.date(2030, 1, 1))
    early = ClientFactory(expiration_date=datetime.date(2029, 1, 1))

    response = api_client_for(trainer).get(URL, {"ordering": "-expiration_date"})

    assert [row["id"] for row in response.json()["results"]] == [late.pk, early.pk]


def test_page_size_is_capped_at_200(api_client_for, trainer):
    response = api_client_for(trainer).get(URL, {"page_size": 10_000})

    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}


def test_client_list_runs_constant_queries(django_assert_num_queries, api_client_for, trainer):
    ClientFactory.create_batch(25)
    # user, count, page
    assert_list_queries_constant(django_assert_num_queries, api_client_for(trainer), URL, 3)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"role": "ADMIN"}, "Unknown field."),
        ({"membership": 1}, "Unknown field."),
        ({"id": 1}, "Read-only: the server sets this field."),
        ({"created_at": "2020-01-01T00:00:00Z"}, "Read-only: the server sets this field."),
    ],
)
def test_fields_the_api_would_ignore_are_refused_and_nothing_is_written(api_client_for, trainer, extra, message):
    # Mass assignment fails loudly: the caller learns the key did nothing, and no row is half-made.
    response = api_client_for(trainer).post(URL, new_client_body(UserFactory(), **extra))

    assert response.status_code == 400
    assert response.json() == {next(iter(extra)): [message]}
    assert not Client.objects.exists()


def test_an_unknown_field_is_refused_on_update_too(api_client_for, trainer, client_user):
    response = api_client_for(trainer).patch(f"{URL}{client_user.client.pk}/", {"first_name": "X", "is_staff": True})

    assert response.status_code == 400
    assert response.json() == {"is_staff": ["Unknown field."]}
    assert Client.objects.get(pk=client_user.client.pk).first_name != "X"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": "-5"}, "page_size"),
    ],
)
def test_a_page_or_page_size_that_is_not_a_whole_number_is_a_400_naming_it(api_client_for, trainer, query, parameter):
    response = api_client_for(trainer).get(URL, query)

    assert response.status_code == 400
    assert "whole number" in response.json()[parameter][0]


def test_a_page_past_the_last_is_still_a_404(api_client_for, trainer):
    response = api_client_for(trainer).get(URL, {"page": 999})

    assert response.status_code == 404
