import stat
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.checks import jwt_keys_check, telegram_check
from accounts.jwt import thumbprint
from accounts.models import ChallengePurpose, TelegramChallenge
from accounts.tasks import flush_expired_tokens
from accounts.tests.keys import new_key_pair


@pytest.fixture
def key_paths(settings, tmp_path):
    settings.JWT_PRIVATE_KEY_PATH = tmp_path / "keys" / "jwt_private.pem"
    settings.JWT_PUBLIC_KEY_PATH = tmp_path / "keys" / "jwt_public.pem"
    return settings.JWT_PRIVATE_KEY_PATH, settings.JWT_PUBLIC_KEY_PATH


def kid_of(public_path) -> str:
    return thumbprint(serialization.load_pem_public_key(public_path.read_bytes()))


def test_generate_jwt_keys_writes_a_private_key_only_its_owner_can_read(key_paths, capsys):
    private_path, public_path = key_paths

    call_command("generate_jwt_keys", "--bits", "2048")

    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert f"kid {kid_of(public_path)}" in capsys.readouterr().out


def test_generate_jwt_keys_keeps_an_existing_pair_unless_told(key_paths):
    private_path, _ = key_paths
    call_command("generate_jwt_keys", "--bits", "2048")
    before = private_path.read_bytes()

    call_command("generate_jwt_keys", "--if-missing")
    with pytest.raises(CommandError, match="--rotate"):
        call_command("generate_jwt_keys")

    assert private_path.read_bytes() == before


def test_rotating_keeps_the_old_public_key_for_jwt_extra_public_key_paths(key_paths, capsys):
    _, public_path = key_paths
    call_command("generate_jwt_keys", "--bits", "2048")
    old_kid = kid_of(public_path)

    call_command("generate_jwt_keys", "--rotate", "--bits", "2048")

    [retired] = public_path.parent.glob("*.retired.pem")
    assert kid_of(retired) == old_kid != kid_of(public_path)
    assert "JWT_EXTRA_PUBLIC_KEY_PATHS" in capsys.readouterr().out


def test_the_system_check_warns_about_missing_or_mismatched_keys(settings):
    _, foreign_public = new_key_pair()

    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "VERIFYING_KEY": foreign_public}
    assert [message.id for message in jwt_keys_check(None)] == ["accounts.W002"]
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": ""}
    assert [message.id for message in jwt_keys_check(None)] == ["accounts.W001"]
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": "not a pem"}
    assert [message.id for message in jwt_keys_check(None)] == ["accounts.E001"]


def test_the_system_check_warns_about_a_bot_that_cannot_confirm_logins(settings):
    settings.TELEGRAM_BOT_TOKEN = "1:token"
    settings.TELEGRAM_BOT_USERNAME = "club_bot"
    settings.TELEGRAM_WEBHOOK_SECRET = ""

    [warning] = telegram_check(None)

    assert warning.id == "accounts.W003"
    assert "TELEGRAM_WEBHOOK_SECRET" in warning.msg
    settings.TELEGRAM_WEBHOOK_SECRET = "secret"
    assert telegram_check(None) == []


@pytest.mark.django_db
def test_the_periodic_cleanup_drops_only_expired_tokens_and_stale_challenges(client_user):
    live = RefreshToken.for_user(client_user)
    expired = RefreshToken.for_user(client_user)
    expired.blacklist()
    OutstandingToken.objects.filter(jti=expired["jti"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    long_ago = timezone.now() - timedelta(days=2)
    TelegramChallenge.objects.create(
        user=client_user, purpose=ChallengePurpose.LINK, nonce_digest="a" * 64, expires_at=long_ago
    )
    pending = TelegramChallenge.objects.create(
        user=client_user,
        purpose=ChallengePurpose.LINK,
        nonce_digest="b" * 64,
        expires_at=timezone.now() + timedelta(minutes=5),
    )

    assert flush_expired_tokens() == 3  # the outstanding token, its blacklist row, the stale challenge

    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live["jti"]]
    assert not BlacklistedToken.objects.exists()
    assert list(TelegramChallenge.objects.all()) == [pending]


def test_the_cleanup_is_scheduled_daily_in_celery_beat():
    from config.celery import app

    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["flush-expired-tokens"]

    assert entry["task"] == "accounts.tasks.flush_expired_tokens"
    assert entry["task"] in app.tasks
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {15})
