"""Site safety profiles: who may see and edit them, staleness, the board's panel, the audit."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from dispatch import selectors, services
from dispatch.models import SiteProfile
from tests.factories import report

pytestmark = pytest.mark.django_db
TEXTS = {
    "access_points": "Main gate on Mill Lane; loading bay B at the rear.",
    "emergency_contacts": "Duty manager 0161 496 0000",
}


def keep(world, **overrides):
    values = {
        "site": world.a1,
        "by": world.supervisor_a,
        "texts": TEXTS,
        "reverify_days": 180,
        "verified": True,
    }
    return services.save_site_profile(**{**values, **overrides})


def test_supervisors_keep_their_sites_profiles(world):
    profile = keep(world)
    assert profile.last_verified == timezone.localdate(timezone=world.a1.zone)
    assert profile.state == "current"
    assert AuditEvent.objects.filter(action="site_profile.changed", actor=world.supervisor_a).exists()
    for person in (world.guard_a, world.admin_a, world.liaison_x, world.supervisor_b):
        with pytest.raises(PermissionDenied):
            keep(world, by=person)


def test_bad_input_changes_nothing(world):
    with pytest.raises(ValidationError) as refused:
        keep(world, texts={"access_points": ""}, reverify_days=0)
    assert set(refused.value.message_dict) == {"access_points", "reverify_days"}
    assert not SiteProfile.objects.exists()


def test_an_overdue_profile_is_stale_and_listed_first(world):
    keep(world)
    services.save_site_profile(
        site=world.a2, by=world.supervisor_a, texts=TEXTS, reverify_days=30, verified=True
    )
    SiteProfile.objects.filter(site=world.a2).update(last_verified=timezone.localdate() - timedelta(days=31))
    rows = selectors.list_profile_sites(for_user=world.supervisor_a)
    assert [(site.name, profile.state) for site, profile in rows] == [("A2", "stale"), ("A1", "current")]


def test_who_may_read_a_profile(client, world):
    keep(world)
    url = reverse("dispatch:site_profile", kwargs={"site_id": world.a1.pk})
    for person, status in (
        (world.supervisor_a, 200),
        (world.liaison_x, 200),
        (world.guard_a, 404),
        (world.liaison_y, 404),
        (world.supervisor_b, 404),
    ):
        client.force_login(person)
        assert client.get(url).status_code == status, person
    viewed = AuditEvent.objects.filter(action="site_profile.viewed")
    assert set(viewed.values_list("actor", flat=True)) == {world.supervisor_a.pk, world.liaison_x.pk}


def test_the_agency_reads_but_does_not_edit(client, world):
    keep(world)
    client.force_login(world.liaison_x)
    url = reverse("dispatch:site_profile", kwargs={"site_id": world.a1.pk})
    assert client.post(url, {**TEXTS, "reverify_days": 5}).status_code == 403
    assert SiteProfile.objects.get(site=world.a1).reverify_days == 180
    page = client.get(url).content.decode()
    assert "Mill Lane" in page
    assert "Save the profile" not in page


def test_the_supervisor_edits_through_the_page(client, world):
    client.force_login(world.supervisor_a)
    url = reverse("dispatch:site_profile", kwargs={"site_id": world.a1.pk})
    response = client.post(url, {**TEXTS, "hazards": "Ammonia store", "reverify_days": 90, "verified": "on"})
    assert response.status_code == 302
    assert SiteProfile.objects.get(site=world.a1).hazards == "Ammonia store"


def test_every_escalations_panel_shows_its_sites_profile(client, world):
    keep(world)
    escalation = services.escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)
    client.force_login(world.liaison_x)
    page = client.get(
        reverse("dispatch:panel", kwargs={"escalation_id": escalation.public_id})
    ).content.decode()
    assert "Site profile: A1" in page
    assert "Mill Lane" in page
    assert "Verified" in page
    assert AuditEvent.objects.filter(
        action="site_profile.viewed", actor=world.liaison_x, data__via="board"
    ).exists()


def test_a_panel_says_when_the_profile_is_stale_or_missing(client, world):
    escalation = services.escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)
    client.force_login(world.liaison_x)
    url = reverse("dispatch:panel", kwargs={"escalation_id": escalation.public_id})
    assert "Never verified" in client.get(url).content.decode()
    keep(world)
    SiteProfile.objects.filter(site=world.a1).update(last_verified=timezone.localdate() - timedelta(days=200))
    assert "Stale: verified" in client.get(url).content.decode()


def test_the_supervisors_home_flags_the_overdue_profiles(client, world):
    keep(world)
    services.save_site_profile(
        site=world.a2, by=world.supervisor_a, texts=TEXTS, reverify_days=30, verified=True
    )
    SiteProfile.objects.filter(site=world.a2).update(last_verified=timezone.localdate() - timedelta(days=40))
    client.force_login(world.supervisor_a)
    page = client.get("/").content.decode()
    assert "Site profiles to verify again" in page
    assert 'data-stale-profiles="1"' in page
    assert "A2</a>: verified" in page
