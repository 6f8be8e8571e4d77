from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import pytest

from accounts.telegram import TelegramAuthError, verify_login_widget, verify_webapp_init_data
from accounts.tests.signing import BOT_TOKEN, init_data, now, sign_init_data, sign_widget, widget_fields

MAX_AGE = 86400


def as_strings(fields: dict) -> dict[str, str]:
    return {name: str(value) for name, value in fields.items()}


def check_widget(fields: dict, **kwargs):
    return verify_login_widget(as_strings(fields), bot_token=BOT_TOKEN, max_age=MAX_AGE, **kwargs)


def check_webapp(data: str, **kwargs):
    return verify_webapp_init_data(data, bot_token=BOT_TOKEN, max_age=MAX_AGE, **kwargs)


def test_widget_data_signed_by_telegram_is_accepted():
    identity = check_widget(widget_fields(4242, last_name="Petrova", photo_url="https://t.me/i/a.jpg"))

    assert (identity.id, identity.username, identity.first_name, identity.last_name) == (
        4242,
        "anna_tg",
        "Anna",
        "Petrova",
    )


def test_widget_data_with_a_changed_field_is_refused():
    fields = widget_fields(4242)
    fields["id"] = 4243

    with pytest.raises(TelegramAuthError, match="signature is invalid"):
        check_widget(fields)


def test_widget_data_signed_with_another_bot_token_is_refused():
    with pytest.raises(TelegramAuthError, match="signature is invalid"):
        check_widget(widget_fields(4242, bot_token="999:another-bot"))


def test_widget_data_signed_the_mini_app_way_is_refused():
    # Same fields, the other algorithm's key: the two schemes must not be interchangeable.
    webapp_signed = dict(parse_qsl(init_data(4242)))

    with pytest.raises(TelegramAuthError, match="signature is invalid"):
        check_widget(webapp_signed)


@pytest.mark.parametrize("missing", ["hash", "auth_date"])
def test_widget_data_missing_a_field_is_refused(missing):
    fields = widget_fields(4242)
    del fields[missing]

    with pytest.raises(TelegramAuthError, match=f"missing: {missing}"):
        check_widget(fields)


def test_widget_data_without_id_is_refused_even_when_signed():
    with pytest.raises(TelegramAuthError, match="user id"):
        check_widget(sign_widget({"first_name": "Anna", "auth_date": now()}))


def test_widget_data_older_than_the_max_age_is_refused():
    with pytest.raises(TelegramAuthError, match="expired"):
        check_widget(widget_fields(4242, auth_date=now() - MAX_AGE - 5))


def test_widget_data_dated_in_the_future_is_refused():
    with pytest.raises(TelegramAuthError, match="future"):
        check_widget(widget_fields(4242, auth_date=now() + 3600))


def test_widget_freshness_is_measured_against_the_given_clock():
    signed_at = 1_700_000_000
    fields = widget_fields(4242, auth_date=signed_at)

    assert check_widget(fields, now=datetime.fromtimestamp(signed_at + 60, tz=UTC)).id == 4242
    with pytest.raises(TelegramAuthError, match="expired"):
        check_widget(fields, now=datetime.fromtimestamp(signed_at + MAX_AGE + 1, tz=UTC))


@pytest.mark.parametrize("bad_hash", ["", "00" * 32, "ä" * 64, "A" * 64])
def test_widget_hash_that_does_not_match_is_refused_without_crashing(bad_hash):
    fields = {**widget_fields(4242), "hash": bad_hash}

    with pytest.raises(TelegramAuthError):
        check_widget(fields)


def test_mini_app_init_data_signed_by_telegram_is_accepted():
    identity = check_webapp(init_data(777))

    assert (identity.id, identity.username) == (777, "anna_tg")


def test_mini_app_init_data_signed_the_widget_way_is_refused():
    fields = widget_fields(777)
    fields["user"] = '{"id":777}'

    with pytest.raises(TelegramAuthError):
        check_webapp(urlencode(as_strings(fields)))


def test_mini_app_init_data_with_a_changed_user_is_refused():
    tampered = init_data(777).replace("777", "778")

    with pytest.raises(TelegramAuthError, match="signature is invalid"):
        check_webapp(tampered)


def test_mini_app_init_data_that_is_stale_or_from_the_future_is_refused():
    with pytest.raises(TelegramAuthError, match="expired"):
        check_webapp(init_data(777, auth_date=now() - MAX_AGE - 5))
    with pytest.raises(TelegramAuthError, match="future"):
        check_webapp(init_data(777, auth_date=now() + 3600))


@pytest.mark.parametrize("garbage", ["", "not a query string", "hash", "a=1&a=2&hash=x"])
def test_mini_app_garbage_is_refused(garbage):
    with pytest.raises(TelegramAuthError):
        check_webapp(garbage)


def test_mini_app_init_data_without_a_user_is_refused_even_when_signed():
    with pytest.raises(TelegramAuthError, match="no Telegram user"):
        check_webapp(sign_init_data({"query_id": "AAH", "auth_date": str(now())}))


def test_mini_app_user_with_a_non_numeric_id_is_refused_even_when_signed():
    signed = sign_init_data({"user": '{"id":"abc"}', "auth_date": str(now())})

    with pytest.raises(TelegramAuthError, match="user id"):
        check_webapp(signed)
