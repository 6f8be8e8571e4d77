"""The live workouts page and the token its script opens `/ws/live` with."""

import datetime

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.services import live_feed_token_issue, user_soft_delete, user_update
from accounts.tokens import LiveFeedToken
from config.asgi import application
from workouts import protocol
from workouts.tests.factories import WorkoutSessionFactory


@pytest.mark.django_db
def test_the_live_page_starts_with_the_latest_finished_workouts(client, trainer, member):
    WorkoutSessionFactory(user=member.user, exercise_type="push_up", total_reps=17)
    client.force_login(trainer)

    response = client.get(reverse("live-workouts"))

    body = response.content.decode()
    assert [s.exercise_type for s in response.context["recent"]][:1] == ["push_up"]
    assert reverse("club:client-detail", args=[member.pk]) in body
    assert f'data-token-url="{reverse("live-token")}"' in body
    assert "Nobody is counting reps right now." in body


@pytest.mark.django_db
def test_the_live_page_without_any_workout_says_so(client, trainer):
    client.force_login(trainer)

    assert "No workout has been finished yet." in client.get(reverse("live-workouts")).content.decode()


@pytest.mark.django_db
def test_the_live_token_is_short_lived_scoped_to_the_live_feed_and_never_cached(client, trainer):
    client.force_login(trainer)

    response = client.get(reverse("live-token"))

    assert "no-store" in response["Cache-Control"]
    token = LiveFeedToken(response.json()["token"])
    assert (token["token_type"], token["user_id"], token["exp"] - token["iat"]) == ("live_feed", str(trainer.pk), 120)
    assert response.json()["expires_in"] == 120


async def pages_token(user) -> str:
    """The token the live page's script fetches, signed in as `user`."""
    browser = Client()
    await database_sync_to_async(browser.force_login)(user)
    response = await database_sync_to_async(browser.get)(reverse("live-token"))
    assert response.status_code == 200
    return response.json()["token"]


async def close_code(path: str, headers: list | None = None) -> int:
    communicator = WebsocketCommunicator(application, path, headers=headers or [])
    assert (await communicator.connect())[0]  # accepted, then closed: the client learns why
    message = await communicator.receive_output(timeout=3)
    assert message["type"] == "websocket.close", message
    return message["code"]


@pytest.mark.django_db(transaction=True)
async def test_the_pages_token_opens_the_live_feed_and_receives_counted_reps(trainer):
    token = await pages_token(trainer)

    communicator = WebsocketCommunicator(application, f"/ws/live?token={token}")
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=3))["event"] == "live_snapshot"
    rep = protocol.live_rep(user_id=7, username="anna", exercise_type="squat", total_reps=12)
    await get_channel_layer().group_send(protocol.LIVE_GROUP, {"type": "live.batch", "events": [rep]})

    assert await communicator.receive_json_from(timeout=3) == rep
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_pages_token_is_refused_by_the_api_with_a_reason(trainer):
    token = await pages_token(trainer)

    response = await database_sync_to_async(Client().get)("/api/me/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Access token refused: this is the live page's token, which only opens WS /ws/live; "
        "the API takes an access token from /api/auth/token/.",
        "code": "token_not_valid",
    }


@pytest.mark.django_db(transaction=True)
async def test_the_pages_token_cannot_stream_reps(trainer):
    token = await pages_token(trainer)

    assert await close_code(f"/ws/workout?token={token}") == 4401
    assert await close_code("/ws/workout", headers=[(b"authorization", f"Bearer {token}".encode())]) == 4401


@pytest.mark.django_db(transaction=True)
async def test_the_pages_token_stops_opening_the_feed_once_its_user_is_deleted(trainer):
    token = await pages_token(trainer)
    await database_sync_to_async(user_soft_delete)(user=trainer)

    assert await close_code(f"/ws/live?token={token}") == 4401


@pytest.mark.django_db(transaction=True)
async def test_the_pages_token_stops_opening_the_feed_once_its_user_is_no_longer_staff(trainer, admin_user):
    token = await pages_token(trainer)
    await database_sync_to_async(user_update)(actor=admin_user, user=trainer, role=Role.USER)

    assert await close_code(f"/ws/live?token={token}") == 4403


@pytest.mark.django_db
def test_only_staff_are_issued_a_live_feed_token(client_user):
    with pytest.raises(PermissionDenied):
        live_feed_token_issue(user=client_user)


@pytest.mark.django_db
def test_today_at_a_glance_counts_the_workouts_finished_today_and_links_to_the_live_page(client, trainer, member):
    yesterday = timezone.now() - datetime.timedelta(days=1)
    WorkoutSessionFactory(user=member.user, total_reps=9, created_at=yesterday)
    WorkoutSessionFactory(user=member.user, total_reps=11)
    client.force_login(trainer)

    response = client.get(reverse("dashboard"))

    # The member fixture's own session and the one above; yesterday's is not today's.
    assert response.context["glance"].finished_today == 2
    assert reverse("live-workouts") in response.content.decode()
