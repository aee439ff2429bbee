"""Production settings and the Content-Security-Policy."""

import re
import secrets
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.factories import report
from tests.processes import ROOT, base_environ


def test_production_settings_pass_check_deploy_without_a_warning(tmp_path):
    env = base_environ(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(60),
        AUDIT_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="watchpost.example.org",
        DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        (None, "account_login"),
        ("guard_a", "home"),
        ("guard_a", "incidents:report"),
        ("supervisor_a", "incidents:list"),
        ("supervisor_a", "incidents:triage"),
        ("liaison_x", "dispatch:board"),
        ("admin_a", "accounts:people"),
        ("admin_a", "audit:trail"),
        ("supervisor_a", "api-docs"),
    ],
)
def test_pages_carry_a_strict_csp_and_no_inline_script(client, world, who, url):
    if who:
        client.force_login(getattr(world, who))
    response = client.get(reverse(url))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert not INLINE_SCRIPT.findall(response.content), INLINE_SCRIPT.findall(response.content)
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_incident_page_has_no_inline_script(client, world):
    incident = report(world.guard_a, world.a1)
    client.force_login(world.supervisor_a)
    response = client.get(reverse("incidents:detail", args=[incident.public_id]))
    assert not INLINE_SCRIPT.findall(response.content)
