import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator


@pytest.fixture
def device_sends(rep_counter_namespace):
    """A workout device of a new user: sends text frames over `/ws/workout`, returns the reply events.

    Its reps are counted under a key prefix of this test's own, removed afterwards.
    """
    from accounts.tests.factories import UserFactory
    from config.asgi import application
    from workouts.tests.helpers import token_for

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

    return send
