"""Tenant first: every escalation carries its incident's provider, filled here for the rows that
exist; each side's history is indexed newest first within its tenant; on PostgreSQL a foreign key
on (incident, provider) to the incident's (id, provider) holds them equal."""

import django.db.models.deletion
from django.db import migrations, models

FILL = (
    "UPDATE dispatch_escalation SET provider_id = "
    "(SELECT provider_id FROM incidents_incident WHERE incidents_incident.id = dispatch_escalation.incident_id)"
)
INCIDENT_KEY = "CREATE UNIQUE INDEX IF NOT EXISTS incident_id_provider ON incidents_incident (id, provider_id)"
SAME_PROVIDER = (
    "ALTER TABLE dispatch_escalation ADD CONSTRAINT escalation_provider_is_incident_provider "
    "FOREIGN KEY (incident_id, provider_id) REFERENCES incidents_incident (id, provider_id) "
    "DEFERRABLE INITIALLY DEFERRED"
)


def fill_provider(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Check the new foreign key now: the NOT NULL that follows may not alter a table with
        # checks still pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute(FILL)


def add_same_provider(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INCIDENT_KEY)
        schema_editor.execute(SAME_PROVIDER)


def drop_same_provider(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE dispatch_escalation DROP CONSTRAINT IF EXISTS escalation_provider_is_incident_provider"
        )
        schema_editor.execute("DROP INDEX IF EXISTS incident_id_provider")


def _provider(**extra):
    return models.ForeignKey(
        editable=False,
        db_index=False,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="accounts.organization",
        **extra,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_site_outline"),
        ("incidents", "0009_search_vector_and_exact_keys"),
        ("dispatch", "0004_board_preference_read"),
    ]

    operations = [
        migrations.AddField(model_name="escalation", name="provider", field=_provider(null=True)),
        migrations.RunPython(fill_provider, migrations.RunPython.noop),
        migrations.AlterField(model_name="escalation", name="provider", field=_provider()),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(fields=["agency", "-requested_at", "-id"], name="escalation_agency_requested"),
        ),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(fields=["provider", "-requested_at", "-id"], name="escalation_provider_requested"),
        ),
        migrations.RunPython(add_same_provider, drop_same_provider),
    ]
