import datetime

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


@pytest.fixture
def url_of(admin_user):
    """`/api/clients/{id}/` → `/api/clients/7/`: a real row behind every path parameter of the schema.

    An update looks its row up before it reads the body; with a made-up id it answers 404 and the
    body is never parsed.
    """
    from classes.models import TimetableRule
    from classes.tests.factories import ClassSessionFactory
    from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory
    from training.tests.factories import ExerciseFactory, TrainingExerciseFactory, TrainingPlanFactory

    client = ClientFactory()
    session = ClassSessionFactory()
    rule = TimetableRule.objects.create(
        weekday=0, start_time=datetime.time(18), class_type=session.class_type, trainer=session.trainer
    )
    training_exercise = TrainingExerciseFactory(training__client=client)
    training_pk = str(training_exercise.training.pk)
    ids = {
        "/api/clients/": client.pk,
        "/api/class-sessions/": session.pk,
        "/api/class-types/": session.class_type_id,
        "/api/timetable/": rule.pk,
        "/api/exercises/": ExerciseFactory().pk,
        "/api/memberships/": MembershipFactory().pk,
        "/api/payments/": PaymentFactory(client=client).pk,
        "/api/training-plans/": TrainingPlanFactory(user=client.user).pk,
        f"/api/trainings/{training_pk}/exercises/": training_exercise.pk,
        "/api/trainings/": training_pk,
        "/api/users/": client.user.pk,
    }

    def url(path: str) -> str:
        path = path.replace("{training_pk}", training_pk)
        for prefix, pk in ids.items():
            if path.startswith(prefix):
                path = path.replace("{id}", str(pk))
        assert "{" not in path, f"no row for the parameters of {path}"
        return path

    return url
