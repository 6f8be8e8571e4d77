"""The front desk's day in the admin, in a real Chromium at desktop (1280 px) and phone (390 px) width.

New member with a cash sale → its receipt PDF opens; a refund; a hold across today → On hold; the day's
cash-up. Every test fails on any console error, failed request or HTTP error (the `page` fixture).
"""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from django.utils import formats, timezone
from playwright.sync_api import Page, expect

from accounts.tests.factories import AdminFactory
from club.models import Client, Payment, PaymentStatus
from club.services import add_months, membership_sale
from club.tests.factories import ClientFactory, MembershipFactory
from tests.browser.support import DESKTOP, PHONE_390, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WIDTHS = [pytest.param(DESKTOP, id="1280px"), pytest.param(PHONE_390, id="390px")]
NOTHING_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def desk():
    return AdminFactory(username="desk")


@pytest.fixture
def premium():
    return MembershipFactory(access_level="PREMIUM", price=Decimal("1490.00"))


def open_admin(page: Page, base: str, size: dict, desk, path: str = "/admin/") -> None:
    """The desk's session, made here rather than typed into /login/ each time: eight sign-ins in a row
    from one address would meet the sign-in form's brute-force limit (429). The first journey signs in
    through the form, as a person does."""
    page.set_viewport_size(size)
    session = DjangoClient()
    session.force_login(desk)
    cookie = session.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
    page.goto(base + path)


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.mark.parametrize("size", WIDTHS)
def test_a_walk_in_becomes_a_member_with_a_cash_sale_and_the_receipt_pdf_opens(server, page, desk, premium, size):
    page.set_viewport_size(size)
    sign_in(page, server.url, "desk", PASSWORD)
    page.goto(server.url + "/admin/club/client/")

    page.get_by_role("link", name="New member").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New member")
    assert page.evaluate(NOTHING_SIDEWAYS)
    # Sent with a username already taken: the error sits at its field, and nothing was saved.
    page.get_by_label("Username").fill("desk")
    page.get_by_label("Email").fill("maria@example.com")
    page.get_by_label("First name").fill("Maria")
    page.get_by_label("Last name").fill("Kuznetsova")
    page.get_by_label("Phone").fill("+7 912 555-01-01")
    page.get_by_label("Date of birth").fill("1994-03-02")
    page.get_by_label("Membership").select_option(str(premium.pk))
    page.get_by_label("Months").fill("2")
    page.get_by_label("Cash").check()
    page.get_by_role("button", name="Create member and take payment").click()
    expect(page.locator(".field-username .errorlist")).to_contain_text("already exists")
    assert not Client.objects.filter(first_name="Maria").exists()

    page.get_by_label("Username").fill("maria.k")
    page.get_by_role("button", name="Create member and take payment").click()

    member = Client.objects.get(user__username="maria.k")
    expect(page.get_by_role("heading", level=2).first).to_contain_text("Maria Kuznetsova")
    message = page.locator(".messagelist .success")
    paid_until = formats.date_format(add_months(timezone.localdate(), 2))
    expect(message).to_contain_text(f"Maria Kuznetsova is a member, paid until {paid_until}")
    expect(message).to_contain_text("with the password")  # none typed: a generated one, shown once
    ledger = page.locator(".inline-group", has_text="Membership ledger")
    expect(ledger).to_contain_text("Sale at the desk")
    receipt = message.get_by_role("link", name="open the PDF")
    href = receipt.get_attribute("href")
    payment = Payment.objects.get(client=member)
    assert href == f"/api/payments/{payment.pk}/receipt/"
    pdf = page.request.get(server.url + href)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    assert (payment.method, payment.amount) == ("CASH", Decimal("2980.00"))


@pytest.mark.parametrize("size", WIDTHS)
def test_the_desk_refunds_a_payment_from_its_page(server, page, desk, premium, size):
    member = ClientFactory(first_name="Olga", last_name="Sidorova", membership=premium, expiration_date=days(10))
    sale = membership_sale(client=member, membership=premium, months=1, method="CARD", staff=desk)
    open_admin(page, server.url, size, desk, "/admin/club/payment/")

    page.locator("#result_list tbody tr").first.get_by_role("link").first.click()
    page.get_by_role("link", name="Refund").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Refund 1490.00 to Olga Sidorova")
    assert page.evaluate(NOTHING_SIDEWAYS)
    page.get_by_role("button", name="Refund").click()  # no reason: refused at the field
    expect(page.locator(".field-reason .errorlist")).to_be_visible()
    page.get_by_label("Reason").fill("Moved to another city")
    page.get_by_role("button", name="Refund").click()

    expect(page.locator(".messagelist .success")).to_contain_text(
        f"Refunded 1490.00 to Olga Sidorova: paid until {formats.date_format(days(10))}"
    )
    expect(page.locator(".field-status .readonly")).to_have_text("Refunded")
    expect(page.get_by_role("link", name="Refund")).to_have_count(0)
    sale.refresh_from_db()
    assert (sale.status, sale.refund_reason) == (PaymentStatus.REFUNDED, "Moved to another city")


@pytest.mark.parametrize("size", WIDTHS)
def test_a_hold_across_today_shows_the_member_on_hold(server, page, desk, size):
    member = ClientFactory(first_name="Olga", last_name="Sidorova", expiration_date=days(20))
    open_admin(page, server.url, size, desk, f"/admin/club/client/{member.pk}/change/")

    page.get_by_role("link", name="Hold", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hold: Olga Sidorova")
    assert page.evaluate(NOTHING_SIDEWAYS)
    page.get_by_label("First day").fill(days(-1).isoformat())  # in the past: refused at its field
    page.get_by_label("Last day").fill(days(6).isoformat())
    page.get_by_role("button", name="Put on hold").click()
    expect(page.locator(".field-starts_on .errorlist")).to_contain_text("A hold starts today or later.")
    page.get_by_label("First day").fill(days(0).isoformat())
    page.get_by_label("Reason").fill("Flu")
    page.get_by_role("button", name="Put on hold").click()

    expect(page.locator(".messagelist .success")).to_contain_text(
        f"paid until {formats.date_format(days(27))} (On hold)"
    )
    expect(page.locator(".inline-group", has_text="Holds")).to_contain_text("On hold now")
    page.goto(f"{server.url}/admin/club/client/?q=Sidorova")
    expect(page.locator("#result_list tbody tr").first.locator(".field-status_label")).to_have_text("On hold")


@pytest.mark.parametrize("size", WIDTHS)
def test_the_cash_up_shows_the_days_takings(server, page, desk, premium, size):
    for method, amount in [("CASH", Decimal("1490.00")), ("CASH", Decimal("500.00")), ("CARD", Decimal("1490.00"))]:
        member = ClientFactory(expiration_date=days(5))
        membership_sale(client=member, membership=premium, months=1, method=method, staff=desk, amount=amount)
    open_admin(page, server.url, size, desk, "/admin/club/payment/")

    page.get_by_role("link", name="Cash-up").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Cash-up for {formats.date_format(timezone.localdate())}"
    )
    assert page.evaluate(NOTHING_SIDEWAYS)
    expect(page.locator("[data-cash-up-total]")).to_contain_text("Taken: 3480.00 RUB in 3 payments.")
    by_method = page.locator("table", has_text="By method")
    expect(by_method.get_by_role("row", name="Cash 2 1990.00", exact=True)).to_be_visible()
    expect(by_method.get_by_role("row", name="Card 1 1490.00", exact=True)).to_be_visible()
    expect(page.locator("table", has_text="By who took it")).to_contain_text("desk")
    page.get_by_role("link", name="← Previous day").click()
    expect(page.locator("[data-cash-up-total]")).to_contain_text("Taken: 0.00 RUB in 0 payments.")
