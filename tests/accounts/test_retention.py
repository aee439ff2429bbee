"""An org admin chooses how long the organization keeps closed incidents, evidence, messages and
audit records (issue 21.5): on their own page, audited; periods that are not positive, or audit
records kept shorter than the rest, are refused with a clear message and change nothing."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent

RETENTION_URL = reverse("accounts:retention")


def periods(organization) -> tuple[int, int, int, int]:
    organization.refresh_from_db()
    return (
        organization.retain_incidents_days,
        organization.retain_evidence_days,
        organization.retain_messages_days,
        organization.retain_audit_days,
    )


def test_the_org_admin_sets_the_periods_and_it_is_audited(client, world):
    assert periods(world.provider_a) == (1095, 1095, 1095, 2555)
    client.force_login(world.admin_a)
    assert RETENTION_URL in client.get(reverse("home")).content.decode()
    posted = {"incidents": 730, "evidence": 365, "messages": 180, "audit_records": 3650}
    response = client.post(RETENTION_URL, posted, follow=True)
    assert "Retention saved" in response.content.decode()
    assert periods(world.provider_a) == (730, 365, 180, 3650)
    assert periods(world.provider_b) == (1095, 1095, 1095, 2555)
    event = AuditEvent.objects.get(action="organization.retention_changed")
    assert event.data["before"]["retain_audit_days"] == 2555
    assert event.data["after"]["retain_messages_days"] == 180


@pytest.mark.parametrize(
    ("posted", "says"),
    [
        ({"incidents": 4000, "evidence": 365, "messages": 365, "audit_records": 3650}, "at least as long"),
        ({"incidents": 0, "evidence": 365, "messages": 365, "audit_records": 3650}, "from 30 to"),
        ({"incidents": -5, "evidence": 365, "messages": 365, "audit_records": 3650}, "from 30 to"),
        ({"incidents": "", "evidence": 365, "messages": 365, "audit_records": 3650}, "Give a number of days"),
    ],
)
def test_bad_periods_are_refused_with_a_clear_message_and_change_nothing(client, world, posted, says):
    client.force_login(world.admin_a)
    response = client.post(RETENTION_URL, posted)
    assert response.status_code == 200
    assert says in response.content.decode()
    assert periods(world.provider_a) == (1095, 1095, 1095, 2555)
    assert not AuditEvent.objects.filter(action="organization.retention_changed").exists()


def test_the_django_admin_refuses_audit_records_kept_shorter_than_the_rest(client, world):
    """The platform admin edits the same periods in Django admin, under the same rule."""
    world.platform.is_superuser = True
    world.platform.save()
    client.force_login(world.platform)
    url = reverse("admin:accounts_organization_change", args=[world.provider_a.pk])
    form = {
        "name": world.provider_a.name,
        "kind": world.provider_a.kind,
        "debrief_reviewers": world.provider_a.debrief_reviewers,
        "time_zone": world.provider_a.time_zone,
        "retain_incidents_days": 1095,
        "retain_evidence_days": 1095,
        "retain_messages_days": 1095,
        "retain_audit_days": 365,
    }
    response = client.post(url, form)
    assert response.status_code == 200
    assert "at least as long as everything else (1095 days)" in response.content.decode()
    assert periods(world.provider_a) == (1095, 1095, 1095, 2555)
    response = client.post(url, {**form, "retain_audit_days": 3650})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert periods(world.provider_a) == (1095, 1095, 1095, 3650)
