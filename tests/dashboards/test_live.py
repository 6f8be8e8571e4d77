"""The live workouts page and the token its script opens `/ws/live` with."""

import asyncio
import datetime

import pytest
from asgiref.sync import async_to_sync
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
from workouts.counter import get_rep_counter
from workouts.models import WorkoutSession
from workouts.tests.factories import WorkoutSessionFactory


@pytest.mark.django_db
def test_the_live_page_starts_with_the_latest_finished_workouts(client, trainer, member):
    WorkoutSessionFactory(user=member.user, exercise_type="push_up", total_reps=17)
    client.force_login(trainer)

    response = client.get(reverse("live-workouts"))

    body = response.content.decode()
    assert [s.exercise_type for s in response.context["recent"]][:1] == ["push_up"]
    assert reverse("dashboard:client-detail", args=[member.pk]) in body
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
    member = protocol.LiveMember(user_id=7, username="anna", name="Anna Petrova", client_url="/dashboard/clients/3/")
    rep = protocol.live_rep(member=member, exercise_type="squat", total_reps=12)
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

    response = client.get(reverse("dashboard:home"))

    # The member fixture's own session and the one above; yesterday's is not today's.
    assert response.context["glance"].finished_today == 2
    assert reverse("live-workouts") in response.content.decode()


@pytest.fixture
def count_reps(rep_counter_namespace, settings):
    """Counts reps as a device would (no debounce), on one event loop for the whole test."""
    settings.REP_MIN_INTERVAL_MS_BY_TYPE = {"squat": 0}
    runner = asyncio.Runner()

    def count(user, n: int = 1, exercise_type: str = "squat"):
        for _ in range(n):
            runner.run(get_rep_counter().count_rep(user_id=user.pk, exercise_type=exercise_type))

    yield count
    runner.close()


@pytest.mark.django_db
def test_staff_end_a_workout_whose_device_never_finished_and_it_is_saved_with_who_ended_it(
    client, trainer, client_user, count_reps
):
    count_reps(client_user, 7)
    client.force_login(trainer)

    response = client.post(reverse("live-end"), {"user_id": client_user.pk, "type": "squat"})

    assert response.status_code == 200
    session = WorkoutSession.objects.get(pk=response.json()["workout_id"])
    assert (session.user, session.exercise_type, session.total_reps, session.ended_by) == (
        client_user,
        "squat",
        7,
        trainer,
    )
    # Taken off the counter like a device's finish: nothing left to end, nothing saved twice.
    assert get_rep_counter().total(user_id=client_user.pk, exercise_type="squat") == 0
    again = client.post(reverse("live-end"), {"user_id": client_user.pk, "type": "squat"})
    assert again.status_code == 409
    assert again.json() == {"detail": "No reps counted for this exercise type since the last finish."}
    # The live page lists it as ended by the trainer.
    assert f"ended by @{trainer.username}" in client.get(reverse("live-workouts")).content.decode()


@pytest.mark.django_db
def test_a_workout_ended_by_staff_is_announced_live_with_who_ended_it(
    client, trainer, client_user, count_reps, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(protocol.LIVE_GROUP, channel)
    count_reps(client_user, 2)
    client.force_login(trainer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("live-end"), {"user_id": client_user.pk, "type": "squat"})

    payload = async_to_sync(layer.receive)(channel)["payload"]
    async_to_sync(layer.group_discard)(protocol.LIVE_GROUP, channel)

    assert (payload["event"], payload["name"], payload["ended_by"], payload["total_reps"]) == (
        "workout_finished",
        str(client_user.client),
        trainer.username,
        2,
    )


@pytest.mark.django_db
def test_a_member_cannot_end_anyones_workout(client, client_user, other_client_user, count_reps):
    count_reps(other_client_user, 3)
    client.force_login(client_user)

    response = client.post(reverse("live-end"), {"user_id": other_client_user.pk, "type": "squat"})

    assert response.status_code == 403
    assert not WorkoutSession.objects.filter(user=other_client_user).exists()


@pytest.mark.django_db
def test_ending_a_workout_of_an_unknown_member_or_a_bad_type_is_refused(client, trainer):
    client.force_login(trainer)

    assert client.post(reverse("live-end"), {"user_id": "x", "type": "squat"}).status_code == 400
    unknown = client.post(reverse("live-end"), {"user_id": 999999, "type": "squat"})
    assert (unknown.status_code, unknown.json()) == (409, {"detail": "No such member."})
    assert client.post(reverse("live-end"), {"user_id": trainer.pk, "type": "Bad Type"}).status_code == 409


@pytest.mark.django_db
def test_the_live_page_tells_its_script_the_idle_threshold(client, trainer, settings):
    settings.WORKOUT_IDLE_MINUTES = 15
    client.force_login(trainer)

    body = client.get(reverse("live-workouts")).content.decode()

    assert 'data-idle-minutes="15"' in body
    assert "no rep for 15 minutes or more" in body
