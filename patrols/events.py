"""Patrol events: the daily activity report's build and its sends are Celery follow-ups
(FOLLOW_UPS in portal/celery.py); a running joint patrol's changes go to its agency's joint-patrol
sockets (``/ws/patrols/joint/``), and what the provider's patrol board shows to its board sockets
(``/ws/patrols/board/``); both pages fetch their panel again under the policy."""

from patrols.models import DailyReport, ReportSend, Shift, Tour
from portal.realtime import Event


class JointCause:
    """What moved a joint patrol (the ``cause`` of ``joint_patrol.changed``)."""

    STARTED = "shift.started"
    ENDED = "shift.ended"
    SCANNED = "checkpoint.scanned"
    MISSED = "round.missed"


def board_group(provider_id: int) -> str:
    """The patrol-board sockets of one provider's supervisors and org admins."""
    return f"patrols.board.{provider_id}"


def patrol_board_changed(*, site_id: int, provider_id: int, cause: str) -> Event:
    """``patrol_board.changed``: something the provider's patrol board shows moved at one of its
    sites (a shift, a scan, a check-in, an alert, a round, a report); the board fetches its panel."""
    return Event(
        name="patrol_board.changed",
        payload={"site": site_id, "cause": cause},
        groups=(board_group(provider_id),),
        subject=(site_id,),
    )


def joint_group(agency_id: int) -> str:
    """The joint-patrol sockets of one agency's people."""
    return f"patrols.joint.{agency_id}"


def joint_patrol_changed(*, shift: Shift, tour: Tour, cause: str) -> Event:
    """``joint_patrol.changed``: a joint patrol started, ended, scanned a checkpoint or missed a round.
    Only its agency's group hears it; the payload names the patrol, the page fetches the rest."""
    assert tour.agency_id is not None
    return Event(
        name="joint_patrol.changed",
        payload={
            "shift": str(shift.public_id),
            "tour": str(tour.public_id),
            "site": shift.site.name,
            "cause": cause,
        },
        groups=(joint_group(tour.agency_id),),
        subject=(shift.pk,),
    )


def report_requested(report: DailyReport) -> Event:
    """``daily_report.requested``: a worker builds the report (HTML and PDF)."""
    return Event(
        name="daily_report.requested",
        payload={"id": str(report.public_id), "status": report.status},
        subject=(report.pk,),
    )


def report_send_requested(send: ReportSend) -> Event:
    """``daily_report.send_requested``: a worker emails the PDF to one client contact."""
    return Event(name="daily_report.send_requested", payload={"id": send.pk}, subject=(send.pk,))
