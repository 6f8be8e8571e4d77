"""Check-in at the desk (SPEC part 2, "Attendance"): every outcome, every bad payload, the roles."""

import datetime

import pytest
from django.core import signing
from django.utils import timezone

from attendance import cards
from attendance.models import Visit
from attendance.services import check_in
from classes.models import Booking
from classes.services import booking_create
from classes.tests.factories import ClassSessionFactory
from club.models import MembershipHold
from club.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def member(db):
    return ClientFactory(first_name="Anna", last_name="Petrova", expiration_date=days(20))


def post(api, body):
    return api.post("/api/check-ins/", body, format="json")


def test_a_trainer_scans_a_paid_up_members_card_and_admits_it(api_client_for, trainer, member):
    response = post(api_client_for(trainer), {"qr_payload": cards.phone_card_payload(member.pk)})

    assert response.status_code == 201, response.content
    visit = Visit.objects.get()
    assert response.json() == {
        "result": "ADMITTED",
        "reason": None,
        "message": "Welcome, Anna!",
        "client": {
            "id": member.pk,
            "first_name": "Anna",
            "last_name": "Petrova",
            "initials": "AP",
            "status": "ACTIVE",
            "expiration_date": days(20).isoformat(),
            "membership_id": member.membership_id,
        },
        "visit_id": visit.pk,
        "checked_in_at": response.json()["checked_in_at"],
        "repeat": False,
    }
    assert (visit.client_id, visit.result, visit.reason, visit.method, visit.staff_id) == (
        member.pk,
        "ADMITTED",
        None,
        "QR",
        trainer.pk,
    )


def test_an_admin_checks_a_member_in_by_id_at_the_desk(api_client_for, admin_user, member):
    response = post(api_client_for(admin_user), {"client_id": member.pk})

    assert response.status_code == 201
    assert Visit.objects.get().method == "DESK"


def test_a_lapsed_member_is_denied_and_the_attempt_is_recorded(api_client_for, trainer):
    lapsed = ClientFactory(expiration_date=days(-1))

    response = post(api_client_for(trainer), {"client_id": lapsed.pk})

    assert response.status_code == 200
    body = response.json()
    assert (body["result"], body["reason"], body["client"]["status"]) == ("DENIED", "LAPSED", "INACTIVE")
    assert "lapsed" in body["message"]
    assert list(Visit.objects.values_list("id", "result", "reason")) == [(body["visit_id"], "DENIED", "LAPSED")]


def test_a_member_on_hold_today_is_denied_on_hold(api_client_for, trainer, member):
    MembershipHold.objects.create(client=member, starts_on=days(-2), ends_on=days(3))

    response = post(api_client_for(trainer), {"qr_payload": cards.phone_card_payload(member.pk)})

    assert response.status_code == 200
    assert (response.json()["result"], response.json()["reason"]) == ("DENIED", "ON_HOLD")
    assert Visit.objects.get().reason == "ON_HOLD"


def test_a_member_who_never_paid_is_denied_no_membership(api_client_for, trainer):
    never_paid = ClientFactory(expiration_date=None, status="INACTIVE")

    response = post(api_client_for(trainer), {"client_id": never_paid.pk})

    assert (response.status_code, response.json()["reason"]) == (200, "NO_MEMBERSHIP")


def test_a_second_admission_within_the_window_returns_the_same_visit(api_client_for, trainer, member):
    api = api_client_for(trainer)
    first = post(api, {"qr_payload": cards.phone_card_payload(member.pk)})

    again = post(api, {"client_id": member.pk})

    assert again.status_code == 200
    assert (again.json()["visit_id"], again.json()["repeat"], again.json()["result"]) == (
        first.json()["visit_id"],
        True,
        "ADMITTED",
    )
    assert Visit.objects.count() == 1


def test_an_admission_after_the_window_is_a_new_visit(settings, trainer, member):
    settings.CHECKIN_REPEAT_MINUTES = 60
    earlier = check_in(staff=trainer, client_id=member.pk, now=timezone.now() - datetime.timedelta(minutes=61))

    later = check_in(staff=trainer, client_id=member.pk)

    assert (later.repeat, later.recorded) == (False, True)
    assert later.visit.pk != earlier.visit.pk


def test_a_user_cannot_check_anyone_in(api_client_for, client_user, member):
    response = post(api_client_for(client_user), {"client_id": member.pk})

    assert response.status_code == 403
    assert not Visit.objects.exists()


def test_a_user_cannot_check_itself_in_with_its_own_card(api_client_for, client_user):
    response = post(api_client_for(client_user), {"qr_payload": cards.phone_card_payload(client_user.client.pk)})

    assert response.status_code == 403


def test_check_in_needs_a_login(api_client_for, member):
    assert post(api_client_for(None), {"client_id": member.pk}).status_code == 401


def _refused(api, payload: str) -> str:
    response = post(api, {"qr_payload": payload})
    assert response.status_code == 400, response.content
    assert not Visit.objects.exists()
    return response.json()["qr_payload"][0]


def test_a_bare_client_id_is_refused_as_forged(api_client_for, trainer, member):
    assert "forged" in _refused(api_client_for(trainer), str(member.pk))


def test_a_made_up_card_is_refused_as_forged(api_client_for, trainer):
    assert "forged" in _refused(api_client_for(trainer), "MC:hello:world")


def test_a_card_with_another_client_id_is_refused_as_tampered(api_client_for, trainer, member):
    other = ClientFactory(expiration_date=days(20))
    genuine = cards.phone_card_payload(member.pk)
    altered = genuine.replace(f":{member.pk}:", f":{other.pk}:", 1)

    assert "Tampered" in _refused(api_client_for(trainer), altered)


def test_a_card_signed_by_another_clubs_key_is_refused_as_foreign_signed(api_client_for, trainer, member, settings):
    settings.SECRET_KEY = "another-club-" + "x" * 50
    foreign = cards.phone_card_payload(member.pk)
    settings.SECRET_KEY = "our-club-" + "y" * 50

    assert "Foreign-signed" in _refused(api_client_for(trainer), foreign)


def test_a_card_signed_with_an_old_key_still_in_the_fallbacks_is_accepted(api_client_for, trainer, member, settings):
    settings.SECRET_KEY = "old-key-" + "x" * 50
    payload = cards.phone_card_payload(member.pk)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-key-" + "y" * 50, ["old-key-" + "x" * 50]

    assert post(api_client_for(trainer), {"qr_payload": payload}).status_code == 201


def test_an_expired_card_is_refused_as_expired(api_client_for, trainer, member, settings, monkeypatch):
    settings.MEMBER_CARD_MAX_AGE = 300
    issued = timezone.now().timestamp() - 301
    monkeypatch.setattr(signing.time, "time", lambda: issued)
    old = cards.phone_card_payload(member.pk)
    monkeypatch.undo()

    assert "Expired" in _refused(api_client_for(trainer), old)


def test_another_signed_value_of_the_project_is_not_a_card(api_client_for, trainer, member):
    # Signed with our key, but for another purpose (salt): its signature cannot match a card's.
    value = f"MC:{cards._key_id(__import__('django.conf').conf.settings.SECRET_KEY)}:{member.pk}"
    other_purpose = signing.TimestampSigner(salt="something.else", algorithm="sha256").sign(value)

    assert "Tampered" in _refused(api_client_for(trainer), other_purpose)


def test_a_reissued_printed_card_makes_the_old_one_fail(api_client_for, trainer, member):
    api = api_client_for(trainer)
    old = api.get(f"/api/clients/{member.pk}/printed-card/").json()["qr_payload"]
    assert post(api, {"qr_payload": old}).status_code == 201

    reissued = api.post(f"/api/clients/{member.pk}/printed-card/")

    assert reissued.status_code == 201
    Visit.objects.all().delete()
    assert "Revoked" in _refused(api, old)
    assert post(api, {"qr_payload": reissued.json()["qr_payload"]}).status_code == 201


def test_an_unknown_client_id_is_a_400_and_records_nothing(api_client_for, trainer):
    response = post(api_client_for(trainer), {"client_id": 999999})

    assert response.status_code == 400
    assert "client_id" in response.json()
    assert not Visit.objects.exists()


def test_a_body_with_both_or_neither_field_is_a_400(api_client_for, trainer, member):
    api = api_client_for(trainer)
    both = post(api, {"client_id": member.pk, "qr_payload": cards.phone_card_payload(member.pk)})
    neither = post(api, {})

    assert (both.status_code, neither.status_code) == (400, 400)
    assert not Visit.objects.exists()


def test_admission_before_a_booked_class_marks_the_booking_attended(api_client_for, trainer, member):
    starts = timezone.now() + datetime.timedelta(minutes=40)
    soon = ClassSessionFactory(starts_at=starts, ends_at=starts + datetime.timedelta(hours=1))
    tomorrow = ClassSessionFactory(starts_at=starts + datetime.timedelta(days=1))
    for session in (soon, tomorrow):
        booking_create(session=session, client=member)

    response = post(api_client_for(trainer), {"qr_payload": cards.phone_card_payload(member.pk)})

    assert response.status_code == 201
    assert dict(Booking.objects.values_list("session_id", "status")) == {soon.pk: "ATTENDED", tomorrow.pk: "BOOKED"}


def test_a_denied_member_attends_nothing(api_client_for, trainer):
    lapsed = ClientFactory(expiration_date=days(-3))
    starts = timezone.now() + datetime.timedelta(minutes=40)
    session = ClassSessionFactory(starts_at=starts, ends_at=starts + datetime.timedelta(hours=1))
    Booking.objects.create(session=session, client=lapsed, status="BOOKED")

    assert post(api_client_for(trainer), {"client_id": lapsed.pk}).json()["result"] == "DENIED"
    assert Booking.objects.get().status == "BOOKED"
