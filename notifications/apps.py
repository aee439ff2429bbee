from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Register the Celery tasks in every process (web too), so that eager mode runs them and the
        # services can queue them by name without importing the task module.
        from notifications import tasks  # noqa: F401
