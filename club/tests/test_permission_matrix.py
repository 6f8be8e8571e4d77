"""The permission matrix of every club and training endpoint, in one table (SPEC "Roles").

Callers: anonymous; `owner`, the USER whose client profile owns the objects; `other`, another USER;
a TRAINER; an ADMIN. Reads of what is not yours are 404 (existence never leaks); a write your role
may not make is 403 before any lookup; no credentials is 401. The detailed behaviour (bodies, rows
written, scoping of lists) is in each resource's own tests.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from accounts.tests.factories import UserFactory
from club.tests.factories import MembershipFactory, PaymentFactory
from training.tests.factories import ExerciseFactory, TrainingExerciseFactory, TrainingFactory, TrainingPlanFactory
from workouts.tests.factories import WorkoutSessionFactory

pytestmark = pytest.mark.django_db

CALLERS = ("anonymous", "owner", "other", "trainer", "admin")


@dataclass
class World:
    owner: Any
    other: Any
    trainer: Any
    admin: Any
    membership: Any
    exercise: Any
    training: Any
    row: Any
    plan: Any
    payment: Any
    session: Any


@pytest.fixture
def world(client_user, other_client_user, trainer, admin_user):
    training = TrainingFactory(client=client_user.client)
    return World(
        owner=client_user,
        other=other_client_user,
        trainer=trainer,
        admin=admin_user,
        membership=MembershipFactory(),
        exercise=ExerciseFactory(),
        training=training,
        row=TrainingExerciseFactory(training=training, order_in_training=1),
        plan=TrainingPlanFactory(user=client_user),
        payment=PaymentFactory(client=client_user.client, membership=MembershipFactory(price=Decimal("10.00"))),
        session=WorkoutSessionFactory(user=client_user),
    )


def new_client(world: World) -> dict:
    return {
        "user_id": UserFactory().pk,
        "first_name": "New",
        "last_name": "Member",
        "phone_number": "+1 555 0100",
        "date_of_birth": "1990-01-01",
    }


# (method, url, body) per action; expected status per caller in CALLERS order.
ENDPOINTS = {
    "memberships": {
        "list": (("get", lambda w: "/api/memberships/", None), (401, 200, 200, 200, 200)),
        "retrieve": (("get", lambda w: f"/api/memberships/{w.membership.pk}/", None), (401, 200, 200, 200, 200)),
        "create": (("post", lambda w: "/api/memberships/", lambda w: {"price": "9.00"}), (401, 403, 403, 403, 201)),
        "update": (
            ("patch", lambda w: f"/api/memberships/{w.membership.pk}/", lambda w: {"price": "8.00"}),
            (401, 403, 403, 403, 200),
        ),
        "destroy": (("delete", lambda w: f"/api/memberships/{w.membership.pk}/", None), (401, 403, 403, 403, 204)),
    },
    "clients": {
        "list": (("get", lambda w: "/api/clients/", None), (401, 200, 200, 200, 200)),
        "retrieve": (("get", lambda w: f"/api/clients/{w.owner.client.pk}/", None), (401, 200, 404, 200, 200)),
        "create": (("post", lambda w: "/api/clients/", new_client), (401, 403, 403, 201, 201)),
        "update": (
            ("patch", lambda w: f"/api/clients/{w.owner.client.pk}/", lambda w: {"status": "ON_HOLD"}),
            (401, 403, 403, 200, 200),
        ),
        # The owner's client has a payment: staff may try, the database rule answers 409.
        "destroy": (("delete", lambda w: f"/api/clients/{w.owner.client.pk}/", None), (401, 403, 403, 409, 409)),
    },
    "exercises": {
        "list": (("get", lambda w: "/api/exercises/", None), (401, 200, 200, 200, 200)),
        "retrieve": (("get", lambda w: f"/api/exercises/{w.exercise.pk}/", None), (401, 200, 200, 200, 200)),
        "create": (("post", lambda w: "/api/exercises/", lambda w: {"title": "Lunge"}), (401, 403, 403, 201, 201)),
        "update": (
            ("patch", lambda w: f"/api/exercises/{w.exercise.pk}/", lambda w: {"complexity_lvl": "EXPERT"}),
            (401, 403, 403, 200, 200),
        ),
        "destroy": (("delete", lambda w: f"/api/exercises/{w.exercise.pk}/", None), (401, 403, 403, 204, 204)),
    },
    "trainings": {
        "list": (("get", lambda w: "/api/trainings/", None), (401, 200, 200, 200, 200)),
        "retrieve": (("get", lambda w: f"/api/trainings/{w.training.pk}/", None), (401, 200, 404, 200, 200)),
        "create": (
            ("post", lambda w: "/api/trainings/", lambda w: {"client_id": w.owner.client.pk, "title": "Run"}),
            (401, 403, 403, 201, 201),
        ),
        "update": (
            ("patch", lambda w: f"/api/trainings/{w.training.pk}/", lambda w: {"intensity": "LOW"}),
            (401, 403, 403, 200, 200),
        ),
        "destroy": (("delete", lambda w: f"/api/trainings/{w.training.pk}/", None), (401, 403, 403, 204, 204)),
    },
    "training rows": {
        "list": (("get", lambda w: f"/api/trainings/{w.training.pk}/exercises/", None), (401, 200, 404, 200, 200)),
        "retrieve": (
            ("get", lambda w: f"/api/trainings/{w.training.pk}/exercises/{w.row.pk}/", None),
            (401, 200, 404, 200, 200),
        ),
        "create": (
            (
                "post",
                lambda w: f"/api/trainings/{w.training.pk}/exercises/",
                lambda w: {"exercise_id": w.exercise.pk, "order_in_training": 2},
            ),
            (401, 403, 403, 201, 201),
        ),
        "update": (
            ("patch", lambda w: f"/api/trainings/{w.training.pk}/exercises/{w.row.pk}/", lambda w: {"reps": 12}),
            (401, 403, 403, 200, 200),
        ),
        "destroy": (
            ("delete", lambda w: f"/api/trainings/{w.training.pk}/exercises/{w.row.pk}/", None),
            (401, 403, 403, 204, 204),
        ),
    },
    "training plans": {
        "list": (("get", lambda w: "/api/training-plans/", None), (401, 200, 200, 200, 200)),
        "retrieve": (("get", lambda w: f"/api/training-plans/{w.plan.pk}/", None), (401, 200, 404, 200, 200)),
        "create": (("post", lambda w: "/api/training-plans/", lambda w: {"title": "Mine"}), (401, 201, 201, 201, 201)),
        "update": (
            ("patch", lambda w: f"/api/training-plans/{w.plan.pk}/", lambda w: {"status": "COMPLETED"}),
            (401, 200, 404, 200, 200),
        ),
        "destroy": (("delete", lambda w: f"/api/training-plans/{w.plan.pk}/", None), (401, 204, 404, 204, 204)),
    },
    "payments": {
        "list": (("get", lambda w: "/api/payments/", None), (401, 200, 200, 200, 200)),
        "retrieve": (("get", lambda w: f"/api/payments/{w.payment.pk}/", None), (401, 200, 404, 200, 200)),
        "create": (
            ("post", lambda w: "/api/payments/", lambda w: {"client_id": w.owner.client.pk}),
            (401, 403, 403, 201, 201),
        ),
        "pay-link": (("post", lambda w: f"/api/payments/{w.payment.pk}/pay-link/", None), (401, 403, 403, 200, 200)),
        # Payments change only through the provider's events: no update or delete for anyone.
        "update": (
            ("patch", lambda w: f"/api/payments/{w.payment.pk}/", lambda w: {"status": "PAID"}),
            (401, 403, 403, 405, 405),
        ),
        "destroy": (("delete", lambda w: f"/api/payments/{w.payment.pk}/", None), (401, 403, 403, 405, 405)),
    },
    "workout sessions": {
        "list": (("get", lambda w: "/api/workout-sessions/", None), (401, 200, 200, 200, 200)),
        "retrieve": (("get", lambda w: f"/api/workout-sessions/{w.session.pk}/", None), (401, 200, 404, 200, 200)),
        "create": (
            ("post", lambda w: "/api/workout-sessions/", lambda w: {"exercise_type": "squat", "total_reps": 1}),
            (401, 405, 405, 405, 405),
        ),
    },
}

CASES = [
    pytest.param(request, caller, expected, id=f"{resource} {action} as {caller}")
    for resource, actions in ENDPOINTS.items()
    for action, (request, statuses) in actions.items()
    for caller, expected in zip(CALLERS, statuses, strict=True)
]


@pytest.mark.parametrize(("request_spec", "caller", "expected"), CASES)
def test_each_caller_gets_the_status_its_role_allows(api_client_for, world, request_spec, caller, expected):
    method, url, body = request_spec
    api = api_client_for(None if caller == "anonymous" else getattr(world, caller))

    response = getattr(api, method)(url(world), body(world) if body else None)

    assert response.status_code == expected, response.content
