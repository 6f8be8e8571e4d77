from django.apps import AppConfig


class ClubConfig(AppConfig):
    name = "club"

    def ready(self) -> None:
        # The API's drf-spectacular extensions (JWT scheme, strict request bodies) must be registered
        # before any schema is generated.
        from core import openapi  # noqa: F401
