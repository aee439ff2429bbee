"""The application's own database role, made by `make migrate` as docker-compose runs it (migrations as
the tables' owner, MIGRATE_DATABASE_URL; the application as DATABASE_URL's role): it appends to the
audit log, seals and verifies it, but can neither rewrite nor empty it, nor switch its guards off."""

import re
import secrets
import subprocess
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import errors, sql

from tests.processes import ROOT, base_environ, database_url

TABLES = ("audit_auditevent", "audit_auditseal")


def _connect(**overrides):
    settings = connection.settings_dict
    params = {
        "host": settings["HOST"],
        "port": settings["PORT"],
        "dbname": settings["NAME"],
        "user": settings["USER"],
        "password": settings["PASSWORD"],
    }
    return psycopg.connect(**{**params, **overrides}, autocommit=True)


@pytest.fixture
def app_role():
    """A role of a unique name (roles are cluster-wide), dropped with its privileges afterwards."""
    role, password = f"wp_app_{uuid.uuid4().hex[:12]}", secrets.token_urlsafe(18)
    yield role, password
    with _connect() as owner:
        if owner.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
            owner.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            owner.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _app_url(role, password):
    settings = connection.settings_dict
    return f"postgres://{role}:{password}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def _run(args, env, tmp_path):
    result = subprocess.run(
        args,
        cwd=ROOT,
        env=base_environ(DATA_DIR=str(tmp_path), **env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_app_role_appends_and_reads_but_cannot_rewrite_the_log(app_role, tmp_path):
    role, password = app_role
    app = _app_url(role, password)
    migrate = _run(
        ["make", "-s", "migrate"], {"DATABASE_URL": app, "MIGRATE_DATABASE_URL": database_url()}, tmp_path
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert f"role {role!r}" in migrate.stdout

    # The application, as that role: a record, the sealer, the verification.
    manage = [str(ROOT / ".venv/bin/python"), "manage.py"]
    as_app = {"DATABASE_URL": app}
    written = _run(
        [*manage, "shell", "-c", "from audit import services; services.record(action='test.by_app')"],
        as_app,
        tmp_path,
    )
    assert written.returncode == 0, written.stderr
    sealed = _run([*manage, "seal_audit"], as_app, tmp_path)
    assert "1 audit records sealed" in sealed.stdout, sealed.stdout + sealed.stderr
    verified = _run([*manage, "verify_audit"], as_app, tmp_path)
    assert "audit log intact: 1 records sealed and verified" in verified.stdout, (
        verified.stdout + verified.stderr
    )

    with _connect(user=role, password=password) as app_connection:
        record_id = app_connection.execute("SELECT id FROM audit_auditevent").fetchone()[0]
        for table in TABLES:
            for statement in (
                "UPDATE {} SET prev = ''" if table == "audit_auditseal" else "UPDATE {} SET action = 'x'",
                "DELETE FROM {}",
                "TRUNCATE {}",
                "ALTER TABLE {} DISABLE TRIGGER audit_append_only",
                "ALTER TABLE {} DISABLE TRIGGER ALL",
                "DROP TRIGGER audit_no_truncate ON {}",
            ):
                with pytest.raises(errors.InsufficientPrivilege):
                    app_connection.execute(sql.SQL(statement).format(sql.Identifier(table)))
        for statement in (
            "SET session_replication_role = replica",
            "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), 1)",
            "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger "
            "AS $$ BEGIN RETURN NULL; END $$ LANGUAGE plpgsql",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                app_connection.execute(statement)
        # The other tables are the application's to change as usual.
        app_connection.execute("UPDATE accounts_organization SET name = name")
        # What it can do, a plain INSERT without the key, shows.
        forged = app_connection.execute(
            "INSERT INTO audit_auditevent (at, actor_label, action, object_type, object_id, object_label, "
            "outcome, user_agent, data, mac) VALUES (now(), 'admin@example.org', 'auth.login', '', '', '', "
            "'success', '', '{}', %s) RETURNING id",
            ["0" * 64],
        ).fetchone()[0]
    assert record_id < forged
    verified = _run([*manage, "verify_audit"], as_app, tmp_path)
    assert verified.returncode != 0
    assert f"record #{forged} inserted" in verified.stderr


@pytest.mark.postgres
def test_the_app_role_must_not_be_the_owner(db, monkeypatch):
    monkeypatch.setenv("APP_DATABASE_URL", database_url())
    with pytest.raises(CommandError, match="the application must run as a role that owns nothing"):
        call_command("create_app_role")


@pytest.mark.postgres
def test_the_app_role_must_be_named(db, monkeypatch):
    monkeypatch.delenv("APP_DATABASE_URL", raising=False)
    with pytest.raises(CommandError, match="APP_DATABASE_URL: set it"):
        call_command("create_app_role")
    monkeypatch.setenv("APP_DATABASE_URL", "postgres://someone@127.0.0.1:5432/another_database")
    with pytest.raises(CommandError, match="names database 'another_database'"):
        call_command("create_app_role")


def _role(url):
    """The user of a compose file's database URL, its ${VARIABLES} filled in."""
    return urlsplit(re.sub(r"\$\{[^}]*\}", "x", url)).username


def test_docker_compose_runs_the_application_as_the_app_role_and_migrations_as_the_owner():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["make", "migrate"]
    assert _role(migrate["environment"]["MIGRATE_DATABASE_URL"]) == "watchpost"
    assert services["postgres"]["environment"]["POSTGRES_USER"] == "watchpost"
    for name in ("migrate", "web", "worker", "beat"):
        environment = services[name]["environment"]
        assert _role(environment["DATABASE_URL"]) == "watchpost_app", name
        assert "AUDIT_KEY" in environment, name
        if name != "migrate":
            assert "MIGRATE_DATABASE_URL" not in environment, name
    assert services["web"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
