"""The PDF receipt of a payment taken at the desk (GET /api/payments/{id}/receipt/)."""

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import matplotlib
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from club.models import MembershipEventKind, Payment, PaymentMethod, PaymentStatus

# Built-in Helvetica has no Cyrillic: members' names are printed with DejaVu Sans (shipped with matplotlib).
FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"


@cache
def _register_fonts() -> None:
    directory = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name in (FONT, BOLD):
        pdfmetrics.registerFont(TTFont(name, directory / f"{name}.ttf"))


@dataclass(frozen=True)
class Receipt:
    number: str
    paid_at: datetime.datetime
    member: str
    membership: str
    period: tuple[datetime.date, datetime.date] | None
    amount: Decimal
    currency: str
    method: str
    taken_by: str
    refunded: bool


def receipt_for(payment: Payment) -> Receipt:
    """What the receipt says; the period is what the payment's SALE/PAYMENT event added."""
    event = payment.membership_events.filter(kind__in=[MembershipEventKind.SALE, MembershipEventKind.PAYMENT]).first()
    period = None
    if event is not None and event.expiration_after is not None:
        paid_on = timezone.localdate(payment.paid_at)
        starts = (
            paid_on
            if event.expiration_before is None
            else max(paid_on, event.expiration_before + datetime.timedelta(days=1))
        )
        period = (starts, event.expiration_after)
    staff = payment.staff
    return Receipt(
        number=payment.receipt_number or "",
        paid_at=timezone.localtime(payment.paid_at),
        member=payment.client.full_name,
        membership=str(payment.membership),
        period=period,
        amount=payment.amount,
        currency=settings.CLUB_CURRENCY,
        method=str(PaymentMethod(payment.method or PaymentMethod.PROVIDER).label),
        taken_by=staff.username if staff is not None else "—",
        refunded=payment.status == PaymentStatus.REFUNDED,
    )


def render_receipt_pdf(receipt: Receipt) -> bytes:
    _register_fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A5, pageCompression=1)
    title = _("Receipt %(number)s") % {"number": receipt.number}
    pdf.setTitle(title)
    width, height = A5
    y = height - 2 * cm
    pdf.setFont(BOLD, 16)
    pdf.drawString(1.5 * cm, y, title)
    if receipt.refunded:
        pdf.setFillColorRGB(0.7, 0.1, 0.1)
        pdf.drawRightString(width - 1.5 * cm, y, _("REFUNDED"))
        pdf.setFillColorRGB(0, 0, 0)
    y -= 1.2 * cm
    period = (
        f"{formats.date_format(receipt.period[0])} – {formats.date_format(receipt.period[1])}"
        if receipt.period
        else "—"
    )
    amount = _("Amount")
    rows = [
        (_("Date"), formats.date_format(receipt.paid_at, "DATETIME_FORMAT")),
        (_("Member"), receipt.member),
        (_("Membership"), receipt.membership),
        (_("Period"), period),
        (amount, f"{receipt.amount} {receipt.currency}"),
        (_("Paid by"), receipt.method),
        (_("Taken by"), receipt.taken_by),
    ]
    for label, value in rows:
        pdf.setFont(FONT, 9)
        pdf.drawString(1.5 * cm, y, label)
        pdf.setFont(BOLD if label == amount else FONT, 11)
        pdf.drawString(4.5 * cm, y, value)
        y -= 0.8 * cm
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
