from accounts.models import Organization
from incidents.models import Incident, IncidentShare


def share_incident(*, incident: Incident, agency: Organization) -> None:
    """Let an agency's people see the incident (inside the transaction that shares it); idempotent."""
    # One INSERT that skips an existing share: no read first, no savepoint, no race between two shares.
    share = IncidentShare(incident=incident, agency=agency)
    IncidentShare.objects.bulk_create([share], ignore_conflicts=True)
