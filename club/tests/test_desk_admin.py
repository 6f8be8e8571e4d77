"""The front desk in the admin: New member, Sell / renew, Hold, Correct, Refund, Cash-up, the ledger inline.

Every page calls a club.services function; these tests check what the desk sees (the page, its errors,
its messages) and what the services then wrote (payments, ledger rows), and that only ADMINs get in.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import formats, timezone

from accounts.models import User
from accounts.tests.factories import AdminFactory
from club.models import Client, MembershipEvent, MembershipEventKind, MembershipHold, Payment, PaymentStatus
from club.services import add_months, hold_create, membership_sale, payment_refund
from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory

pytestmark = pytest.mark.django_db

PASSWORD = "squat-rack-2026"


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def shown(day: datetime.date) -> str:
    return formats.date_format(day)


@pytest.fixture
def desk(client):
    """The front desk: an ADMIN (not a superuser: the role is what lets it in)."""
    user = AdminFactory(username="desk")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def premium():
    return MembershipFactory(price=Decimal("1490.00"))


def new_member_form(membership, **changes) -> dict:
    return {
        "username": "maria.k",
        "email": "maria@example.com",
        "password": PASSWORD,
        "first_name": "Maria",
        "last_name": "Kuznetsova",
        "phone_number": "+7 912 555-01-01",
        "date_of_birth": "1994-03-02",
        "gender": "FEMALE",
        "membership": membership.pk,
        "months": "3",
        "method": "CASH",
        "amount": "",
        **changes,
    }


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# ---- New member --------------------------------------------------------------------------------------
def test_the_client_list_offers_new_member_and_the_page_creates_account_profile_and_cash_sale(desk, premium):
    changelist = desk.get(reverse("admin:club_client_changelist")).content.decode()
    assert reverse("admin:club_client_new_member") in changelist

    response = desk.post(reverse("admin:club_client_new_member"), new_member_form(premium))

    member = Client.objects.get(user__username="maria.k")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:club_client_change", args=[member.pk])
    payment = Payment.objects.get(client=member)
    assert (payment.status, payment.method, payment.amount, payment.staff) == (
        PaymentStatus.PAID,
        "CASH",
        Decimal("4470.00"),
        desk.user,
    )
    assert member.expiration_date == add_months(timezone.localdate(), 3)
    assert member.user.check_password(PASSWORD)
    assert list(member.membership_events.values_list("kind", "payment")) == [(MembershipEventKind.SALE, payment.pk)]
    [message] = message_texts(response)
    assert f"Maria Kuznetsova is a member, paid until {shown(member.expiration_date)}" in message
    assert reverse("payment-receipt", args=[payment.pk]) in message
    assert payment.receipt_number in message


def test_a_new_member_without_a_password_gets_a_generated_one_shown_once(desk, premium):
    response = desk.post(reverse("admin:club_client_new_member"), new_member_form(premium, password=""))

    [message] = message_texts(response)
    generated = re.search(r"with the password (\S+) \(shown once", message).group(1)
    assert User.objects.get(username="maria.k").check_password(generated)


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"username": "taken"}, "username", "already exists"),
        ({"password": "12345678"}, "password", "entirely numeric"),
        ({"phone_number": "call me"}, "phone_number", ""),
        ({"months": "30"}, "months", "less than or equal to 24"),
        ({"method": "PROVIDER"}, "method", "Select a valid choice"),
    ],
)
def test_a_refused_new_member_keeps_the_form_with_the_error_at_its_field_and_saves_nothing(
    desk, premium, changes, field, error
):
    ClientFactory(user__username="taken")
    clients, payments, events = Client.objects.count(), Payment.objects.count(), MembershipEvent.objects.count()

    response = desk.post(reverse("admin:club_client_new_member"), new_member_form(premium, **changes))

    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert error in " ".join(form.errors[field])
    assert "Please correct the error below." in response.content.decode()
    assert (Client.objects.count(), Payment.objects.count(), MembershipEvent.objects.count()) == (
        clients,
        payments,
        events,
    )
    assert not User.objects.filter(username="maria.k").exists()


# ---- The client's page: Sell / renew, Hold, Correct, the ledger -----------------------------------------
def test_the_client_page_offers_the_desk_buttons_and_shows_the_ledger_newest_first(desk, premium):
    member = ClientFactory(membership=premium, expiration_date=days(10))
    sale = membership_sale(client=member, membership=premium, months=1, method="CARD", staff=desk.user)

    html = desk.get(reverse("admin:club_client_change", args=[member.pk])).content.decode()

    for name in ("sell", "hold", "correct"):
        assert reverse(f"admin:club_client_{name}", args=[member.pk]) in html
    body = text(html)
    assert "Membership ledger (newest first)" in body
    sale_row = body.index("Sale at the desk")
    opening_row = body.index("opening balance")
    assert sale_row < opening_row
    assert f"{shown(days(10))} → {shown(add_months(days(10), 1))}" in body
    assert reverse("payment-receipt", args=[sale.pk]) in html
    assert "Card" in body


def test_sell_renew_extends_from_the_paid_until_date_and_links_the_receipt(desk, premium):
    member = ClientFactory(expiration_date=days(5))

    response = desk.post(
        reverse("admin:club_client_sell", args=[member.pk]),
        {"membership": premium.pk, "months": "2", "method": "TRANSFER", "amount": "2500"},
    )

    assert response.status_code == 302
    member.refresh_from_db()
    payment = Payment.objects.get(client=member)
    assert (payment.method, payment.amount, member.membership) == ("TRANSFER", Decimal("2500.00"), premium)
    assert member.expiration_date == add_months(days(5), 2)
    [message] = message_texts(response)
    assert reverse("payment-receipt", args=[payment.pk]) in message


def test_a_hold_across_today_puts_the_member_on_hold_in_the_client_list(desk):
    member = ClientFactory(first_name="Olga", expiration_date=days(20))

    response = desk.post(
        reverse("admin:club_client_hold", args=[member.pk]),
        {"starts_on": days(0).isoformat(), "ends_on": days(6).isoformat(), "reason": "Flu"},
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.expiration_date == days(27)
    [message] = message_texts(response)
    assert message.endswith(f"(7 days): paid until {shown(days(27))} (On hold).")
    listing = desk.get(reverse("admin:club_client_changelist")).content.decode()
    assert re.search(r'class="pill pill-soon">On hold<', listing)
    page = text(desk.get(reverse("admin:club_client_change", args=[member.pk])).content.decode())
    assert "On hold now" in page


def test_a_refused_hold_says_why_on_the_form(desk):
    lapsed = ClientFactory(expiration_date=days(-3))

    response = desk.post(
        reverse("admin:club_client_hold", args=[lapsed.pk]),
        {"starts_on": days(0).isoformat(), "ends_on": days(2).isoformat()},
    )

    assert response.status_code == 200
    assert "The membership has lapsed: sell a renewal instead of a hold." in response.content.decode()
    assert not MembershipHold.objects.exists()


def test_a_future_hold_is_cancelled_from_the_client_page(desk):
    member = ClientFactory(expiration_date=days(20))
    hold = hold_create(client=member, starts_on=days(3), ends_on=days(5), staff=desk.user)
    cancel_url = reverse("admin:club_client_hold_cancel", args=[member.pk, hold.pk])
    assert cancel_url in desk.get(reverse("admin:club_client_change", args=[member.pk])).content.decode()

    response = desk.post(cancel_url, {"reason": "Back early"})

    assert response.status_code == 302
    hold.refresh_from_db()
    member.refresh_from_db()
    assert hold.cancelled_at is not None
    assert member.expiration_date == days(20)
    assert member.membership_events.first().kind == MembershipEventKind.HOLD_CANCELLED


def test_a_correction_needs_a_reason_and_is_kept_in_the_ledger(desk):
    member = ClientFactory(expiration_date=days(20))
    url = reverse("admin:club_client_correct", args=[member.pk])

    refused = desk.post(url, {"expiration_date": days(25).isoformat(), "reason": ""})
    assert "reason" in refused.context["form"].errors
    member.refresh_from_db()
    assert member.expiration_date == days(20)

    desk.post(url, {"expiration_date": days(25).isoformat(), "reason": "Typed the wrong day"})
    member.refresh_from_db()
    event = member.membership_events.first()
    assert (member.expiration_date, event.kind, event.reason, event.staff) == (
        days(25),
        MembershipEventKind.CORRECTION,
        "Typed the wrong day",
        desk.user,
    )


# ---- Payments: refund, receipt, no hand-made payments, cash-up ----------------------------------------
def test_a_refund_from_the_payment_page_takes_the_days_back_once(desk, premium):
    member = ClientFactory(expiration_date=days(10))
    sale = membership_sale(client=member, membership=premium, months=1, method="CASH", staff=desk.user)
    page = desk.get(reverse("admin:club_payment_change", args=[sale.pk])).content.decode()
    refund_url = reverse("admin:club_payment_refund", args=[sale.pk])
    assert refund_url in page
    assert reverse("payment-receipt", args=[sale.pk]) in page

    assert "reason" in desk.post(refund_url, {"reason": " "}).context["form"].errors
    response = desk.post(refund_url, {"reason": "Moved away"})

    assert response.status_code == 302
    sale.refresh_from_db()
    member.refresh_from_db()
    assert (sale.status, sale.refund_reason) == (PaymentStatus.REFUNDED, "Moved away")
    assert member.expiration_date == days(10)
    assert refund_url not in desk.get(reverse("admin:club_payment_change", args=[sale.pk])).content.decode()
    again = desk.post(refund_url, {"reason": "Twice"})
    assert "was already refunded" in again.content.decode()


def test_the_payment_list_shows_method_and_receipt_and_offers_no_hand_made_payment(desk, premium):
    member = ClientFactory(expiration_date=days(10))
    sale = membership_sale(client=member, membership=premium, months=1, method="CARD", staff=desk.user)

    html = desk.get(reverse("admin:club_payment_changelist")).content.decode()

    assert re.search(r'field-method">Card<', html)
    assert f"{sale.receipt_number} (PDF)" in html
    assert reverse("admin:club_payment_add") not in html
    assert desk.get(reverse("admin:club_payment_add")).status_code == 403
    form = desk.get(reverse("admin:club_payment_change", args=[sale.pk])).content.decode()
    assert 'name="amount"' not in form


def test_cash_up_shows_the_days_takings_by_method_and_staff_and_refunds(desk, premium):
    first = ClientFactory(expiration_date=days(10))
    second = ClientFactory(expiration_date=days(10))
    membership_sale(client=first, membership=premium, months=1, method="CASH", staff=desk.user, amount=Decimal("1000"))
    refunded = membership_sale(client=second, membership=premium, months=1, method="CARD", staff=desk.user)
    payment_refund(payment=refunded, reason="Mistake", staff=desk.user)
    listing = desk.get(reverse("admin:club_payment_changelist")).content.decode()
    assert reverse("admin:club_payment_cash_up") in listing

    body = text(desk.get(reverse("admin:club_payment_cash_up")).content.decode())

    assert "Taken: 2490.00 RUB in 2 payments. Refunded: 1490.00 RUB (1)." in body
    assert "Cash 1 1000.00" in body
    assert "Card 1 1490.00" in body
    assert "desk 2 2490.00" in body
    yesterday = text(desk.get(reverse("admin:club_payment_cash_up"), {"date": days(-1).isoformat()}).content.decode())
    assert "Taken: 0.00 RUB in 0 payments." in yesterday


# ---- Who may ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["new_member", "sell", "hold", "correct", "refund", "cash_up"],
)
def test_only_admins_reach_the_desk_pages(client, trainer, name):
    member = ClientFactory(expiration_date=days(10))
    payment = PaymentFactory(client=member, status=PaymentStatus.PAID)
    model = "payment" if name in ("refund", "cash_up") else "client"
    args = {"new_member": [], "cash_up": [], "refund": [payment.pk]}.get(name, [member.pk])
    url = reverse(f"admin:club_{model}_{name}", args=args)
    client.force_login(trainer)

    response = client.post(url, {"reason": "x", "months": "1", "method": "CASH"})

    # A trainer is not admin staff: the admin sends it to its login page, and nothing changed.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert Payment.objects.count() == 1


# ---- Search ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["+7 935 576-61-26", "89355766126", "9355766126", "8 (935) 576 61 26", "576-61"])
def test_the_admin_finds_a_client_by_phone_however_it_is_typed(desk, typed):
    ClientFactory(first_name="Olga", phone_number="+79355766126")
    ClientFactory(first_name="Boris", phone_number="+7 912 000-00-00")

    response = desk.get(reverse("admin:club_client_changelist"), {"q": typed})

    assert [client.first_name for client in response.context["cl"].result_list] == ["Olga"]
