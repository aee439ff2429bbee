from accounts.models import Organization
from incidents.models import Incident, IncidentShare


def share_incident(*, incident: Incident, agency: Organization) -> IncidentShare:
    """Let an agency's people see the incident (call inside the transaction that shares it); idempotent."""
    share, _created = IncidentShare.objects.get_or_create(incident=incident, agency=agency)
    return share
