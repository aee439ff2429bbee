from django.db import migrations

# (code, name, APCO ANS 2.103.1 code where verified against the published code list, severity, position)
CATEGORIES = [
    ("burglary", "Burglary / break-in", "", 2, 10),
    ("theft", "Theft / shoplifting", "", 3, 20),
    ("robbery", "Robbery", "", 1, 25),
    ("trespass", "Trespass", "", 3, 30),
    ("assault", "Assault", "", 1, 40),
    ("suspicious-person", "Suspicious person", "", 3, 50),
    ("suspicious-vehicle", "Suspicious vehicle", "", 3, 60),
    ("vandalism", "Vandalism / damage", "", 3, 70),
    ("fire", "Fire / smoke", "ALRF", 1, 80),
    ("medical", "Medical emergency", "ALRMED", 1, 90),
    ("alarm", "Alarm activation", "ALRU", 3, 100),
    ("panic", "Panic / duress", "ALRPANS", 1, 105),
    ("disturbance", "Disturbance", "", 3, 110),
    ("hazard", "Hazard (spill, gas, structure)", "", 2, 120),
    ("animal", "Animal", "ANIMAL", 4, 130),
    ("lost-found", "Lost or found property", "", 4, 140),
    ("other", "Other", "", 4, 999),
]

SEARCH_INDEX = (
    "CREATE INDEX IF NOT EXISTS incident_search_gin ON incidents_incident "
    "USING gin (to_tsvector('english'::regconfig, COALESCE(search_document, '')))"
)


def seed_categories(apps, schema_editor):
    Category = apps.get_model("incidents", "Category")
    for code, name, apco, severity, position in CATEGORIES:
        Category.objects.get_or_create(
            code=code,
            defaults={"name": name, "apco_code": apco, "default_severity": severity, "position": position},
        )


def create_search_index(apps, schema_editor):
    # PostgreSQL full-text search; SQLite searches with a plain LIKE instead.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH_INDEX)


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS incident_search_gin")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [
        migrations.RunPython(seed_categories, migrations.RunPython.noop),
        migrations.RunPython(create_search_index, drop_search_index),
    ]
