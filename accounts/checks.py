from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from accounts.jwt import current_keyring, thumbprint


@register()
def jwt_keys_check(app_configs, **kwargs):
    try:
        keyring = current_keyring()
    except (ValueError, TypeError, ImproperlyConfigured) as error:
        return [Error(f"The JWT keys cannot be used: {error}", id="accounts.E001")]
    if keyring.signing_key is None:
        # A warning, not an error: `make run` migrates before it creates the keys.
        return [Warning("No JWT signing key.", hint="Run `python manage.py generate_jwt_keys`.", id="accounts.W001")]
    public_pem = settings.SIMPLE_JWT.get("VERIFYING_KEY")
    if public_pem and thumbprint(serialization.load_pem_public_key(public_pem.encode())) != keyring.signing_kid:
        return [
            Warning(
                "JWT_PUBLIC_KEY_PATH holds a key of another pair than JWT_PRIVATE_KEY_PATH.",
                hint="Both files must come from one `generate_jwt_keys` run; list retired public keys in "
                "JWT_EXTRA_PUBLIC_KEY_PATHS instead.",
                id="accounts.W002",
            )
        ]
    return []


@register()
def telegram_check(app_configs, **kwargs):
    if not settings.TELEGRAM_BOT_TOKEN:
        return []
    missing = [name for name in ("TELEGRAM_BOT_USERNAME", "TELEGRAM_WEBHOOK_SECRET") if not getattr(settings, name)]
    if not missing:
        return []
    message = f"TELEGRAM_BOT_TOKEN is set but {', '.join(missing)} is not: linked accounts cannot confirm logins."
    return [Warning(message, id="accounts.W003")]
