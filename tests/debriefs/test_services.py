import hashlib
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Organization, Role
from debriefs import policy, selectors, services
from debriefs.facts import targets_for
from debriefs.models import CorrectiveAction, Debrief, ResponseTarget
from notifications.models import Kind, OutboxMessage
from tests.factories import member

Status = Debrief.Status


def test_closing_asks_for_a_debrief_that_drafts_from_the_timeline(closed, drafted):
    assert drafted.status == Status.DRAFT
    facts = drafted.facts
    assert facts["reference"] == closed.reference
    keys = [i["key"] for i in facts["intervals"]]
    assert keys == ["triage", "escalation", "acceptance", "arrival", "clearance"]
    assert all(i["seconds"] is not None for i in facts["intervals"])
    names = {p["name"] for p in facts["participants"]}
    assert {str(closed.reporter)} <= names
    assert "Jackets recovered" in drafted.summary
    # The notifications the escalation sent (the agency's default policy pages its liaisons).
    # The debrief's own notices (the agency's account wanted) come after the response: not facts.
    logged = list(
        OutboxMessage.objects.filter(incident=closed).exclude(kind=Kind.DEBRIEF).order_by("created_at", "pk")
    )
    assert logged, "the default policy pages the agency's on-duty liaisons"
    assert [n["recipient"] for n in facts["notifications"]] == [m.recipient_label for m in logged]
    kinds = [row["what"] for row in facts["timeline"]]
    assert kinds[0] == "Report started"
    assert "Police response" in kinds


def test_targets_come_from_the_site_then_the_agency_then_the_defaults(world, closed):
    assert targets_for(closed)["acceptance"] == 15
    ResponseTarget.objects.create(interval="acceptance", agency=world.agency_x, seconds=30)
    assert targets_for(closed)["acceptance"] == 30
    ResponseTarget.objects.create(interval="acceptance", site=world.a1, seconds=20)
    assert targets_for(closed)["acceptance"] == 20


def test_review_workflow_with_four_eyes(world, drafted):
    other = world.supervisor_a
    second = member(Role.SUPERVISOR, world.provider_a)
    services.update_debrief(
        debrief=drafted, by=other, expected_version=1, summary="S", strengths="Fast", improvements="CCTV"
    )
    services.submit_debrief(debrief=drafted, by=other)
    with pytest.raises(PermissionDenied):
        services.approve_debrief(debrief=drafted, by=other)
    services.request_changes(debrief=drafted, by=second, comment="Add the CCTV timing")
    drafted.refresh_from_db()
    assert drafted.status == Status.CHANGES_REQUESTED
    services.update_debrief(
        debrief=drafted, by=other, expected_version=2, summary="S2", strengths="", improvements=""
    )
    services.submit_debrief(debrief=drafted, by=other)
    services.approve_debrief(debrief=drafted, by=second)
    drafted.refresh_from_db()
    assert drafted.status == Status.APPROVED
    assert drafted.approved_by == second
    with pytest.raises(ValidationError, match="approved; it cannot be edited"):
        services.update_debrief(
            debrief=drafted, by=other, expected_version=None, summary="x", strengths="", improvements=""
        )


def test_who_may_not_review_or_edit_learns_nothing_of_the_debriefs_state(world, drafted):
    # Refused before the state is checked: not "not waiting for review" (found by the access matrix).
    for who in (world.guard_a, world.admin_a, world.liaison_x):
        with pytest.raises(PermissionDenied):
            services.approve_debrief(debrief=drafted, by=who)
        with pytest.raises(PermissionDenied):
            services.request_changes(debrief=drafted, by=who, comment="No")
    drafted.status = Status.APPROVED
    drafted.save()
    with pytest.raises(PermissionDenied):
        services.update_debrief(
            debrief=drafted,
            by=world.guard_a,
            expected_version=None,
            summary="x",
            strengths="",
            improvements="",
        )
    with pytest.raises(PermissionDenied):
        services.contribute_as_agency(debrief=drafted, by=world.guard_a, text="x")


def test_refusals(world, drafted):
    with pytest.raises(ValidationError, match="not waiting for review"):
        services.approve_debrief(debrief=drafted, by=world.supervisor_a)
    with pytest.raises(PermissionDenied):
        services.update_debrief(
            debrief=drafted,
            by=world.guard_a,
            expected_version=None,
            summary="x",
            strengths="",
            improvements="",
        )
    with pytest.raises(PermissionDenied):
        services.update_debrief(
            debrief=drafted,
            by=world.supervisor_b,
            expected_version=None,
            summary="x",
            strengths="",
            improvements="",
        )
    services.update_debrief(
        debrief=drafted, by=world.supervisor_a, expected_version=1, summary="x", strengths="", improvements=""
    )
    with pytest.raises(ValidationError, match="changed this debrief"):
        services.update_debrief(
            debrief=drafted,
            by=world.supervisor_a,
            expected_version=1,
            summary="y",
            strengths="",
            improvements="",
        )
    drafted.refresh_from_db()
    drafted.summary = ""
    drafted.save()
    with pytest.raises(ValidationError):
        services.submit_debrief(debrief=drafted, by=world.supervisor_a)


def test_versions_after_approval_keep_the_approved_one(world, drafted):
    second = member(Role.SUPERVISOR, world.provider_a)
    services.submit_debrief(debrief=drafted, by=world.supervisor_a)
    services.approve_debrief(debrief=drafted, by=second)
    with pytest.raises(ValidationError):
        services.request_debrief(incident=drafted.incident, by=world.supervisor_a)
    revision = services.revise_debrief(debrief=drafted, by=world.supervisor_a)
    assert revision.version == 2
    assert revision.summary == drafted.summary
    services.draft_debrief(debrief=revision)
    revision.refresh_from_db()
    assert revision.status == Status.DRAFT
    drafted.refresh_from_db()
    assert drafted.status == Status.APPROVED
    assert [
        d.version
        for d in selectors.list_versions(incident_id=drafted.incident_id, for_user=world.supervisor_a)
    ] == [2, 1]


def test_the_agency_writes_its_part_and_sees_only_its_escalations(world, drafted):
    services.contribute_as_agency(debrief=drafted, by=world.liaison_x, text="Unit 12 arrived in 5 minutes")
    drafted.refresh_from_db()
    assert drafted.agency_contribution == "Unit 12 arrived in 5 minutes"
    with pytest.raises(PermissionDenied):
        services.contribute_as_agency(debrief=drafted, by=world.liaison_y, text="not ours")
    with pytest.raises(PermissionDenied):
        services.contribute_as_agency(debrief=drafted, by=world.supervisor_a, text="not theirs")
    assert policy.visible_debriefs(world.liaison_x).filter(pk=drafted.pk).exists()
    for outsider in (world.liaison_y, world.supervisor_b, world.guard_b):
        assert not policy.visible_debriefs(outsider).filter(pk=drafted.pk).exists()


def test_corrective_actions_and_the_overdue_list(world, drafted):
    incident = drafted.incident
    action = services.add_corrective_action(
        incident=incident,
        by=world.supervisor_a,
        what="Add a camera at door 3",
        owner=world.guard_a,
        due_date=timezone.localdate() + timedelta(days=7),
    )
    with pytest.raises(ValidationError):
        services.add_corrective_action(
            incident=incident,
            by=world.supervisor_a,
            what="x",
            owner=world.guard_a,
            due_date=timezone.localdate() - timedelta(days=1),
        )
    with pytest.raises(ValidationError):
        services.add_corrective_action(
            incident=incident,
            by=world.supervisor_a,
            what="x",
            owner=world.guard_b,
            due_date=timezone.localdate(),
        )
    CorrectiveAction.objects.filter(pk=action.pk).update(due_date=timezone.localdate() - timedelta(days=2))
    assert list(selectors.list_corrective_actions(for_user=world.supervisor_a, overdue=True)) == [action]
    assert not selectors.list_corrective_actions(for_user=world.supervisor_b, overdue=True).exists()
    with pytest.raises(ValidationError, match="verified"):
        services.update_corrective_action(action=action, by=world.guard_a, status="done")
    services.update_corrective_action(
        action=action, by=world.guard_a, status="done", verification="Camera seen working"
    )
    assert not selectors.list_corrective_actions(for_user=world.supervisor_a, overdue=True).exists()
    with pytest.raises(PermissionDenied):
        services.update_corrective_action(action=action, by=world.guard_b, status="open")


def test_the_library_finds_approved_debriefs_by_a_word(world, drafted):
    second = member(Role.SUPERVISOR, world.provider_a)
    services.update_debrief(
        debrief=drafted,
        by=world.supervisor_a,
        expected_version=1,
        summary="Shoplifting",
        strengths="",
        improvements="Lock the jacket rack",
    )
    services.submit_debrief(debrief=drafted, by=world.supervisor_a)
    assert not selectors.list_library(for_user=world.supervisor_a, text="rack").exists()
    services.approve_debrief(debrief=drafted, by=second)
    assert list(selectors.list_library(for_user=world.supervisor_a, text="rack")) == [drafted]
    assert not selectors.list_library(for_user=world.supervisor_b, text="rack").exists()


def test_the_pdf_carries_reference_version_intervals_and_actions(world, drafted):
    services.add_corrective_action(
        incident=drafted.incident,
        by=world.supervisor_a,
        what="Train staff on door 3",
        owner=world.guard_a,
        due_date=timezone.localdate(),
    )
    rendered = services.render_pdf(debrief=drafted)
    assert rendered.pdf_status == Debrief.Pdf.READY
    data = rendered.pdf.open("rb").read()
    assert hashlib.sha256(data).hexdigest() == rendered.pdf_sha256
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert drafted.incident.reference in text
    assert "debrief version 1" in text
    assert "Escalated → accepted" in text
    assert "Train staff on door 3" in text


def test_the_org_admin_approves_only_where_the_provider_chose_it(world, drafted):
    services.submit_debrief(debrief=drafted, by=world.supervisor_a)
    with pytest.raises(PermissionDenied, match="another supervisor"):
        services.approve_debrief(debrief=drafted, by=world.admin_a)
    drafted.refresh_from_db()
    assert drafted.status == Status.SUBMITTED
    world.provider_a.debrief_reviewers = Organization.DebriefReviewers.SUPERVISOR_OR_ADMIN
    world.provider_a.save()
    with pytest.raises(PermissionDenied, match="A second person must approve it"):
        services.approve_debrief(debrief=drafted, by=world.supervisor_a)
    with pytest.raises(PermissionDenied):
        services.approve_debrief(debrief=drafted, by=world.admin_b)
    services.approve_debrief(debrief=drafted, by=world.admin_a)
    drafted.refresh_from_db()
    assert drafted.status == Status.APPROVED
    assert drafted.approved_by == world.admin_a


def test_the_pdf_lists_every_timeline_entry_in_order_with_its_four_facts(world, drafted):
    """The PDF's timeline is laid out as blocks (not a table), with the same facts as the page's
    table: each entry's local time, who, what and detail, oldest first."""
    rendered = services.render_pdf(debrief=drafted)
    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(rendered.pdf.open("rb").read())).pages
    )
    rows = drafted.facts["timeline"]
    assert len(rows) >= 6
    assert any(row["detail"] for row in rows)
    flat = " ".join(text.split()).lower()  # the heading is set in capitals
    position = flat.index("time · who · what · detail")
    for row in rows:
        line = " · ".join(part for part in (row["local"], row["actor"], row["what"], row["detail"]) if part)
        found = flat.find(" ".join(line.split()).lower(), position)
        assert found > position, f"missing or out of order in the PDF: {line}"
        position = found
