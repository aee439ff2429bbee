"""Tenant first: every incident carries its owning provider (its site's), filled here for the rows
that exist, indexed in the lists' order, and held equal to the site's provider on PostgreSQL by a
foreign key on (site, provider) to the site's (id, provider)."""

import django.db.models.deletion
from django.db import migrations, models

FILL = (
    "UPDATE incidents_incident SET provider_id = "
    "(SELECT provider_id FROM accounts_site WHERE accounts_site.id = incidents_incident.site_id)"
)
# The site's (id, provider_id) is unique because id is: the index only lets the pair be referenced.
SITE_KEY = "CREATE UNIQUE INDEX IF NOT EXISTS site_id_provider ON accounts_site (id, provider_id)"
SAME_PROVIDER = (
    "ALTER TABLE incidents_incident ADD CONSTRAINT incident_provider_is_site_provider "
    "FOREIGN KEY (site_id, provider_id) REFERENCES accounts_site (id, provider_id) "
    "DEFERRABLE INITIALLY DEFERRED"
)


def fill_provider(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Check the new foreign key now, not at commit: the NOT NULL that follows may not alter a
        # table with checks still pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute(FILL)


def add_same_provider(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SITE_KEY)
        schema_editor.execute(SAME_PROVIDER)


def drop_same_provider(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE incidents_incident DROP CONSTRAINT IF EXISTS incident_provider_is_site_provider"
        )
        schema_editor.execute("DROP INDEX IF EXISTS site_id_provider")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_site_outline"),
        ("incidents", "0007_evidence_thumbnail_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="provider",
            field=models.ForeignKey(
                null=True,
                editable=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organization",
            ),
        ),
        migrations.RunPython(fill_provider, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="incident",
            name="provider",
            field=models.ForeignKey(
                editable=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organization",
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["provider", "-received_at", "-id"], name="incident_provider_received"),
        ),
        migrations.RunPython(add_same_provider, drop_same_provider),
    ]
