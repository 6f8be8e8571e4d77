import uuid

import pytest
import redis
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator


@pytest.fixture
def device_sends(settings):
    """A workout device of a new user: sends text frames over `/ws/workout`, returns the reply events.

    Its reps are counted under a key prefix of this test's own, removed afterwards.
    """
    from accounts.tests.factories import UserFactory
    from config.asgi import application
    from workouts.tests.helpers import token_for

    prefix = f"test-core-{uuid.uuid4().hex[:10]}"
    settings.WORKOUT_COUNTER_KEY_PREFIX = prefix

    async def send(*frames: str) -> list[str]:
        user = await database_sync_to_async(UserFactory)()
        device = WebsocketCommunicator(application, f"/ws/workout?token={token_for(user)}")
        assert (await device.connect())[0]
        events = []
        for frame in frames:
            await device.send_to(text_data=frame)
            events.append((await device.receive_json_from(timeout=5))["event"])
        await device.disconnect()
        return events

    yield send
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        if keys := list(client.scan_iter(f"{prefix}:*")):
            client.delete(*keys)
        client.close()
