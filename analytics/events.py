from analytics.models import PartnershipReport
from portal.realtime import Event


def partnership_report_requested(report: PartnershipReport) -> Event:
    """``partnership_report.requested``: a worker builds the scorecard's PDF (and, for the monthly
    report, sends it to both organizations' admins)."""
    return Event(
        name="partnership_report.requested",
        payload={"id": str(report.public_id), "status": report.status},
        subject=(report.pk,),
    )
