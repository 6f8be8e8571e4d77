import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role, User
from club.models import Client
from club.services import client_register
from club.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def register(actor, **overrides):
    fields = {
        "username": "new.member",
        "email": "new@example.com",
        "password": "squat-rack-2026",
        "first_name": "Nina",
        "last_name": "Orlova",
        "phone_number": "+7 900 000 0000",
        "date_of_birth": datetime.date(1992, 1, 1),
        "membership": MembershipFactory(),
    }
    return client_register(actor=actor, **{**fields, **overrides})


def test_registering_a_client_creates_its_user_account_of_role_user(trainer):
    member = register(trainer)

    assert member.user.role == Role.USER
    assert member.user.username == "new.member"


def test_a_bad_profile_leaves_no_orphan_account(trainer):
    with pytest.raises(ValidationError) as error:
        register(trainer, phone_number="call me")

    assert "phone_number" in error.value.message_dict
    assert not User.objects.filter(username="new.member").exists()


def test_a_club_client_cannot_register_members(client_user):
    with pytest.raises(PermissionDenied):
        register(client_user)

    assert not Client.objects.filter(first_name="Nina").exists()
