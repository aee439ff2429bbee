from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Aggregates both partners act on. Reads only: every figure comes from a selector scoped by
    the policy of the app that owns the rows (incidents' for incidents)."""

    name = "analytics"
    verbose_name = "Analytics"
