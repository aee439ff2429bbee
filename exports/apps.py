from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """Signed evidence bundles for a police case file. It bundles what incidents, dispatch and debriefs
    hold, so it stands above them all (rank 6 in docs/architecture.md)."""

    name = "exports"
    verbose_name = "Exports"
