from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ClubAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the club's site (core/admin.py): its titles, the club's apps listed first."""

    default = False  # listed by its path in INSTALLED_APPS; CoreConfig stays the app "core"'s config
    default_site = "core.admin.ClubAdminSite"


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        from core.observability import connect_celery_signals, mark_process_dead_on_exit

        connect_celery_signals()
        mark_process_dead_on_exit()
