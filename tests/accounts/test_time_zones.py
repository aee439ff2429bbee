"""Each person's zone: their organization's by default, their own choice on /account/time-zone/,
shown on every page they open (the footer names it)."""

from django.urls import reverse

from accounts import selectors
from audit.models import AuditEvent
from tests.factories import UserFactory

PAGE = "/account/time-zone/"


def test_a_person_s_zone_is_their_organization_s_until_they_choose(client, world):
    world.provider_a.time_zone = "America/Chicago"
    world.provider_a.save(update_fields=["time_zone"])
    assert reverse("accounts:time_zone") == PAGE
    client.force_login(world.guard_a)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Your own views show <strong>America/Chicago</strong>" in page.text
    assert "My organization&#x27;s (America/Chicago)" in page.text
    assert 'data-time-zone="America/Chicago"' in page.text  # for the live parts' clocks
    assert 'yours: <a href="/account/time-zone/">America/Chicago</a>' in page.text


def test_choosing_a_zone_changes_one_s_own_views_and_is_audited(client, world):
    client.force_login(world.guard_a)
    response = client.post(PAGE, {"time_zone": "Pacific/Auckland"}, follow=True)
    assert "Your own views now show Pacific/Auckland time." in response.text
    world.guard_a.refresh_from_db()
    assert world.guard_a.time_zone == "Pacific/Auckland"
    assert selectors.get_time_zone(for_user=world.guard_a).key == "Pacific/Auckland"
    assert 'data-time-zone="Pacific/Auckland"' in client.get(reverse("home")).text
    record = AuditEvent.objects.get(action="account.time_zone_changed")
    assert (record.actor, record.data) == (world.guard_a, {"before": "", "after": "Pacific/Auckland"})
    client.post(PAGE, {"time_zone": ""})
    world.guard_a.refresh_from_db()
    assert world.guard_a.time_zone == ""
    assert selectors.get_time_zone(for_user=world.guard_a).key == world.provider_a.time_zone


def test_an_unknown_zone_is_refused_with_a_clear_message_and_changes_nothing(client, world):
    client.force_login(world.guard_a)
    response = client.post(PAGE, {"time_zone": "CST"})
    assert response.status_code == 200
    assert "CST is not a known time zone (e.g. America/Chicago)." in response.text
    world.guard_a.refresh_from_db()
    assert world.guard_a.time_zone == ""
    assert not AuditEvent.objects.filter(action="account.time_zone_changed").exists()


def test_someone_in_no_organization_has_the_portal_s_zone(client, settings, db):
    nobody = UserFactory()
    assert selectors.get_time_zone(for_user=nobody).key == settings.TIME_ZONE
    client.force_login(nobody)
    assert f"My organization&#x27;s ({settings.TIME_ZONE})" in client.get(PAGE).text


def test_the_platform_admin_picks_zones_from_the_tz_database(client, world):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:accounts_organization_change", args=[world.provider_a.pk]))
    assert page.status_code == 200
    assert '<option value="Pacific/Auckland">Pacific/Auckland</option>' in page.text
    page = client.get(reverse("admin:accounts_user_change", args=[world.guard_a.pk]))
    assert "— their organization&#x27;s —" in page.text
    data = {"name": world.provider_a.name, "kind": "provider", "debrief_reviewers": "supervisor"}
    data |= {f"retain_{kind}_days": 1095 for kind in ("incidents", "evidence", "messages")}
    data["retain_audit_days"] = 2555  # the change form carries the retention periods (README: Retention)
    url = reverse("admin:accounts_organization_change", args=[world.provider_a.pk])
    response = client.post(url, {**data, "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert client.post(url, {**data, "time_zone": "Pacific/Auckland"}).status_code == 302
    world.provider_a.refresh_from_db()
    assert world.provider_a.time_zone == "Pacific/Auckland"
