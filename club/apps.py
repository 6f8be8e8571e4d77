from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClubConfig(AppConfig):
    name = "club"
    verbose_name = _("Club")

    def ready(self) -> None:
        # The API's drf-spectacular extensions (JWT scheme, strict request bodies) must be registered
        # before any schema is generated.
        from core import openapi  # noqa: F401
