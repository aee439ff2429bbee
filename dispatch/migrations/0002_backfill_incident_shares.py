"""Record on the incident side every agency an incident was escalated to (incidents.IncidentShare):
the agency's visibility reads the shares, so an incident stays visible to every agency it was
escalated to before the table existed. Here, not in incidents, so incidents' migrations never
depend on dispatch."""

from django.db import migrations
from django.db.models import Min

BATCH = 2_000


def backfill_incident_shares(apps, schema_editor):
    Escalation = apps.get_model("dispatch", "Escalation")
    IncidentShare = apps.get_model("incidents", "IncidentShare")
    pairs = (
        Escalation.objects.values("incident_id", "agency_id")
        .annotate(first=Min("requested_at"))
        .order_by("incident_id", "agency_id")
    )
    batch = []
    for pair in pairs.iterator(chunk_size=BATCH):
        batch.append(
            IncidentShare(incident_id=pair["incident_id"], agency_id=pair["agency_id"], created_at=pair["first"])
        )
        if len(batch) == BATCH:
            IncidentShare.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    IncidentShare.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("dispatch", "0001_initial"),
        ("incidents", "0004_incident_share"),
    ]

    # Unapplied, the shares stay: they are the incidents' own record, dropped with their table.
    operations = [migrations.RunPython(backfill_incident_shares, migrations.RunPython.noop)]
