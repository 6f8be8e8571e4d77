"""Two desks scanning the same member at once admit it once (the client row is locked)."""

import threading

import pytest
from django.db import connection

from attendance.models import Visit
from attendance.services import check_in
from club.tests.factories import ClientFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_check_ins_of_one_member_record_one_visit(trainer):
    member = ClientFactory(expiration_date="2099-01-01")
    start = threading.Barrier(6)
    outcomes = []

    def desk() -> None:
        start.wait()
        try:
            outcomes.append(check_in(staff=trainer, client_id=member.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=desk) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Visit.objects.count() == 1
    assert sorted(outcome.repeat for outcome in outcomes) == [False, True, True, True, True, True]
    assert {outcome.visit.pk for outcome in outcomes} == {Visit.objects.get().pk}
