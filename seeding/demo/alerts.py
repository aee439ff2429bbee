"""Demo data for who is told what (docs/notifications.md): a question to a guard waiting in their
inbox, and a corrective action falling due tomorrow (its owner is reminded at the first beat run of
`make run`). Through the real services; safe to run again."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from debriefs import services as debrief_services
from incidents import services as incident_services
from incidents.models import Incident

QUESTION = "Was anyone seen near the stairwell? Add the CCTV camera number if you have it."


def seed_alerts() -> int:
    """Returns how many demo items were added this time."""
    added = 0
    supervisor = User.objects.get(email="supervisor@harbor.example")
    vandalism = Incident.objects.filter(
        reporter__email="guard@harbor.example", category__code="vandalism"
    ).first()
    if vandalism is not None and vandalism.status == Incident.Status.SUBMITTED:
        incident_services.request_more_information(incident=vandalism, by=supervisor, comment=QUESTION)
        added += 1
    hazard = Incident.objects.filter(
        reporter__email="guard@sentinel.example", category__code="hazard", status=Incident.Status.CLOSED
    ).first()
    if hazard is not None and not hazard.corrective_actions.exists():
        tomorrow = timezone.localdate(timezone.now(), hazard.site.zone) + timedelta(days=1)
        debrief_services.add_corrective_action(
            incident=hazard,
            by=User.objects.get(email="supervisor@sentinel.example"),
            what="Have the lobby ceiling inspected for further leaks.",
            owner=User.objects.get(email="guard@sentinel.example"),
            due_date=tomorrow,
        )
        added += 1
    return added
