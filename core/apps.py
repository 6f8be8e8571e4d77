from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        from core.observability import connect_celery_signals, mark_process_dead_on_exit

        connect_celery_signals()
        mark_process_dead_on_exit()
