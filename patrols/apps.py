from django.apps import AppConfig


class PatrolsConfig(AppConfig):
    """Guard operations: shifts, checkpoints and tours, lone-worker check-ins, daily activity reports."""

    name = "patrols"
    verbose_name = "Patrols"

    def ready(self) -> None:
        # The report form (incidents, below patrols) asks portal.duty for the site of the guard's
        # open shift; patrols answers it without incidents importing patrols.
        from patrols import duty  # noqa: F401
