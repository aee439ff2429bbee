from django.db import migrations, models

TABLES = ("audit_auditevent", "audit_auditseal")
CREATE = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
"""
    for table in TABLES
)
DROP = "".join(
    f"DROP TRIGGER IF EXISTS audit_append_only ON {table}; DROP TRIGGER IF EXISTS audit_no_truncate ON {table};"
    for table in TABLES
) + "DROP FUNCTION IF EXISTS audit_refuse_change();"


def create_triggers(apps, schema_editor):
    # PostgreSQL refuses UPDATE, DELETE and TRUNCATE (row triggers do not fire on TRUNCATE) on both
    # tables; SQLite (the embedded default) has no such guard, and the keyed chain still shows any
    # change there.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_seal_existing_records")]

    operations = [
        migrations.DeleteModel(name="AuditHead"),
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["-id"]}),
        migrations.RemoveIndex(model_name="auditevent", name="audit_org_seq"),
        migrations.RemoveIndex(model_name="auditevent", name="audit_actor_seq"),
        migrations.RemoveIndex(model_name="auditevent", name="audit_action_seq"),
        migrations.RemoveField(model_name="auditevent", name="hash"),
        migrations.RemoveField(model_name="auditevent", name="prev_hash"),
        migrations.RemoveField(model_name="auditevent", name="seq"),
        migrations.AddIndex(
            model_name="auditevent", index=models.Index(fields=["organization", "-id"], name="audit_org_id")
        ),
        migrations.AddIndex(model_name="auditevent", index=models.Index(fields=["actor", "-id"], name="audit_actor_id")),
        migrations.AddIndex(
            model_name="auditevent", index=models.Index(fields=["action", "-id"], name="audit_action_id")
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
