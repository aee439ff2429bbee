import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accounts import services as account_services
from audit import services
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory, report


def actions():
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def test_records_chain_and_verify(world):
    for n in range(3):
        services.record(action="test.event", actor=world.guard_a, n=n)
    checked, problem = services.verify()
    assert problem is None
    assert checked == AuditEvent.objects.count()
    first, second = AuditEvent.objects.order_by("seq")[:2]
    assert second.prev_hash == first.hash
    assert first.organization == world.provider_a


def tamper(sql, params=()):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What an attacker with the database's superuser password can do: switch triggers off.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def test_an_altered_record_is_named(world):
    events = [services.record(action="test.event", actor=world.guard_a, n=n) for n in range(4)]
    tamper("UPDATE audit_auditevent SET actor_label = %s WHERE seq = %s", ["someone@else", events[2].seq])
    _, problem = services.verify()
    assert (problem.seq, problem.kind) == (events[2].seq, "altered")
    with pytest.raises(CommandError, match=f"record #{events[2].seq} altered"):
        call_command("verify_audit")


def test_a_removed_record_is_named(world):
    events = [services.record(action="test.event", actor=world.guard_a, n=n) for n in range(4)]
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [events[1].seq])
    _, problem = services.verify()
    assert (problem.seq, problem.kind) == (events[1].seq, "removed")
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [events[3].seq])
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [events[2].seq])
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [events[0].seq])
    # Even the newest gone: the chain's head remembers how far it reached.
    _, problem = services.verify()
    assert problem.kind == "removed"


def test_an_inserted_record_is_named(world):
    events = [services.record(action="test.event", actor=world.guard_a, n=n) for n in range(3)]
    forged = AuditEvent.objects.get(seq=events[1].seq)
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [forged.seq])
    forged.pk = None
    forged.action = "test.forged"
    forged.hash = services.chain_hash(forged.prev_hash, services.content_of(forged))
    forged.save()
    _, problem = services.verify()
    assert problem.seq == events[2].seq
    assert problem.kind == "inserted"


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete(world):
    event = services.record(action="test.event", actor=world.guard_a)
    for sql in (
        "UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_logons_failures_and_logoffs_are_recorded_with_address(client, world):
    client.post(
        reverse("account_login"), {"login": world.guard_a.email, "password": "wrong"}, REMOTE_ADDR="10.9.8.7"
    )
    client.post(
        reverse("account_login"), {"login": world.guard_a.email, "password": PASSWORD}, REMOTE_ADDR="10.9.8.7"
    )
    client.post(reverse("account_logout"))
    events = list(AuditEvent.objects.order_by("seq"))
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
    posts = AuditEvent.objects.filter(action="admin.post").order_by("seq")
    assert [(e.outcome, e.data["status"]) for e in posts] == [("failure", 403), ("success", 302)]
    assert posts[1].data["path"] == "/admin/incidents/category/add/"
