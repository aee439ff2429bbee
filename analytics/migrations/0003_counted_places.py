import django.utils.timezone
from django.db import migrations, models


def forget_the_rollup(apps, schema_editor):
    """The rows written before this migration lack the place, the time and the map's cell: the
    rollup is emptied and marked unbuilt, so every figure is counted from the incidents until
    `manage.py rebuild_incident_counts` has run again."""
    apps.get_model("analytics", "CountsBuilt").objects.all().delete()
    apps.get_model("analytics", "CountedIncident").objects.all().delete()
    apps.get_model("analytics", "IncidentCount").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_incident_counts")]

    operations = [
        migrations.RunPython(forget_the_rollup, migrations.RunPython.noop),
        migrations.AddField(
            model_name="countedincident",
            name="location",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="countedincident",
            name="occurred_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="countedincident",
            name="cell_latitude",
            field=models.FloatField(null=True),
        ),
        migrations.AddField(
            model_name="countedincident",
            name="cell_longitude",
            field=models.FloatField(null=True),
        ),
        migrations.AddIndex(
            model_name="countedincident",
            index=models.Index(fields=["day"], name="counted_day"),
        ),
    ]
