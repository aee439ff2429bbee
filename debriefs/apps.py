from django.apps import AppConfig


class DebriefsConfig(AppConfig):
    """After-action reports. An app of its own (DESIGN.md lists debriefs under incidents) because a
    debrief reads the incident, its escalations and its notifications: it sits above all three."""

    name = "debriefs"
    verbose_name = "Debriefs"
