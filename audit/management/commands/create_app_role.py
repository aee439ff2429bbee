import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

from audit.models import AuditEvent, AuditSeal, DeletionLedger
from portal.env import parse_database_url

AUDIT_TABLES = (AuditEvent._meta.db_table, AuditSeal._meta.db_table, DeletionLedger._meta.db_table)


class Command(BaseCommand):
    help = (
        "Create or update the application's database role, named by APP_DATABASE_URL (user and password): "
        "it owns nothing, may read and write the other tables, and may only INSERT and SELECT on the audit "
        "tables, so that it can neither rewrite them nor switch their triggers off. Run it as the tables' "
        "owner after every migrate (make migrate does, when MIGRATE_DATABASE_URL is set)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("create_app_role is for PostgreSQL")
        url = os.environ.get("APP_DATABASE_URL", "").strip()
        if not url:
            raise CommandError("APP_DATABASE_URL: set it to the application's DATABASE_URL")
        try:
            app = parse_database_url(url, variable="APP_DATABASE_URL")
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        role, database = app.get("USER", ""), connection.settings_dict["NAME"]
        if not role:
            raise CommandError("APP_DATABASE_URL: name the application's role (postgres://role:password@...)")
        if app["NAME"] != database:
            raise CommandError(
                f"APP_DATABASE_URL names database {app['NAME']!r}, but this one is {database!r}"
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_schema()")
            owner, schema = cursor.fetchone()
            if role == owner:
                raise CommandError(
                    f"APP_DATABASE_URL names {role!r}, the role these migrations run as: the application "
                    "must run as a role that owns nothing"
                )
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
            found = cursor.fetchone()
            if found and found[0]:
                raise CommandError(f"{role!r} is a superuser: it could rewrite the audit log")
            cursor.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                "WHERE r.rolname = %s AND c.relnamespace = %s::regnamespace",
                [role, schema],
            )
            if cursor.fetchone()[0]:
                raise CommandError(
                    f"{role!r} owns tables in schema {schema!r}: it could rewrite the audit log"
                )
            self._grant(
                cursor, role=role, password=app.get("PASSWORD") or None, database=database, schema=schema
            )
        self.stdout.write(
            f"role {role!r}: reads and writes the tables of {database!r}, only INSERT and SELECT on "
            f"{', '.join(AUDIT_TABLES)}; owns nothing"
        )

    def _grant(self, cursor: Any, *, role: str, password: str | None, database: str, schema: str) -> None:
        who, db, where = sql.Identifier(role), sql.Identifier(database), sql.Identifier(schema)
        verb = "ALTER" if self._exists(cursor, role) else "CREATE"
        attributes = " ROLE {who} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        statements = [
            verb + attributes,
            "GRANT CONNECT ON DATABASE {db} TO {who}",
            "GRANT USAGE ON SCHEMA {where} TO {who}",
            # Exactly these privileges, whatever was granted before.
            "REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
            "REVOKE ALL ON ALL SEQUENCES IN SCHEMA {where} FROM {who}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {who}",
            # nextval only: setting a sequence back (setval) needs UPDATE on it.
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
        ]
        names = {"db": db, "where": where, "who": who}
        for statement in statements:
            cursor.execute(sql.SQL(statement).format(**names).as_string(cursor.connection))
        if password:
            change = sql.SQL("ALTER ROLE {who} PASSWORD {password}").format(
                who=who, password=sql.Literal(password)
            )
            cursor.execute(change.as_string(cursor.connection))
        for table in AUDIT_TABLES:
            revoke = sql.SQL("REVOKE UPDATE, DELETE ON {table} FROM {who}").format(
                table=sql.Identifier(table), who=who
            )
            cursor.execute(revoke.as_string(cursor.connection))

    @staticmethod
    def _exists(cursor: Any, role: str) -> bool:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        return cursor.fetchone() is not None
