"""Publishing, audience per tenant, read receipts, sightings, versions and expiry, through the services."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import Partnership
from audit.models import AuditEvent
from bulletins import selectors, services
from bulletins.models import Bulletin, ReadReceipt, Sighting
from dispatch.models import Escalation
from incidents.models import Incident
from notifications.models import Kind, OutboxMessage
from tests.bulletins.conftest import bolo

pytestmark = pytest.mark.django_db


def test_a_bulletin_reaches_the_partnered_providers_sites_only(world, published):
    assert set(published.sites.all()) == {world.a1, world.a2}
    assert published.plate == "AB12 CDE"
    assert list(selectors.list_live_bulletins(for_user=world.guard_a)) == [published]
    assert list(selectors.list_live_bulletins(for_user=world.supervisor_a)) == [published]
    for outsider in (world.guard_b, world.supervisor_b, world.liaison_y, world.admin_a):
        assert not selectors.list_live_bulletins(for_user=outsider).exists()
        with pytest.raises(Bulletin.DoesNotExist):
            selectors.get_bulletin(bulletin_id=published.public_id, for_user=outsider)


def test_notifications_go_through_the_outbox_to_the_sites_people_only(world, published):
    told = set(OutboxMessage.objects.filter(kind=Kind.BULLETIN).values_list("recipient_id", flat=True))
    assert told == {world.guard_a.pk, world.supervisor_a.pk}
    message = OutboxMessage.objects.filter(kind=Kind.BULLETIN, recipient=world.guard_a).first()
    assert "Grey Ford Transit" in message.payload["title"]
    assert "Do not approach" in message.payload["text"]


def test_chosen_sites_and_providers_must_be_partnered(world):
    with pytest.raises(ValidationError) as refused:
        services.publish_bulletin(
            by=world.liaison_x, data=bolo(), audience=Bulletin.Audience.SITES, sites=[world.b1]
        )
    assert "partnered" in str(refused.value)
    with pytest.raises(ValidationError):
        services.publish_bulletin(
            by=world.liaison_x,
            data=bolo(),
            audience=Bulletin.Audience.PROVIDERS,
            providers=[world.provider_b],
        )
    only = services.publish_bulletin(
        by=world.liaison_y, data=bolo(), audience=Bulletin.Audience.SITES, sites=[world.b1]
    )
    assert list(only.sites.all()) == [world.b1]
    assert not selectors.list_live_bulletins(for_user=world.guard_a).exists()
    assert Bulletin.objects.count() == 1


def test_an_inactive_partnership_receives_nothing(world):
    Partnership.objects.filter(provider=world.provider_a, agency=world.agency_x).update(is_active=False)
    with pytest.raises(ValidationError, match="No partnered provider"):
        services.publish_bulletin(by=world.liaison_x, data=bolo())


def test_only_liaisons_publish_and_bad_input_changes_nothing(world):
    for person in (world.guard_a, world.supervisor_a, world.admin_x):
        with pytest.raises(PermissionDenied):
            services.publish_bulletin(by=person, data=bolo())
    with pytest.raises(ValidationError) as refused:
        services.publish_bulletin(
            by=world.liaison_x, data=bolo(title=" ", expires_at=timezone.now() - timedelta(hours=1))
        )
    assert set(refused.value.message_dict) == {"title", "expires_at"}
    assert not Bulletin.objects.exists()
    assert not OutboxMessage.objects.filter(kind=Kind.BULLETIN).exists()


def test_read_receipts_say_who_of_which_site_read_it(world, published):
    receipt = services.mark_bulletin_read(bulletin=published, by=world.guard_a)
    again = services.mark_bulletin_read(bulletin=published, by=world.guard_a)
    assert again.pk == receipt.pk
    assert receipt.site == world.a1
    rows = {row.site: row for row in selectors.list_receipts_by_site(bulletin=published)}
    assert [r.user for r in rows[world.a1].receipts] == [world.guard_a]
    assert rows[world.a1].unread == []
    with pytest.raises(PermissionDenied):
        services.mark_bulletin_read(bulletin=published, by=world.guard_b)
    assert ReadReceipt.objects.count() == 1
    assert AuditEvent.objects.filter(action="bulletin.read", actor=world.guard_a).exists()


def test_a_sighting_files_a_linked_incident_escalated_to_the_publisher(world):
    # Published by Y to provider A's site a1, whose own partner agency is X: the sighting goes to Y.
    bulletin = services.publish_bulletin(
        by=world.liaison_y, data=bolo(), audience=Bulletin.Audience.PROVIDERS, providers=[world.provider_a]
    )
    key = uuid.uuid4()
    sighting = services.report_sighting(
        bulletin=bulletin,
        by=world.guard_a,
        site=world.a1,
        narrative="It parked by gate 3.",
        idempotency_key=key,
    )
    incident = sighting.incident
    assert incident.reporter == world.guard_a
    assert incident.site == world.a1
    assert incident.category.code == "suspicious-vehicle"
    assert "Grey Ford Transit" in incident.narrative
    assert "gate 3" in incident.narrative
    assert incident.vehicles.get().plate == "AB12 CDE"
    escalation = incident.escalations.get()
    assert escalation.agency == world.agency_y
    assert escalation.source == Escalation.Source.BULLETIN
    assert escalation.status == Escalation.Status.REQUESTED
    assert selectors.has_read(bulletin=bulletin, user=world.guard_a)
    retried = services.report_sighting(
        bulletin=bulletin,
        by=world.guard_a,
        site=world.a1,
        narrative="It parked by gate 3.",
        idempotency_key=key,
    )
    assert retried.pk == sighting.pk
    assert Sighting.objects.count() == 1


def test_a_sighting_needs_words_and_a_live_bulletin(world, published):
    with pytest.raises(ValidationError):
        services.report_sighting(
            bulletin=published, by=world.guard_a, site=world.a1, narrative=" ", idempotency_key=uuid.uuid4()
        )
    with pytest.raises(PermissionDenied):
        services.report_sighting(
            bulletin=published,
            by=world.guard_b,
            site=world.b1,
            narrative="Saw it",
            idempotency_key=uuid.uuid4(),
        )
    assert not Incident.objects.exists()


def test_updates_and_cancellations_are_new_versions(world, published):
    updated = services.update_bulletin(
        bulletin=published,
        by=world.liaison_x,
        data=bolo(description="Now with a blue bonnet."),
        change_note="The bonnet was replaced.",
    )
    published.refresh_from_db()
    assert (updated.version, updated.msg_type, updated.series) == (
        2,
        Bulletin.MsgType.UPDATE,
        published.series,
    )
    assert not published.is_current
    assert updated.is_current
    assert list(selectors.list_live_bulletins(for_user=world.guard_a)) == [updated]
    with pytest.raises(PermissionDenied):
        services.update_bulletin(bulletin=published, by=world.liaison_x, data=bolo(), change_note="stale")
    with pytest.raises(PermissionDenied):
        services.cancel_bulletin(bulletin=updated, by=world.liaison_y, reason="Not ours")
    cancelled = services.cancel_bulletin(bulletin=updated, by=world.liaison_x, reason="Vehicle recovered.")
    assert (cancelled.version, cancelled.msg_type) == (3, Bulletin.MsgType.CANCEL)
    assert not selectors.list_live_bulletins(for_user=world.guard_a).exists()
    assert [v.version for v in selectors.list_versions(bulletin=cancelled)] == [3, 2, 1]
    titles = list(
        OutboxMessage.objects.filter(kind=Kind.BULLETIN, recipient=world.guard_a)
        .order_by("pk")
        .values_list("payload__title", flat=True)
    )
    assert [t.split(" ")[0] for t in titles] == ["Vehicle", "Updated:", "Cancelled:"]


def test_expired_bulletins_leave_the_live_list_but_stay_searchable(world, published):
    Bulletin.objects.filter(pk=published.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert not selectors.list_live_bulletins(for_user=world.guard_a).exists()
    assert list(selectors.search_bulletins(for_user=world.guard_a, query="AB12")) == [published]
    assert list(selectors.search_bulletins(for_user=world.guard_a, include_live=False)) == [published]
    assert not selectors.search_bulletins(for_user=world.guard_b, query="AB12").exists()
    with pytest.raises(PermissionDenied):
        services.mark_bulletin_read(bulletin=Bulletin.objects.get(pk=published.pk), by=world.guard_a)
