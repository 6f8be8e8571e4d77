import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from notifications.models import NotificationKind, NotificationOptOut

pytestmark = pytest.mark.django_db

URL = "/api/me/notifications/"
ALL_ON = dict.fromkeys(NotificationKind.values, True)


def test_the_url_is_the_contracts():
    assert reverse("notification-preferences") == URL


def test_anonymous_gets_401(api_client_for):
    assert api_client_for().get(URL).status_code == 401
    assert api_client_for().patch(URL, {"RECEIPT": False}).status_code == 401


def test_a_member_reads_every_kind_switched_on_by_default(api_client_for, client_user):
    response = api_client_for(client_user).get(URL)

    assert response.status_code == 200
    assert response.json() == ALL_ON


def test_a_member_switches_kinds_off_and_on_and_gets_the_whole_map(api_client_for, client_user):
    api = api_client_for(client_user)
    NotificationOptOut.objects.create(user=client_user, kind=NotificationKind.RECEIPT)

    response = api.patch(URL, {"CLASS_REMINDER": False, "WORKOUT_SUMMARY": False, "RECEIPT": True})

    assert response.status_code == 200
    assert response.json() == ALL_ON | {"CLASS_REMINDER": False, "WORKOUT_SUMMARY": False}
    assert set(NotificationOptOut.objects.filter(user=client_user).values_list("kind", flat=True)) == {
        "CLASS_REMINDER",
        "WORKOUT_SUMMARY",
    }
    assert api.get(URL).json() == response.json()


def test_switching_a_kind_off_twice_keeps_one_row(api_client_for, client_user):
    api = api_client_for(client_user)

    api.patch(URL, {"RECEIPT": False})
    api.patch(URL, {"RECEIPT": False})

    assert NotificationOptOut.objects.filter(user=client_user).count() == 1


def test_one_members_choices_are_not_anothers(api_client_for, client_user, other_client_user):
    api_client_for(client_user).patch(URL, {"RECEIPT": False})

    assert api_client_for(other_client_user).get(URL).json() == ALL_ON


@pytest.mark.parametrize("who", ["trainer", "admin_user", "plain_user"])
def test_staff_and_users_without_a_client_profile_have_preferences_too(api_client_for, request, who):
    user = UserFactory(username="solo") if who == "plain_user" else request.getfixturevalue(who)
    api = api_client_for(user)

    assert api.patch(URL, {"MEMBERSHIP_LAPSED": False}).status_code == 200
    assert api.get(URL).json() == ALL_ON | {"MEMBERSHIP_LAPSED": False}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"NOPE": False}, {"NOPE": ["Unknown notification kind."]}),
        ({"RECEIPT": "false"}, {"RECEIPT": ["Must be true or false."]}),
        ({"RECEIPT": 0}, {"RECEIPT": ["Must be true or false."]}),
        ({"RECEIPT": None, "CLASS_REMINDER": False}, {"RECEIPT": ["Must be true or false."]}),
        ([], {"non_field_errors": ["Send an object of kind: true|false."]}),
        ("RECEIPT", {"non_field_errors": ["Send an object of kind: true|false."]}),
    ],
)
def test_bad_input_is_a_400_naming_it_and_changes_nothing(api_client_for, client_user, body, errors):
    response = api_client_for(client_user).patch(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not NotificationOptOut.objects.exists()


def test_a_body_that_is_not_json_is_a_400(api_client_for, client_user):
    response = api_client_for(client_user).patch(URL, "{RECEIPT", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_the_endpoint_is_in_the_openapi_schema(api_client_for, client_user):
    schema = api_client_for(client_user).get("/api/schema/?format=json").json()

    operations = schema["paths"][URL]
    assert set(operations) >= {"get", "patch"}
    component = operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert set(schema["components"]["schemas"][component]["properties"]) == set(NotificationKind.values)


# --- the member's page -------------------------------------------------------------------------------------

PAGE = "/dashboard/notifications/"


def test_the_page_needs_a_sign_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_page_shows_a_checkbox_per_kind_ticked_when_it_is_sent(client, client_user):
    NotificationOptOut.objects.create(user=client_user, kind=NotificationKind.CLASS_REMINDER)
    client.force_login(client_user)

    response = client.get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    for kind, label in NotificationKind.choices:
        assert str(label) in html
        checked = kind != NotificationKind.CLASS_REMINDER
        assert (f'value="{kind}" checked' in html) is checked
    assert "No Telegram account is linked" in html


def test_saving_the_page_writes_the_same_preferences_as_the_api(client, client_user, api_client_for):
    client.force_login(client_user)

    response = client.post(PAGE, {"kinds": ["RECEIPT", "CLASS_REMINDER"]}, follow=True)

    assert response.status_code == 200
    assert "Your notification settings are saved." in response.content.decode()
    expected = dict.fromkeys(NotificationKind.values, False) | {"RECEIPT": True, "CLASS_REMINDER": True}
    assert api_client_for(client_user).get(URL).json() == expected


def test_the_members_navigation_links_the_page(client, client_user):
    client.force_login(client_user)

    html = client.get(reverse("attendance:my-card")).content.decode()

    assert f'href="{PAGE}"' in html
