from django.apps import AppConfig


class PreparednessConfig(AppConfig):
    """What guards and police do before anything happens: post orders and emergency response plans,
    drills, joint briefings and community events."""

    name = "preparedness"
    verbose_name = "Preparedness"

    def ready(self) -> None:
        from preparedness import receivers  # noqa: F401  (the sign-in hook of acknowledgements)
