"""Preparedness events, published only through publish_on_commit.

``drill.closed``: a drill's window closed (subject: the pk of the first incident filed in it, and
the drill as debriefs needs it: title, scenario, objectives, window, the incidents' pks). Debriefs
(a peer, which preparedness never imports) follows it with the drill's debrief (FOLLOW_UPS).

``briefing.action_decided``: a briefing's decision became a corrective action (payload: the decision,
what, owner, due date, the two organizations, the briefing's label, link and zone). Debriefs, which
keeps corrective actions, writes the action in the decision's transaction (FOLLOW_UPS, in_transaction)."""

from typing import Any

from portal.realtime import Event
from preparedness.models import Decision, Drill


def drill_facts(drill: Drill, incident_ids: list[int], real_references: list[str]) -> dict[str, Any]:
    return {
        "id": str(drill.public_id),
        "title": drill.title,
        "scenario": drill.get_scenario_display(),
        "site": drill.site.name,
        "objectives": drill.objectives,
        "starts_at": drill.starts_at.isoformat(),
        "ends_at": drill.ends_at.isoformat(),
        "incidents": incident_ids,
        "real_during": real_references,
    }


def drill_closed(drill: Drill, incident_ids: list[int], real_references: list[str]) -> Event:
    facts = drill_facts(drill, incident_ids, real_references)
    return Event(
        name="drill.closed",
        payload=facts,
        subject=(incident_ids[0] if incident_ids else None, facts),
    )


def action_decided(decision: Decision, *, by: int, label: str, path: str, time_zone: str) -> Event:
    if decision.owner_id is None or decision.due_date is None:
        raise ValueError("A decision becomes an action with an owner and a due date.")
    briefing = decision.briefing
    return Event(
        name="briefing.action_decided",
        payload={
            "decision": str(decision.public_id),
            "what": decision.text,
            "owner": decision.owner_id,
            "due_date": decision.due_date.isoformat(),
            "by": by,
            "provider": briefing.provider_id,
            "agency": briefing.agency_id,
            "label": label,
            "path": path,
            "time_zone": time_zone,
        },
    )
