from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The top of the layering (docs/architecture.md): pages that combine several apps, and the demo club."""

    name = "dashboard"
