"""Money is ADMIN's (SPEC "Roles", "Front desk"): who may see takings, revenue, payments and receipts.

A TRAINER sees a member's paid-until date and state and, like all staff (SPEC part 1), lists and
reads payments one by one and reprints a member's receipt; it never gets an aggregate of money: the
cash-up, the membership_revenue and daily_takings reports are refused (403) in the API and on the
pages, and its report lists leave them out. A USER reads only its own payments and receipts.
"""

import pytest
from django.urls import reverse

from club.services import membership_sale
from reports.models import Report, ReportStatus
from reports.permissions import MONEY_REPORTS_ARE_ADMINS
from reports.tests.conftest import MARCH

pytestmark = pytest.mark.django_db

MONEY_KINDS = ["membership_revenue", "daily_takings"]


@pytest.fixture
def sale(client_user, admin_user):
    member = client_user.client
    return membership_sale(client=member, membership=member.membership, months=1, method="CASH", staff=admin_user)


@pytest.fixture
def money_reports(admin_user):
    return {
        kind: Report.objects.create(
            kind=kind,
            format="csv",
            parameters=MARCH,
            requested_by=admin_user,
            status=ReportStatus.SUCCESS,
            file=f"reports/{kind}.csv",
        )
        for kind in MONEY_KINDS
    }


@pytest.fixture(autouse=True)
def report_files(media_root, money_reports):
    (media_root / "reports").mkdir(parents=True)
    for kind in MONEY_KINDS:
        (media_root / "reports" / f"{kind}.csv").write_text("Figure,Value\n")


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        # list, retrieve, receipt, cash-up, request revenue, request takings, list reports, read, download
        ("client_user", (200, 200, 200, 403, 403, 403, [], 404, 404)),
        ("other_client_user", (200, 404, 404, 403, 403, 403, [], 404, 404)),
        ("trainer", (200, 200, 200, 403, 403, 403, [], 403, 403)),
        ("admin_user", (200, 200, 200, 200, 202, 202, sorted(MONEY_KINDS), 200, 200)),
    ],
)
def test_who_sees_what_of_money(request, caller, expected, sale, money_reports, api_client_for, eager_tasks):
    api = api_client_for(request.getfixturevalue(caller))
    revenue = money_reports["membership_revenue"]

    answers = (
        api.get("/api/payments/").status_code,
        api.get(f"/api/payments/{sale.pk}/").status_code,
        api.get(f"/api/payments/{sale.pk}/receipt/").status_code,
        api.get("/api/payments/summary/").status_code,
        *(api.post("/api/reports/", {**MARCH, "kind": k, "format": "csv"}, format="json").status_code
          for k in MONEY_KINDS),
        sorted({row["kind"] for row in api.get("/api/reports/").json()["results"]}),
        api.get(f"/api/reports/{revenue.pk}/").status_code,
        api.get(f"/api/reports/{revenue.pk}/download/").status_code,
    )  # fmt: skip

    assert answers == expected


def test_a_trainer_asking_for_a_money_report_is_told_why_and_nothing_is_queued(trainer, api_client_for):
    for kind in MONEY_KINDS:
        response = api_client_for(trainer).post(
            "/api/reports/", {**MARCH, "kind": kind, "format": "pdf"}, format="json"
        )

        assert (response.status_code, response.json()["detail"]) == (403, MONEY_REPORTS_ARE_ADMINS)
    assert not Report.objects.filter(requested_by=trainer).exists()


def test_a_trainer_still_runs_the_other_reports(trainer, api_client_for, eager_tasks):
    response = api_client_for(trainer).post("/api/reports/", {**MARCH, "kind": "club_activity", "format": "csv"})

    assert response.status_code == 202


# --- the report pages ---------------------------------------------------------------------------
def kind_options(html: str) -> list[str]:
    select = html.split('name="kind"', 1)[1].split("</select>", 1)[0]
    return [part.split('"', 1)[0] for part in select.split('value="')[1:]]


def test_the_report_form_offers_money_reports_to_admins_only(client, trainer, admin_user):
    client.force_login(trainer)
    offered_to_trainer = kind_options(client.get(reverse("reports:report-list")).content.decode())
    client.force_login(admin_user)
    offered_to_admin = kind_options(client.get(reverse("reports:report-list")).content.decode())

    assert offered_to_trainer == ["club_activity", "client_progress", "new_users"]
    assert offered_to_admin == ["club_activity", "client_progress", "membership_revenue", "new_users", "daily_takings"]


@pytest.mark.parametrize("kind", MONEY_KINDS)
def test_a_money_report_posted_by_a_trainer_on_the_page_is_refused_with_the_reason(client, trainer, kind):
    client.force_login(trainer)

    response = client.post(reverse("reports:report-list"), {**MARCH, "kind": kind, "format": "csv"})

    assert response.status_code == 403
    assert "for admins only" in response.content.decode()
    assert not Report.objects.filter(requested_by=trainer).exists()


@pytest.mark.parametrize("page", ["report-detail", "report-progress", "report-row", "report-download"])
def test_a_trainer_cannot_open_an_existing_money_report_page(client, trainer, admin_user, money_reports, page):
    client.force_login(trainer)
    trainer_answers = [client.get(reverse(f"reports:{page}", args=[r.pk])).status_code for r in money_reports.values()]
    listed = client.get(reverse("reports:report-list")).content.decode()
    client.force_login(admin_user)
    admin_answers = [client.get(reverse(f"reports:{page}", args=[r.pk])).status_code for r in money_reports.values()]

    assert trainer_answers == [403, 403]
    assert f'href="{reverse("reports:report-detail", args=[money_reports["daily_takings"].pk])}"' not in listed
    assert all(status in (200, 286) for status in admin_answers)
