"""Joint patrols: a tour planned with the site's partnering agency. Its liaisons follow it live, and
anything the guard reports while it runs is escalated to that agency at once."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Site, User
from audit import services as audit
from dispatch.models import Escalation
from dispatch.services.lifecycle import open_escalation
from incidents.models import Incident
from notifications.selectors import list_provider_responders
from patrols import events, policy
from patrols.models import Shift, Tour
from patrols.services.common import alert
from portal.realtime import publish_on_commit


def joint_tour_of(shift: Shift) -> Tour | None:
    """The shift's running joint patrol (an active joint tour of its site), or None."""
    if shift.site.agency_id is None:
        return None
    return Tour.objects.filter(site_id=shift.site_id, agency_id=shift.site.agency_id, is_active=True).first()


def announce_joint_patrol(*, shift: Shift, cause: str) -> None:
    """Tell the agency's joint-patrol sockets, once the change commits, that the shift's joint
    patrol moved (nothing when the shift walks none)."""
    tour = joint_tour_of(shift)
    if tour is not None:
        publish_on_commit(events.joint_patrol_changed(shift=shift, tour=tour, cause=cause))


@transaction.atomic
def escalate_joint_patrol_report(*, incident_id: int) -> Escalation | None:
    """A report filed during a joint patrol goes to the patrol's agency at once (``incident.submitted``'s
    follow-up). Idempotent: never an incident already escalated, or once escalated by a rule or panic."""
    incident = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("site", "reporter", "category")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None or incident.status in (Incident.Status.DRAFT, Incident.Status.CLOSED):
        return None
    shift = (
        Shift.objects.select_related("site")
        .filter(guard_id=incident.reporter_id, started_at__lte=incident.received_at)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=incident.received_at))
        .first()
    )
    tour = joint_tour_of(shift) if shift is not None else None
    # The patrol reports from anywhere on its area: its own site or another site it covers.
    if tour is None or incident.site_id not in {found.pk for found in tour.area}:
        return None
    escalated = incident.escalations.filter(
        Q(status__in=Escalation.OPEN) | Q(source__in=[Escalation.Source.RULE, Escalation.Source.PANIC])
    ).exists()
    if escalated:
        return None
    reporter: User = incident.reporter
    return open_escalation(
        incident,
        by=reporter,
        source=Escalation.Source.RULE,
        reason=f"Joint patrol {tour.name} with {tour.agency}: reported during the patrol",
    )


@transaction.atomic
def ask_for_joint_patrol(*, site: Site, by: User, reason: str = "") -> int:
    """The partnering agency asks the site's provider for a (targeted) joint patrol there: its
    supervisors are alerted (in-app, email and their channels), once per asker, site and day.
    Returns how many messages were queued."""
    if not policy.joint_partner_sites(by).filter(pk=site.pk).exists():
        raise ValidationError({"site": "Choose a site partnered with your agency."})
    reason = reason.strip()[:500]
    day = timezone.localdate(timezone.now(), site.zone)
    agency = site.agency
    title = f"{agency} asks for a joint patrol at {site.name}"
    text = (
        f"{by} ({agency}) asks for a joint patrol at {site.name}"
        + (f": {reason}" if reason else ".")
        + " Plan it on the site's patrol page (a joint patrol with the agency, its officers named)."
    )
    queued = alert(
        users=list_provider_responders(provider_id=site.provider_id).people,
        key=f"patrol-ask:{site.pk}:{by.pk}:{day.isoformat()}",
        title=title,
        text=text,
        path=f"/patrols/sites/{site.pk}/",
    )
    if not queued:
        raise ValidationError(f"You already asked for a joint patrol at {site.name} today.")
    audit.record(action="joint_patrol.asked", actor=by, obj=site, reason=reason)
    return queued
