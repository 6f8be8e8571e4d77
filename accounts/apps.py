from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from rest_framework_simplejwt import state

        from accounts import checks  # noqa: F401  (registers the system checks)
        from accounts.jwt import KeyringTokenBackend

        # simplejwt's tokens look their backend up here on every use: with ours in place, tokens made
        # anywhere (serializers, the WebSocket middleware, tests) carry a `kid` and verify on the ring.
        state.token_backend = KeyringTokenBackend()
