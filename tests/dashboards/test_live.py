"""The live workouts page and the token its script opens `/ws/live` with."""

import datetime

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

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
def test_the_live_token_is_short_lived_and_never_cached(client, trainer):
    client.force_login(trainer)

    response = client.get(reverse("live-token"))

    assert "no-store" in response["Cache-Control"]
    token = AccessToken(response.json()["token"])
    assert (token["user_id"], token["exp"] - token["iat"]) == (str(trainer.pk), 120)
    assert response.json()["expires_in"] == 120


@pytest.mark.django_db(transaction=True)
async def test_the_pages_token_opens_the_live_feed_and_receives_counted_reps(trainer):
    browser = Client()
    await database_sync_to_async(browser.force_login)(trainer)
    response = await database_sync_to_async(browser.get)(reverse("live-token"))
    token = response.json()["token"]

    communicator = WebsocketCommunicator(application, f"/ws/live?token={token}")
    connected, _ = await communicator.connect()
    assert connected
    rep = protocol.live_rep(user_id=7, username="anna", exercise_type="squat", total_reps=12)
    await get_channel_layer().group_send(protocol.LIVE_GROUP, {"type": "live.batch", "events": [rep]})

    assert await communicator.receive_json_from(timeout=3) == rep
    await communicator.disconnect()


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
