from django.db import migrations

# APCO ANS 2.103.1-2012 "Public Safety Communications Common Incident Types for Data Exchange", as
# published in NIEM's apco_event code list (IncidentCategoryCodeSimpleType). Migration 0002 left
# these empty; a code set by a platform admin since is kept.
CODES = {
    "burglary": "BURGLARY",  # Burglary - includes breaking and entering
    "theft": "LARCENY",  # Larceny - includes theft (SHOPLIFT is the narrower code)
    "robbery": "ROBBERY",
    "trespass": "TRESPASS",
    "assault": "ASSAULT",  # Assault - with or without injury
    "suspicious-person": "PERSUSP",
    "suspicious-vehicle": "VEHSUSP",
    "vandalism": "VANDAL",  # Vandalism - criminal mischief, graffiti
    "disturbance": "DISORD",  # Disorderly - disorderly conduct or disturbance
    "hazard": "HAZMAT",  # Hazardous materials, fuel spill
    "lost-found": "PROPFND",  # Found property (what guards hand in; PROPLOST for a loss)
    "other": "TROUBLE",  # Trouble - unknown type
}


def add_codes(apps, schema_editor):
    Category = apps.get_model("incidents", "Category")
    for code, apco in CODES.items():
        Category.objects.filter(code=code, apco_code="").update(apco_code=apco)


def remove_codes(apps, schema_editor):
    Category = apps.get_model("incidents", "Category")
    for code, apco in CODES.items():
        Category.objects.filter(code=code, apco_code=apco).update(apco_code="")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0009_search_vector_and_exact_keys")]

    operations = [migrations.RunPython(add_codes, remove_codes)]
