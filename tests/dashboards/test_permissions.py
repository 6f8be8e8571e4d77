"""Every dashboard page: anonymous → login, a club client → the 403 page, trainers and admins → the page."""

import re

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = [
    ("dashboard:home", None),
    ("club:client-list", None),
    ("club:client-create", None),
    ("dashboard:client-detail", "member"),
    ("club:client-edit", "member"),
    ("training:exercise-list", None),
    ("training:training-list", None),
    ("training:training-create", None),
    ("training:training-edit", "training"),
    ("training:plan-list", None),
    ("training:plan-create", None),
    ("training:plan-edit", "plan"),
    ("training:plan-training-choices", None),
    ("reports:report-list", None),
    ("reports:report-detail", "report"),
    ("reports:report-progress", "report"),
    ("reports:report-row", "report"),
    ("live-workouts", None),
    ("live-token", None),
]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")
EVENT_HANDLER = re.compile(r"<[^>]+\s(?:on[a-z]+|hx-on[:-][a-z:-]+)=", re.IGNORECASE)


@pytest.fixture
def page_url(member, report):
    objects = {
        "member": member,
        "training": member.trainings.get(),
        "plan": member.user.training_plans.get(),
        "report": report,
    }

    def url(name: str, target: str | None) -> str:
        return reverse(name, args=[objects[target].pk] if target else [])

    return url


@pytest.mark.parametrize(("name", "target"), PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, page_url, name, target):
    url = page_url(name, target)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{resolve_url(settings.LOGIN_URL)}?next={url}"


@pytest.mark.parametrize(("name", "target"), PAGES)
def test_a_club_client_gets_the_403_page_saying_what_to_use_instead(client, client_user, page_url, name, target):
    client.force_login(client_user)

    response = client.get(page_url(name, target))

    assert response.status_code == 403
    body = response.content.decode()
    assert "This page is for club staff" in body
    assert "What you can do instead" in body
    assert reverse("api-docs") in body


@pytest.mark.parametrize("role", ["trainer", "admin_user"])
@pytest.mark.parametrize(("name", "target"), PAGES)
def test_trainers_and_admins_open_every_page(request, client, page_url, role, name, target):
    client.force_login(request.getfixturevalue(role))

    response = client.get(page_url(name, target))

    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    # Nothing a strict CSP would block: scripts only by src (JSON data blocks are not run), no handlers.
    body = response.content.decode()
    assert INLINE_SCRIPT.findall(body) == []
    assert EVENT_HANDLER.findall(body) == []


@pytest.mark.parametrize(
    "name",
    [
        "dashboard:client-detail",
        "club:client-edit",
        "training:training-edit",
        "training:plan-edit",
        "reports:report-detail",
        "reports:report-progress",
        "reports:report-download",
    ],
)
def test_an_unknown_object_is_a_404(client, trainer, name):
    client.force_login(trainer)

    assert client.get(reverse(name, args=[987654])).status_code == 404


def test_a_club_client_cannot_change_a_plan_status(client, client_user, member):
    plan = client_user.training_plans.get()
    client.force_login(client_user)

    response = client.post(reverse("training:plan-status", args=[plan.pk]), {"status": "COMPLETED"})

    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == "ACTIVE"
