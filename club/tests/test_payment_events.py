import contextlib
import datetime
import json

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from club.models import Payment
from club.payment_events import MalformedPaymentEvent, PaymentEvent, parse_payment_event
from club.services import payment_apply_event
from club.tests.factories import PaymentFactory

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
VALID = {"payment_id": 1, "client_id": 2, "status": "PAID", "timestamp": "2026-06-01T11:00:00+02:00"}


def parse(body: dict | bytes) -> PaymentEvent:
    return parse_payment_event(body if isinstance(body, bytes) else json.dumps(body).encode(), now=NOW)


def test_a_valid_event_is_parsed_with_its_timestamp_in_utc():
    assert parse(VALID) == PaymentEvent(1, 2, "PAID", datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC))


@pytest.mark.parametrize(
    ("timestamp", "accepted"),
    [
        ("2026-05-02T12:00:00+00:00", True),  # 30 days back: the edge of PAYMENT_EVENT_MAX_AGE
        ("2026-05-02T11:59:59+00:00", False),
        ("2026-06-02T12:00:00+00:00", True),  # 24 hours ahead: the edge of PAYMENT_EVENT_MAX_AHEAD
        ("2026-06-02T12:00:01+00:00", False),
        ("0001-01-01T00:00:00+14:00", False),  # year 0 in UTC: not even a Python datetime
        ("0001-01-01T00:00:00+00:00", False),
        ("9999-12-31T23:59:59-14:00", False),  # year 10000 in UTC
        ("9999-12-31T23:59:59+00:00", False),
    ],
)
def test_the_timestamp_must_lie_within_the_window_around_now(timestamp, accepted):
    body = {**VALID, "timestamp": timestamp}
    if accepted:
        assert parse(body).timestamp == datetime.datetime.fromisoformat(timestamp)
    else:
        with pytest.raises(MalformedPaymentEvent, match=r"out of range|is outside"):
            parse(body)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({**VALID, "amount": "0.01"}, "unknown field(s): 'amount'."),
        ({**VALID, "amount": 1, "currency": "EUR"}, "unknown field(s): 'amount', 'currency'."),
        ({key: value for key, value in VALID.items() if key != "client_id"}, "missing field(s): client_id."),
        (b'{"payment_id": 1, "payment_id": 2}', "a JSON object repeats a key."),
        (b'{"payment_id": Infinity}', "Infinity is not JSON."),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON: nested too deep."),
        (json.dumps(VALID).encode("utf-16"), "the body is not UTF-8"),
        (b"\xef\xbb\xbf" + json.dumps(VALID).encode(), "not JSON: Unexpected UTF-8 BOM"),
        ({**VALID, "timestamp": 1780000000}, "timestamp must be an ISO 8601 date-time."),
        ({**VALID, "timestamp": "2026-06-01T11:00:00"}, "timestamp must carry a UTC offset."),
    ],
)
def test_malformed_bodies_are_refused_with_the_reason(body, reason):
    with pytest.raises(MalformedPaymentEvent) as error:
        parse(body)
    assert str(error.value).startswith(reason)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(["payment_id", "client_id", "status", "timestamp"]),
    value=json_values | st.datetimes(timezones=st.timezones()).map(datetime.datetime.isoformat),
)
def test_any_field_value_is_either_a_valid_event_or_malformed_never_another_error(field, value):
    try:
        event = parse({**VALID, field: value})
    except MalformedPaymentEvent:
        return
    assert NOW - datetime.timedelta(days=30) <= event.timestamp <= NOW + datetime.timedelta(days=1)


@hypothesis_settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")))
def test_any_body_is_either_a_valid_event_or_malformed_never_another_error(raw):
    with contextlib.suppress(MalformedPaymentEvent):
        parse(raw)


# (payment status, event status) -> does the event move the payment? Every pair, spelled out.
MOVES = {
    ("PENDING", "PENDING"): False,
    ("PENDING", "PAID"): True,
    ("PENDING", "FAILED"): True,
    ("PENDING", "EXPIRED"): True,
    ("PENDING", "CANCELLED"): True,
    ("FAILED", "PENDING"): False,  # a late PENDING must not take a failed payment back
    ("FAILED", "FAILED"): False,
    ("FAILED", "PAID"): True,  # the provider's retry went through
    ("FAILED", "EXPIRED"): True,
    ("FAILED", "CANCELLED"): True,
    ("PAID", "PENDING"): False,
    ("PAID", "FAILED"): False,
    ("PAID", "PAID"): False,
    ("PAID", "EXPIRED"): False,
    ("PAID", "CANCELLED"): False,
    ("EXPIRED", "PENDING"): False,
    ("EXPIRED", "PAID"): False,
    ("EXPIRED", "FAILED"): False,
    ("EXPIRED", "EXPIRED"): False,
    ("EXPIRED", "CANCELLED"): False,
    ("CANCELLED", "PENDING"): False,
    ("CANCELLED", "PAID"): False,
    ("CANCELLED", "FAILED"): False,
    ("CANCELLED", "EXPIRED"): False,
    ("CANCELLED", "CANCELLED"): False,
}


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(("current", "incoming"), list(MOVES))
def test_an_event_moves_a_payment_only_along_the_allowed_transitions(current, incoming):
    payment = PaymentFactory(status=current)
    event = PaymentEvent(payment.pk, payment.client_id, incoming, timezone.now())

    applied = payment_apply_event(event=event)

    expected = incoming if MOVES[current, incoming] else current
    assert (applied, Payment.objects.get(pk=payment.pk).status) == (MOVES[current, incoming], expected)
