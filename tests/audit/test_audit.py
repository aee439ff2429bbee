import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from audit import chain, services
from audit.models import AuditEvent
from portal.requests import RequestOrigin
from tests.factories import PASSWORD, UserFactory, report


def actions():
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_records_are_keyed_sealed_in_order_and_verify(world):
    for n in range(3):
        services.record(action="test.event", actor=world.guard_a, n=n)
    verification = services.verify()
    assert verification.problem is None
    assert (verification.sealed, verification.unsealed) == (0, 3)
    assert services.seal_records() == 3
    verification = services.verify()
    assert verification.problem is None
    assert verification.sealed == AuditEvent.objects.count()
    first, second = AuditEvent.objects.order_by("id")[:2]
    assert (first.seal.seq, second.seal.seq) == (1, 2)
    assert second.seal.prev == first.seal.hash
    assert first.organization == world.provider_a


def test_records_verify_after_the_database_normalised_their_content(world):
    """What PostgreSQL gives back differs from what was written (an IPv6 address compressed, a large
    float as an integer, a tuple as a list): the MAC is made over the stored form."""
    addresses = ("::FFFF:10.0.0.1", "2001:0DB8:0000:0000:0000:0000:0000:0001", "10.9.8.7", None)
    for address in addresses:
        services.record(
            action="test.event",
            actor=world.guard_a,
            origin=RequestOrigin(ip_address=address, user_agent="Test/1"),
            big=1e100,
            small=1e-7,
            zero=-0.0,
            pair=(1, 2),
            id=uuid.UUID(int=7),
            nested={"at": timezone.now(), 3: "three"},
        )
    assert services.seal_records() == len(addresses)
    assert services.verify().problem is None
    assert AuditEvent.objects.filter(ip_address="2001:db8::1").exists()


def tamper(sql, params=()):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What an attacker with the database's superuser password can do: switch triggers off.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def test_an_altered_record_is_named(world):
    events = [services.record(action="test.event", actor=world.guard_a, n=n) for n in range(4)]
    services.seal_records()
    tamper("UPDATE audit_auditevent SET actor_label = %s WHERE id = %s", ["someone@else", events[2].pk])
    problem = services.verify().problem
    assert (problem.record, problem.kind) == (events[2].pk, "altered")
    with pytest.raises(CommandError, match=f"record #{events[2].pk} \\(seal #3\\) altered"):
        call_command("verify_audit")


def test_a_removed_record_is_named(world, django_capture_on_commit_callbacks):
    events = [services.record(action="test.event", actor=world.guard_a, n=n) for n in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        services.seal_records()
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    problem = services.verify().problem
    assert (problem.record, problem.kind) == (events[1].pk, "removed")
    for event in (events[3], events[2], events[0]):
        tamper("DELETE FROM audit_auditseal WHERE record_id = %s", [event.pk])
        tamper("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    # Even the newest gone, with their seals: the checkpoint outside the database remembers how far
    # the chain reached.
    problem = services.verify().problem
    assert (problem.seal, problem.kind) == (1, "removed")


def test_an_inserted_record_is_named(world):
    events = [services.record(action="test.event", actor=world.guard_a, n=n) for n in range(3)]
    services.seal_records()
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.pk = events[2].pk + 1
    forged.action = "test.forged"
    forged.mac = chain.record_mac("a key of the attacker's guessing", forged)
    forged.save(force_insert=True)
    problem = services.verify().problem
    assert problem.record == forged.pk
    assert problem.kind == "inserted"


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete(world):
    event = services.record(action="test.event", actor=world.guard_a)
    services.seal_records()
    for sql in (
        "UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
        "UPDATE audit_auditseal SET hash = 'x' WHERE record_id = %s",
        "DELETE FROM audit_auditseal WHERE record_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"
    assert services.verify().problem is None


def test_logons_failures_and_logoffs_are_recorded_with_address(client, world):
    client.post(
        reverse("account_login"), {"login": world.guard_a.email, "password": "wrong"}, REMOTE_ADDR="10.9.8.7"
    )
    client.post(
        reverse("account_login"), {"login": world.guard_a.email, "password": PASSWORD}, REMOTE_ADDR="10.9.8.7"
    )
    client.post(reverse("account_logout"))
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == ["auth.login_failed", "auth.login", "auth.logout"]
    assert events[0].outcome == "failure"
    assert events[0].actor_label == world.guard_a.email
    assert events[1].ip_address == "10.9.8.7"
    assert "wrong" not in str(events[0].data)


def test_incident_views_and_changes_are_audited(client, world):
    incident = report(world.guard_a, world.a1)
    client.force_login(world.supervisor_a)
    client.get(reverse("incidents:detail", args=[incident.public_id]), HTTP_USER_AGENT="TestBrowser/1")
    viewed = AuditEvent.objects.get(action="incident.viewed")
    assert (viewed.actor, viewed.object_id, viewed.user_agent) == (
        world.supervisor_a,
        str(incident.public_id),
        "TestBrowser/1",
    )
    assert {"incident.created", "incident.submitted"} <= set(actions())


def test_org_admins_read_their_own_trail_and_reading_is_audited(client, world):
    services.record(action="test.a", actor=world.guard_a)
    services.record(action="test.b", actor=world.guard_b)
    client.force_login(world.admin_a)
    page = client.get(reverse("audit:trail"))
    assert page.status_code == 200
    assert b"test.a" in page.content
    assert b"test.b" not in page.content
    assert AuditEvent.objects.filter(action="audit.read", actor=world.admin_a).exists()
    client.force_login(world.platform)
    page = client.get(reverse("audit:trail"), {"action": "test."})
    assert b"test.a" in page.content
    assert b"test.b" in page.content
    for who in ("guard_a", "supervisor_a", "liaison_x"):
        client.force_login(getattr(world, who))
        assert client.get(reverse("audit:trail")).status_code == 403


def test_role_changes_and_admin_actions_are_audited(client, world):
    account_services.change_member(membership=world.guard_a.membership, by=world.admin_a, role="supervisor")
    event = AuditEvent.objects.get(action="people.role_changed")
    assert event.data["old"] == "guard"
    assert event.data["new"] == "supervisor"
    form = {"name": "Drone", "code": "drone", "default_severity": 3, "position": 1, "is_active": "on"}
    client.force_login(world.platform)  # staff without the permission: refused, and recorded so
    client.post(reverse("admin:incidents_category_add"), form)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.post(reverse("admin:incidents_category_add"), form)
    posts = AuditEvent.objects.filter(action="admin.post").order_by("id")
    assert [(e.outcome, e.data["status"]) for e in posts] == [("failure", 403), ("success", 302)]
    assert posts[1].data["path"] == "/admin/incidents/category/add/"


def test_the_trail_names_actions_and_objects_in_words(client, world):
    """The trail showed "audit.read", "auth.login" and "(accounts.user)"."""
    services.record(action="auth.login", actor=world.guard_a, obj=world.guard_a)
    services.record(
        action="incident.status_changed", actor=world.supervisor_a, obj=report(world.guard_a, world.a1)
    )
    client.force_login(world.admin_a)
    page = client.get(reverse("audit:trail")).content.decode()
    assert "Signed in <code" in page
    assert "Read the audit trail <code" in page
    assert "Incident: status changed <code" in page  # a code without a label still reads as words
    assert "(user)" in page
    assert "(incident)" in page
    assert "(accounts.user)" not in page
    assert "(incidents.incident)" not in page
