import portal.zones
from collections import Counter

from django.db import migrations, models


def zones_from_sites(apps, schema_editor):
    """An existing organization takes the zone most of its sites are in (an agency: its jurisdiction's)."""
    Organization = apps.get_model("accounts", "Organization")
    Site = apps.get_model("accounts", "Site")
    for organization in Organization.objects.all():
        sites = Site.objects.filter(models.Q(provider=organization) | models.Q(agency=organization))
        counts = Counter(sites.values_list("time_zone", flat=True))
        if counts:
            organization.time_zone = counts.most_common(1)[0][0]
            organization.save(update_fields=["time_zone"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_organization_debrief_reviewers"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="time_zone",
            field=models.CharField(
                default="UTC",
                help_text="Its people's zone unless they choose their own (each site has its own zone).",
                max_length=64,
                validators=[portal.zones.validate_time_zone],
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="time_zone",
            field=models.CharField(
                blank=True,
                help_text="The zone of this person's own views (inbox, audit trail); blank: their organization's.",
                max_length=64,
                validators=[portal.zones.validate_time_zone],
            ),
        ),
        migrations.RunPython(zones_from_sites, migrations.RunPython.noop),
    ]
