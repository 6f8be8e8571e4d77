"""The desk page, the member's card page, the printable card and attendance on the dashboards."""

import datetime

import pytest
from django.utils import timezone

from attendance import cards
from attendance.models import Visit
from attendance.services import check_in
from club.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def member(db):
    return ClientFactory(first_name="Anna", last_name="Petrova", expiration_date=days(20))


def test_a_scan_at_the_desk_shows_a_green_admission_with_name_initials_and_paid_until(client, trainer, member):
    client.force_login(trainer)

    response = client.post("/dashboard/check-in/", {"q": cards.phone_card_payload(member.pk)}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-result="ADMITTED"' in html
    assert "desk-state-ok" in html
    assert "Anna Petrova" in html
    assert ">AP<" in html
    assert days(20).strftime("%Y") in html
    assert response["HX-Trigger"] == "visit-recorded"
    assert Visit.objects.get().method == "QR"


def test_a_lapsed_member_at_the_desk_shows_red_with_the_reason(client, trainer):
    lapsed = ClientFactory(first_name="Oleg", expiration_date=days(-2))
    client.force_login(trainer)

    html = client.post("/dashboard/check-in/", {"client_id": lapsed.pk}, HTTP_HX_REQUEST="true").content.decode()

    assert 'data-result="DENIED"' in html
    assert "desk-state-no" in html
    assert "Membership lapsed" in html


def test_a_tampered_card_at_the_desk_is_refused_and_records_nothing(client, trainer, member):
    client.force_login(trainer)
    bad = cards.phone_card_payload(member.pk)[:-3] + "xyz"

    html = client.post("/dashboard/check-in/", {"q": bad}, HTTP_HX_REQUEST="true").content.decode()

    assert 'data-result="REFUSED"' in html
    assert "Tampered" in html
    assert not Visit.objects.exists()


def test_typing_a_name_at_the_desk_finds_the_member(client, trainer, member):
    client.force_login(trainer)

    html = client.get("/dashboard/check-in/search/?q=petr").content.decode()

    assert "Anna Petrova" in html
    assert f'value="{member.pk}"' in html
    assert client.get(f"/dashboard/check-in/search/?q={cards.phone_card_payload(member.pk)}").status_code == 204


def test_the_desk_lists_todays_visits(client, trainer, member):
    check_in(staff=trainer, client_id=member.pk)
    client.force_login(trainer)

    assert "Anna Petrova" in client.get("/dashboard/check-in/today/").content.decode()
    assert "Anna Petrova" in client.get("/dashboard/check-in/").content.decode()


def test_the_desk_is_for_staff_only(client, client_user):
    client.force_login(client_user)

    assert client.get("/dashboard/check-in/").status_code == 403


def test_a_member_sees_its_card_and_its_visits_on_its_page(client, client_user, trainer):
    member = client_user.client
    check_in(staff=trainer, client_id=member.pk)
    client.force_login(client_user)

    response = client.get("/dashboard/card/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<svg viewBox="0 0 ' in html  # scales with the page instead of being clipped by it
    assert "My visits" in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_staff_have_no_member_card_page(client, trainer):
    client.force_login(trainer)

    assert client.get("/dashboard/card/").status_code == 404


def test_reissuing_the_printed_card_from_its_page_changes_its_code(client, trainer, member):
    client.force_login(trainer)
    assert client.get(f"/dashboard/clients/{member.pk}/card/").status_code == 200
    first = member.printed_card.code

    client.post(f"/dashboard/clients/{member.pk}/card/")

    member.printed_card.refresh_from_db()
    assert member.printed_card.code != first


def test_the_client_page_shows_its_last_visits_and_a_weekly_chart(client, trainer, member):
    check_in(staff=trainer, client_id=member.pk)
    client.force_login(trainer)

    html = client.get(f"/dashboard/clients/{member.pk}/").content.decode()

    assert "Visits per week" in html
    assert 'id="chart-visits"' in html
    assert "Last 1 visit" in html


def test_the_dashboard_shows_check_ins_today_by_hour_and_members_at_risk(client, trainer, member):
    check_in(staff=trainer, client_id=member.pk)
    ClientFactory(first_name="Drifting", last_name="Away", expiration_date=days(30))
    client.force_login(trainer)

    html = client.get("/dashboard/").content.decode()

    assert "Checked in today" in html
    assert 'id="chart-visits-by-hour"' in html
    assert "Members at risk" in html
    assert "Drifting Away" in html
