"""The daily_takings report: the cash-up of a period (SPEC "Front desk"), in every file format."""

import datetime
from decimal import Decimal

import pytest

from accounts.tests.factories import TrainerFactory
from club.models import PaymentStatus
from club.selectors import payment_takings
from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory
from reports.models import Report
from reports.services import report_generate
from reports.tests.conftest import MARCH, at
from reports.tests.files import assert_file_matches_summary, csv_sections, pdf_text, xlsx_sheets

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("eager_tasks")]


@pytest.fixture
def march_takings(admin_user):
    """Desk sales and a provider payment over three days of March 2026, one of them refunded on the 5th."""
    member = ClientFactory(membership=MembershipFactory(price=Decimal("1000.00")))
    desk = TrainerFactory(username="frontdesk")  # a staff member who took money before the money rules
    paid = PaymentStatus.PAID
    PaymentFactory(client=member, status=paid, method="CASH", staff=admin_user, paid_at=at("2026-03-02T10:00:00"))
    PaymentFactory(
        client=member, status=paid, method="CARD", staff=desk, amount=Decimal("500.00"),
        paid_at=at("2026-03-02T18:00:00"),
    )  # fmt: skip
    PaymentFactory(
        client=member, status=PaymentStatus.REFUNDED, method="TRANSFER", staff=admin_user,
        amount=Decimal("2000.00"), paid_at=at("2026-03-04T09:00:00"), refunded_at=at("2026-03-05T12:00:00"),
    )  # fmt: skip
    PaymentFactory(client=member, status=paid, paid_at=at("2026-03-31T23:30:00"))  # the provider's: no method
    PaymentFactory(client=member, status=paid, method="CASH", staff=admin_user, paid_at=at("2026-04-01T00:00:00"))
    PaymentFactory(client=member, status=PaymentStatus.PENDING)
    return {"desk": desk}


MARCH_FIRST, MARCH_LAST = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)


EXPECTED_SUMMARY = {
    "count": 4,
    "total": "4500.00",
    "by_method": {
        "CASH": {"count": 1, "total": "1000.00"},
        "CARD": {"count": 1, "total": "500.00"},
        "TRANSFER": {"count": 1, "total": "2000.00"},
        "PROVIDER": {"count": 1, "total": "1000.00"},
    },
    "by_staff": "filled in by the test: staff ids",
    "refunds": {"count": 1, "total": "2000.00"},
}


def expected_summary(admin_user, desk) -> dict:
    staff = [*sorted([(admin_user.pk, 2, "3000.00"), (desk.pk, 1, "500.00")]), (None, 1, "1000.00")]
    return {
        **EXPECTED_SUMMARY,
        "by_staff": [{"staff_id": pk, "count": n, "total": total} for pk, n, total in staff],
    }


@pytest.mark.parametrize("report_format", ["csv", "xlsx", "pdf"])
def test_daily_takings_has_the_cash_up_keys_and_its_file_holds_them(
    report_format, march_takings, admin_user, api_client_for, django_capture_on_commit_callbacks
):
    api = api_client_for(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/reports/", {**MARCH, "kind": "daily_takings", "format": report_format}, format="json")

    assert response.status_code == 202, response.data
    detail = api.get(f"/api/reports/{response.data['id']}/").json()
    assert detail["status"] == "SUCCESS", detail["error"]
    assert detail["summary"] == expected_summary(admin_user, march_takings["desk"])
    download = api.get(f"/api/reports/{response.data['id']}/download/")
    assert download.status_code == 200
    assert_file_matches_summary(report_format, b"".join(download.streaming_content), detail["summary"])


def test_daily_takings_is_the_same_computation_as_the_cash_up_endpoint(march_takings, admin_user, api_client_for):
    report = Report.objects.create(
        kind="daily_takings", format="csv", requested_by=admin_user, parameters={"date_from": "2026-03-02",
        "date_to": "2026-03-02"},
    )  # fmt: skip

    summary = report_generate(report_id=report.pk).summary
    endpoint = api_client_for(admin_user).get("/api/payments/summary/?date=2026-03-02").json()

    assert summary == {key: endpoint[key] for key in ("count", "total", "by_method", "by_staff", "refunds")}


def test_daily_takings_csv_has_a_row_per_day_per_method_and_per_staff_member_by_name(march_takings, admin_user):
    report = Report.objects.create(kind="daily_takings", format="csv", parameters=MARCH, requested_by=admin_user)

    sections = csv_sections(report_generate(report_id=report.pk).file.read())

    assert sections["Takings by day"] == [
        ["Day", "Payments", "Total, RUB", "Cash, RUB", "Card, RUB", "Bank transfer, RUB",
         "Online (payment provider), RUB", "Refunds", "Refunded, RUB"],
        ["2 Mar 2026", "2", "1500.00", "1000.00", "500.00", "0.00", "0.00", "0", "0.00"],
        ["4 Mar 2026", "1", "2000.00", "0.00", "0.00", "2000.00", "0.00", "0", "0.00"],
        ["5 Mar 2026", "0", "0.00", "0.00", "0.00", "0.00", "0.00", "1", "2000.00"],
        ["31 Mar 2026", "1", "1000.00", "0.00", "0.00", "0.00", "1000.00", "0", "0.00"],
        ["Total", "4", "4500.00", "1000.00", "500.00", "2000.00", "1000.00", "1", "2000.00"],
    ]  # fmt: skip
    assert sections["Takings by method"][1:] == [
        ["Cash", "1", "1000.00"],
        ["Card", "1", "500.00"],
        ["Bank transfer", "1", "2000.00"],
        ["Online (payment provider)", "1", "1000.00"],
        ["Total", "4", "4500.00"],
    ]
    assert sections["Takings by staff member"] == [
        ["Taken by", "Payments", "Amount, RUB"],
        ["boss", "2", "3000.00"],
        ["frontdesk", "1", "500.00"],
        ["Payment provider", "1", "1000.00"],
        ["Total", "4", "4500.00"],
    ]
    assert sections["Refunds"] == [["Refunds", "Refunded, RUB"], ["1", "2000.00"]]


def test_daily_takings_workbook_and_pdf_name_methods_and_staff_not_codes(march_takings, admin_user):
    xlsx = Report.objects.create(kind="daily_takings", format="xlsx", parameters=MARCH, requested_by=admin_user)
    pdf = Report.objects.create(kind="daily_takings", format="pdf", parameters=MARCH, requested_by=admin_user)

    sheets = xlsx_sheets(report_generate(report_id=xlsx.pk).file.read())
    text = " ".join(pdf_text(report_generate(report_id=pdf.pk).file.read()).split())

    assert {"Summary", "By day", "By method", "By staff member", "Refunds"} <= set(sheets)
    assert [row[0] for row in sheets["By staff member"][1:]] == ["boss", "frontdesk", "Payment provider", "Total"]
    assert "Daily takings Period: 1–31 Mar 2026" in text
    assert "Cash — Total, RUB 1000.00" in text
    assert "frontdesk 1 500.00" in text
    assert "PROVIDER" not in text
    assert "TRANSFER" not in text


def test_payment_takings_splits_the_period_into_local_days(settings, march_takings):
    settings.TIME_ZONE = "Europe/Moscow"  # 31 Mar 23:30 UTC is 1 Apr in Moscow; 1 Apr 00:00 UTC also

    takings = payment_takings(date_from=MARCH_FIRST, date_to=MARCH_LAST)

    assert [(day["date"].isoformat(), day["count"]) for day in takings.by_day] == [
        ("2026-03-02", 2),
        ("2026-03-04", 1),
        ("2026-03-05", 0),
    ]
    assert (takings.count, takings.total) == (3, Decimal("3500.00"))
