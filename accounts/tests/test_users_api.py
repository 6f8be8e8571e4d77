import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

USERS_URL = reverse("user-list")
ME_URL = reverse("me")
PASSWORD = "correct-horse-battery"
NEW_USER = {"username": "newbie", "email": "newbie@example.com", "password": "A-long-fresh-passphrase-9"}


def detail_url(user) -> str:
    return reverse("user-detail", args=[user.pk])


def usernames(response) -> list[str]:
    return [row["username"] for row in response.json()["results"]]


# --- Role matrix ----------------------------------------------------------------------------------


def test_anonymous_callers_get_401_everywhere(client_user):
    anonymous = APIClient()

    assert anonymous.get(USERS_URL).status_code == 401
    assert anonymous.post(USERS_URL, NEW_USER).status_code == 401
    assert anonymous.get(detail_url(client_user)).status_code == 401
    assert anonymous.get(ME_URL).status_code == 401


def test_a_client_may_not_use_the_users_endpoint(api_client_for, client_user, other_client_user):
    api = api_client_for(client_user)

    assert api.get(USERS_URL).status_code == 403
    assert api.post(USERS_URL, {**NEW_USER, "role": Role.USER}).status_code == 403
    assert api.get(detail_url(other_client_user)).status_code == 403
    assert api.patch(detail_url(client_user), {"role": Role.ADMIN}).status_code == 403
    client_user.refresh_from_db()
    assert client_user.role == Role.USER


def test_an_admin_lists_every_live_user(api_client_for, admin_user, trainer, client_user, django_assert_num_queries):
    UserFactory(username="ghost", deleted_at="2026-01-01T00:00:00Z")
    api = api_client_for(admin_user)

    with django_assert_num_queries(3):  # the caller, the count, the page
        response = api.get(USERS_URL)

    assert response.status_code == 200
    assert usernames(response) == ["anna", "boss", "coach"]
    assert "password" not in response.json()["results"][0]


def test_a_trainer_lists_only_club_clients(api_client_for, admin_user, trainer, client_user, other_client_user):
    response = api_client_for(trainer).get(USERS_URL)

    assert response.status_code == 200
    assert usernames(response) == ["anna", "boris"]


def test_a_trainer_gets_404_for_staff_accounts(api_client_for, admin_user, trainer, client_user):
    api = api_client_for(trainer)

    assert api.get(detail_url(admin_user)).status_code == 404
    assert api.get(detail_url(client_user)).status_code == 200


def test_a_trainer_creates_a_club_client(api_client_for, trainer):
    response = api_client_for(trainer).post(USERS_URL, NEW_USER)

    assert response.status_code == 201
    body = response.json()
    assert (body["username"], body["role"]) == ("newbie", Role.USER)
    assert "password" not in body
    created = User.objects.get(username="newbie")
    assert created.check_password(NEW_USER["password"])
    assert created.password != NEW_USER["password"]


@pytest.mark.parametrize("role", [Role.TRAINER, Role.ADMIN])
def test_a_trainer_cannot_create_staff(api_client_for, trainer, role):
    response = api_client_for(trainer).post(USERS_URL, {**NEW_USER, "role": role})

    assert response.status_code == 403
    assert "USER only" in response.json()["detail"]
    assert not User.objects.filter(username="newbie").exists()


def test_a_trainer_cannot_edit_or_delete_users(api_client_for, trainer, client_user):
    api = api_client_for(trainer)

    assert api.patch(detail_url(client_user), {"email": "x@example.com"}).status_code == 403
    assert api.delete(detail_url(client_user)).status_code == 403
    client_user.refresh_from_db()
    assert client_user.deleted_at is None


@pytest.mark.parametrize("role", [Role.USER, Role.TRAINER, Role.ADMIN])
def test_an_admin_creates_users_of_any_role(api_client_for, admin_user, role):
    response = api_client_for(admin_user).post(USERS_URL, {**NEW_USER, "role": role})

    assert response.status_code == 201
    assert User.objects.get(username="newbie").role == role


def test_an_admin_changes_another_users_role_and_password(api_client_for, admin_user, trainer):
    response = api_client_for(admin_user).patch(
        detail_url(trainer), {"role": Role.ADMIN, "password": "Brand-new-pass-77"}
    )

    assert response.status_code == 200
    assert response.json()["role"] == Role.ADMIN
    assert "password" not in response.json()
    trainer.refresh_from_db()
    assert trainer.role == Role.ADMIN
    assert trainer.check_password("Brand-new-pass-77")


def test_nobody_changes_their_own_role(api_client_for):
    admin = AdminFactory(is_superuser=False)

    response = api_client_for(admin).patch(detail_url(admin), {"role": Role.USER})

    assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


def test_an_admin_may_edit_their_own_email(api_client_for, admin_user):
    response = api_client_for(admin_user).patch(detail_url(admin_user), {"email": "boss@club.example"})

    assert response.status_code == 200
    assert response.json()["email"] == "boss@club.example"


def test_a_superuser_keeps_the_admin_role(api_client_for, admin_user):
    other_superuser = AdminFactory()

    response = api_client_for(admin_user).patch(detail_url(other_superuser), {"role": Role.USER})

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_USER, "password": "123"}, "password"),
        ({**NEW_USER, "username": "anna"}, "username"),
        ({**NEW_USER, "email": "not-an-email"}, "email"),
        ({**NEW_USER, "role": "GOD"}, "role"),
        ({k: v for k, v in NEW_USER.items() if k != "password"}, "password"),
    ],
)
def test_bad_user_input_is_a_400_naming_the_field(api_client_for, admin_user, client_user, body, field):
    response = api_client_for(admin_user).post(USERS_URL, body)

    assert response.status_code == 400
    assert field in response.json()


def test_telegram_id_cannot_be_set_through_the_api(api_client_for, admin_user, client_user):
    api_client_for(admin_user).patch(detail_url(client_user), {"telegram_id": 12345})

    client_user.refresh_from_db()
    assert client_user.telegram_id is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("is_superuser", True, "Unknown field."),
        ("is_staff", True, "Unknown field."),
        ("is_active", False, "Unknown field."),
        ("deleted_at", None, "Unknown field."),
        ("telegram_id", 12345, "Read-only: a user links Telegram themself (/api/auth/telegram/link/)."),
        ("id", 999, "Read-only: the server sets this field."),
        ("created_at", "2020-01-01T00:00:00Z", "Read-only: the server sets this field."),
    ],
)
def test_fields_the_api_does_not_take_are_refused_by_name(
    api_client_for, admin_user, client_user, field, value, message
):
    api = api_client_for(admin_user)

    created = api.post(USERS_URL, {**NEW_USER, field: value})
    edited = api.patch(detail_url(client_user), {"email": "new@example.com", field: value})

    assert (created.status_code, created.json()) == (400, {field: [message]})
    assert (edited.status_code, edited.json()) == (400, {field: [message]})
    assert not User.objects.filter(username="newbie").exists()
    client_user.refresh_from_db()
    assert (client_user.email, client_user.is_superuser, client_user.telegram_id) == ("anna@example.com", False, None)


# --- Soft delete ----------------------------------------------------------------------------------


def test_deleting_a_user_soft_deletes_and_revokes_its_live_tokens(api_client_for, admin_user, client_user):
    pair = APIClient().post(reverse("token-obtain"), {"username": "anna", "password": PASSWORD}).json()
    as_anna = APIClient()
    as_anna.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert as_anna.get(ME_URL).status_code == 200

    response = api_client_for(admin_user).delete(detail_url(client_user))

    assert response.status_code == 204
    client_user.refresh_from_db()
    assert client_user.deleted_at is not None
    refused = as_anna.get(ME_URL)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "The account of this token no longer exists or was deactivated."
    assert APIClient().post(reverse("token-refresh"), {"refresh": pair["refresh"]}).status_code == 401
    assert APIClient().post(reverse("token-verify"), {"token": pair["access"]}).status_code == 401
    assert APIClient().post(reverse("token-obtain"), {"username": "anna", "password": PASSWORD}).status_code == 401
    assert api_client_for(admin_user).get(detail_url(client_user)).status_code == 404
    assert "anna" not in usernames(api_client_for(admin_user).get(USERS_URL))


def test_a_soft_deleted_users_access_token_is_refused_like_any_invalid_token(api_client_for, admin_user, client_user):
    as_anna = api_client_for(client_user)
    api_client_for(admin_user).delete(detail_url(client_user))

    response = as_anna.get(ME_URL)

    assert (response.status_code, response.json()) == (
        401,
        {"detail": "The account of this token no longer exists or was deactivated.", "code": "token_not_valid"},
    )


def test_a_soft_deleted_user_keeps_its_client_history(api_client_for, admin_user, client_user):
    api_client_for(admin_user).delete(detail_url(client_user))

    assert User.objects.get(pk=client_user.pk).client.first_name


def test_an_admin_cannot_delete_themselves(api_client_for, admin_user):
    assert api_client_for(admin_user).delete(detail_url(admin_user)).status_code == 403


def test_a_password_change_revokes_the_users_refresh_tokens(api_client_for, admin_user, client_user):
    refresh = APIClient().post(reverse("token-obtain"), {"username": "anna", "password": PASSWORD}).json()["refresh"]

    api_client_for(admin_user).patch(detail_url(client_user), {"password": "Brand-new-pass-77"})

    assert APIClient().post(reverse("token-refresh"), {"refresh": refresh}).status_code == 401


# --- /api/me/ -------------------------------------------------------------------------------------


def test_me_shows_a_clients_fields_role_and_profile(api_client_for, client_user, django_assert_num_queries):
    api = api_client_for(client_user)

    with django_assert_num_queries(2):  # the token's user, then the user with its profile
        response = api.get(ME_URL)

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("id", "username", "email", "role", "telegram_id")} == {
        "id": client_user.pk,
        "username": "anna",
        "email": "anna@example.com",
        "role": "USER",
        "telegram_id": None,
    }
    assert "password" not in body
    profile = body["client"]
    assert profile["id"] == client_user.client.pk
    assert profile["membership_id"] == client_user.client.membership_id
    assert profile["date_of_birth"] == "1990-05-17"
    assert set(profile) >= {"first_name", "last_name", "phone_number", "status", "height_cm", "weight_kg"}


def test_me_for_staff_has_no_client_profile(api_client_for, trainer):
    body = api_client_for(trainer).get(ME_URL).json()

    assert (body["role"], body["client"]) == ("TRAINER", None)


def test_every_role_reads_its_own_me(api_client_for, admin_user, trainer, client_user):
    for user in (admin_user, trainer, client_user):
        assert api_client_for(user).get(ME_URL).json()["id"] == user.pk


def test_me_answers_405_to_writes(api_client_for, client_user):
    assert api_client_for(client_user).patch(ME_URL, {"role": "ADMIN"}).status_code == 405


def test_the_published_schema_shows_a_password_in_requests_only(client):
    schemas = client.get(reverse("schema"), {"format": "json"}).json()["components"]["schemas"]

    with_password = sorted(name for name, schema in schemas.items() if "password" in schema.get("properties", {}))

    assert with_password
    assert all(name.endswith("Request") for name in with_password)
