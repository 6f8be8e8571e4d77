import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Role
from accounts.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def change_url(user) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def test_an_admin_cannot_change_their_own_role_in_the_django_admin(client, trainer):
    admin = AdminFactory(username="boss", is_superuser=False)
    client.force_login(admin)

    own_page = client.get(change_url(admin)).content.decode()
    others_page = client.get(change_url(trainer)).content.decode()

    assert 'name="role"' not in own_page
    assert 'name="is_superuser"' not in own_page
    assert 'name="role"' in others_page


def test_an_own_role_posted_to_the_django_admin_is_ignored(client):
    admin = AdminFactory(username="boss", is_superuser=False)
    client.force_login(admin)

    response = client.post(
        change_url(admin), {"username": "boss", "email": "boss@example.com", "role": Role.USER, "is_superuser": "on"}
    )

    assert response.status_code == 302
    admin.refresh_from_db()
    assert (admin.role, admin.is_superuser) == (Role.ADMIN, False)


def test_a_password_change_in_the_django_admin_ends_the_users_refresh_tokens(client, admin_user, client_user):
    refresh = str(RefreshToken.for_user(client_user))
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[client_user.pk]),
        {"usable_password": "true", "password1": "Brand-new-pass-77", "password2": "Brand-new-pass-77"},
    )

    assert response.status_code == 302
    client_user.refresh_from_db()
    assert client_user.check_password("Brand-new-pass-77")
    assert APIClient().post(reverse("token-refresh"), {"refresh": refresh}).status_code == 401


def soft_delete(client, users):
    return client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "soft_delete_users", "_selected_action": [user.pk for user in users]},
        follow=True,
    )


def test_an_admin_cannot_soft_delete_themself_with_the_admin_action(client, admin_user, trainer):
    client.force_login(admin_user)

    response = soft_delete(client, [admin_user, trainer])

    assert response.status_code == 200
    shown = [(message.level_tag, message.message) for message in response.context["messages"]]
    assert shown == [("error", "You cannot delete your own account."), ("success", "1 user deactivated.")]
    admin_user.refresh_from_db()
    trainer.refresh_from_db()
    assert (admin_user.is_active, trainer.is_active) == (True, False)


def test_an_admin_selecting_only_themself_is_told_nothing_was_deactivated(client, admin_user):
    client.force_login(admin_user)

    response = soft_delete(client, [admin_user])

    shown = [(message.level_tag, message.message) for message in response.context["messages"]]
    assert shown == [("error", "You cannot delete your own account.")]
    admin_user.refresh_from_db()
    assert admin_user.is_active


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_admin_cannot_delete_their_own_account_from_its_page(client, admin_user, method):
    client.force_login(admin_user)

    assert (
        reverse("admin:accounts_user_delete", args=[admin_user.pk])
        not in client.get(change_url(admin_user)).content.decode()
    )
    response = getattr(client, method)(
        reverse("admin:accounts_user_delete", args=[admin_user.pk]), {"post": "yes"}, follow=True
    )

    assert response.redirect_chain == [(change_url(admin_user), 302)]
    shown = [(message.level_tag, message.message) for message in response.context["messages"]]
    assert shown == [("error", "You cannot delete your own account.")]
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_an_admin_still_deletes_another_user_from_its_page(client, admin_user, trainer):
    client.force_login(admin_user)

    response = client.post(reverse("admin:accounts_user_delete", args=[trainer.pk]), {"post": "yes"})

    assert response.status_code == 302
    trainer.refresh_from_db()
    assert not trainer.is_active
