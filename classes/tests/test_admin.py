import datetime

import pytest
from django.utils import timezone

from classes import services
from classes.models import ClassSession, ClassType
from classes.tests.factories import ClassSessionFactory, ClassTypeFactory

pytestmark = pytest.mark.django_db


def test_the_admin_refuses_a_session_whose_trainer_is_busy_then(client, admin_user, trainer):
    busy = ClassSessionFactory(trainer=trainer, class_type__name="Yoga flow")
    client.force_login(admin_user)
    start = timezone.localtime(busy.starts_at)
    response = client.post(
        "/admin/classes/classsession/add/",
        {
            "class_type": busy.class_type_id,
            "trainer": trainer.pk,
            "starts_at_0": start.date().isoformat(),
            "starts_at_1": start.strftime("%H:%M:%S"),
            "ends_at_0": start.date().isoformat(),
            "ends_at_1": (start + datetime.timedelta(minutes=30)).strftime("%H:%M:%S"),
            "capacity": 5,
            "room": "",
            "bookings-TOTAL_FORMS": 0,
            "bookings-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "Trainer coach is already booked: Yoga flow" in response.content.decode()
    assert ClassSession.objects.count() == 1


def test_the_admin_shows_a_sessions_bookings_inline(client, admin_user, session, member):
    services.booking_create(session=session, client=member)
    client.force_login(admin_user)
    page = client.get(f"/admin/classes/classsession/{session.pk}/change/").content.decode()
    assert str(member) in page
    assert "Booked" in page


def test_a_class_type_in_use_is_not_deleted_409(api_client_for, trainer, session):
    response = api_client_for(trainer).delete(f"/api/class-types/{session.class_type_id}/")
    assert response.status_code == 409
    assert ClassType.objects.filter(pk=session.class_type_id).exists()
    unused = ClassTypeFactory()
    assert api_client_for(trainer).delete(f"/api/class-types/{unused.pk}/").status_code == 204
