"""RuleCheck: that a submitted report's site rule ran. Every report submitted before it existed had
its rule applied in the submitting request, so each is recorded as checked when it was submitted:
the rules' sweep must not apply today's rule to yesterday's reports."""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 2_000


def record_submitted_reports(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    RuleCheck = apps.get_model("dispatch", "RuleCheck")
    submitted = Incident.objects.filter(submitted_at__isnull=False).values_list("pk", "submitted_at")
    batch = []
    for incident_id, submitted_at in submitted.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(RuleCheck(incident_id=incident_id, checked_at=submitted_at))
        if len(batch) == BATCH:
            RuleCheck.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    RuleCheck.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0002_backfill_incident_shares"),
        ("incidents", "0004_incident_share"),
    ]

    operations = [
        migrations.CreateModel(
            name="RuleCheck",
            fields=[
                (
                    "incident",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="rule_check",
                        serialize=False,
                        to="incidents.incident",
                    ),
                ),
                ("checked_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(record_submitted_reports, migrations.RunPython.noop),
    ]
