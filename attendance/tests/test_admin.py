import datetime

import pytest
from django.utils import timezone

from attendance.models import MemberCard
from attendance.services import check_in, member_card_issue
from club.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_the_admin_lists_visits_read_only_and_reissues_printed_cards(client, admin_user):
    member = ClientFactory(first_name="Anna", expiration_date=timezone.localdate() + datetime.timedelta(days=9))
    visit = check_in(staff=admin_user, client_id=member.pk).visit
    card = member_card_issue(client=member, staff=admin_user)
    client.force_login(admin_user)

    listing = client.get("/admin/attendance/visit/", {"q": "Anna"})
    change = client.get(f"/admin/attendance/visit/{visit.pk}/change/")
    reissued = client.post(
        "/admin/attendance/membercard/", {"action": "reissue", "_selected_action": [card.pk]}, follow=True
    )

    assert listing.status_code == 200
    assert "Admitted" in listing.content.decode()
    assert change.status_code == 200
    assert client.get("/admin/attendance/visit/add/").status_code == 403
    assert reissued.status_code == 200
    assert MemberCard.objects.get().code != card.code
