"""The payment provider's HTTP API, as far as the club uses it: asking for a pay link.

Protocol (docs/api.md): `POST {PAYMENT_SERVICE_URL}/payments` with
`{"payment_id", "client_id", "amount", "description"}` answers 200/201 with
`{"reference": "<provider id>", "pay_url": "https://..."}`. The outcome arrives later as an event
on `payment_queue`.
"""

from dataclasses import dataclass

import httpx
from django.conf import settings

from club.models import Payment


class PaymentProviderError(Exception):
    """The provider could not be reached or answered something unusable."""


@dataclass(frozen=True)
class PayLink:
    reference: str
    pay_url: str


def request_pay_link(payment: Payment) -> PayLink:
    body = {
        "payment_id": payment.pk,
        "client_id": payment.client_id,
        "amount": str(payment.amount),
        "description": f"Membership #{payment.membership_id}",
    }
    url = settings.PAYMENT_SERVICE_URL.rstrip("/") + "/payments"
    try:
        response = httpx.post(url, json=body, timeout=settings.PAYMENT_SERVICE_TIMEOUT)
        response.raise_for_status()
        answer = response.json()
        return PayLink(reference=str(answer["reference"])[:100], pay_url=str(answer["pay_url"])[:500])
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
        raise PaymentProviderError(f"The payment provider did not give a pay link: {error}") from error
