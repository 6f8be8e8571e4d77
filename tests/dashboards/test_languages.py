"""Pages speak the signed-in user's chosen language, else the browser's; the header's switcher sets the choice."""

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from club.tests.factories import MembershipFactory
from tests.dashboards.test_clients import NEW_CLIENT

pytestmark = pytest.mark.django_db

RUSSIAN_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9,en;q=0.5"}
ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def test_a_trainer_who_chose_russian_sees_the_dashboard_in_russian_whatever_the_browser_says(client, trainer):
    trainer.language = "ru"
    trainer.save(update_fields=["language"])
    client.force_login(trainer)

    response = client.get(reverse("dashboard:home"), **ENGLISH_BROWSER)

    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    assert '<html lang="ru">' in body
    assert "<h1>Сегодня в клубе</h1>" in body
    assert ">Клиенты</a>" in body
    assert "Today at a glance" not in body


def test_a_user_who_chose_english_keeps_it_in_a_russian_browser(client, trainer):
    trainer.language = "en"
    trainer.save(update_fields=["language"])
    client.force_login(trainer)

    body = client.get(reverse("dashboard:home"), **RUSSIAN_BROWSER).content.decode()

    assert "<h1>Today at a glance</h1>" in body


def test_a_user_without_a_choice_follows_the_browser(client, trainer):
    client.force_login(trainer)

    assert "<h1>Сегодня в клубе</h1>" in client.get(reverse("dashboard:home"), **RUSSIAN_BROWSER).content.decode()
    assert "<h1>Today at a glance</h1>" in client.get(reverse("dashboard:home"), **ENGLISH_BROWSER).content.decode()


def test_the_login_page_speaks_russian_to_a_russian_browser(client):
    response = client.get(reverse("login"), **RUSSIAN_BROWSER)

    body = response.content.decode()
    assert response["Content-Language"] == "ru"
    assert '<html lang="ru">' in body
    assert "<h1>Вход</h1>" in body
    assert ">Имя пользователя</label>" in body
    assert '<button type="submit">Войти</button>' in body


def test_the_login_page_is_english_by_default(client):
    body = client.get(reverse("login")).content.decode()

    assert '<html lang="en">' in body
    assert "<h1>Sign in</h1>" in body


def test_the_switcher_saves_the_signed_in_users_choice(client, trainer):
    client.force_login(trainer)

    response = client.post(reverse("language"), {"language": "ru", "next": reverse("club:client-list")})

    assert response.status_code == 302
    assert response["Location"] == reverse("club:client-list")
    trainer.refresh_from_db()
    assert trainer.language == "ru"
    assert "<h1>Клиенты</h1>" in client.get(reverse("club:client-list"), **ENGLISH_BROWSER).content.decode()


def test_the_saved_choice_follows_the_user_to_another_browser(client, trainer, django_user_model):
    client.force_login(trainer)
    client.post(reverse("language"), {"language": "ru", "next": "/"})
    client.logout()
    client.cookies.clear()  # another browser: no language cookie, an English Accept-Language

    client.force_login(django_user_model.objects.get(pk=trainer.pk))

    assert "<h1>Сегодня в клубе</h1>" in client.get(reverse("dashboard:home"), **ENGLISH_BROWSER).content.decode()


def test_an_anonymous_visitor_switches_with_the_language_cookie(client):
    response = client.post(reverse("language"), {"language": "ru", "next": reverse("login")})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert "<h1>Вход</h1>" in client.get(reverse("login"), **ENGLISH_BROWSER).content.decode()


def test_an_unknown_language_changes_nothing(client, trainer):
    client.force_login(trainer)

    response = client.post(reverse("language"), {"language": "xx", "next": reverse("dashboard:home")})

    assert response.status_code == 302
    trainer.refresh_from_db()
    assert trainer.language == ""
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_switcher_marks_the_current_language_in_the_header(client, trainer):
    client.force_login(trainer)

    body = client.get(reverse("dashboard:home"), **RUSSIAN_BROWSER).content.decode()

    assert 'value="ru" lang="ru"' in body
    assert body.count('aria-pressed="true"') == 1
    assert 'aria-label="Русский"\n                aria-pressed="true"' in body


def test_a_dashboard_message_is_in_the_users_language(client, trainer):
    trainer.language = "ru"
    trainer.save(update_fields=["language"])
    client.force_login(trainer)

    response = client.post(reverse("club:client-create"), {**NEW_CLIENT, "membership": MembershipFactory().pk})

    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Maria Kuznetsova теперь клиент клуба и может войти под именем maria.k."
    ]
