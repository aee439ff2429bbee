"""Post orders and ERPs: versions, sanitized text, the agency's approval freezes a version, guards'
acknowledgements (asked for at their next sign-in), and the incident page's matching plan."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from dispatch import services as dispatch_services
from dispatch.models import RejectionCause, SiteFallback
from incidents.models import Category
from preparedness import selectors, services
from preparedness.models import Plan, PlanVersion, Scenario
from tests.factories import AgencyFactory, member, report

Status = PlanVersion.Status


@pytest.fixture
def erp(world):
    return services.create_plan(
        by=world.supervisor_a,
        site=world.a1,
        kind=Plan.Kind.ERP,
        scenario=Scenario.FIRE,
        title="Fire: north wing",
        categories=[Category.objects.get(code="theft")],
        sections=[("Raise the alarm", "<p>Press the <strong>red</strong> button.</p>")],
    )


def _approved(world, plan):
    version = selectors.latest_version(plan)
    services.submit_for_approval(version=version, by=world.supervisor_a)
    return services.approve_version(version=version, by=world.liaison_x)


def test_rich_text_is_sanitized_never_kept_raw(world):
    plan = services.create_plan(
        by=world.supervisor_a,
        site=world.a1,
        kind=Plan.Kind.POST_ORDERS,
        title="Post orders",
        sections=[
            (
                "Gate",
                '<p onclick="steal()">Check badges</p><script>alert(1)</script>'
                '<a href="javascript:alert(1)">x</a><a href="https://example.org">ok</a>'
                "<img src=x onerror=alert(1)>",
            )
        ],
    )
    html = plan.versions.get().sections[0]["html"]
    assert "<script" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert "<img" not in html
    assert "<p>Check badges</p>" in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer"' in html


def test_an_erp_is_approved_by_the_agency_and_then_frozen(world, erp):
    version = erp.versions.get()
    with pytest.raises(PermissionDenied):
        services.approve_version(
            version=version, by=world.liaison_x
        )  # not sent yet: the agency cannot see it
    services.submit_for_approval(version=version, by=world.supervisor_a)
    services.comment_on_version(version=version, by=world.liaison_x, comment="Name the assembly point.")
    for outsider in (world.supervisor_a, world.liaison_y, world.guard_a):
        with pytest.raises(PermissionDenied):
            services.approve_version(version=version, by=outsider)
    services.approve_version(version=version, by=world.liaison_x)
    version.refresh_from_db()
    assert version.status == Status.APPROVED
    assert version.in_force_by == world.liaison_x
    assert selectors.current_version(erp) == version
    with pytest.raises(ValidationError, match="write a new version"):
        services.edit_version(version=version, by=world.supervisor_a, sections=[("New", "<p>x</p>")])
    assert version.sections[0]["heading"] == "Raise the alarm"


def test_a_new_version_needs_a_new_approval_and_the_old_stays_in_force_meanwhile(world, erp):
    first = _approved(world, erp)
    second = services.start_new_version(plan=erp, by=world.supervisor_a)
    services.edit_version(
        version=second, by=world.supervisor_a, sections=[("Raise the alarm", "<p>Call 112.</p>")]
    )
    assert selectors.current_version(erp) == first
    with pytest.raises(ValidationError, match="not in force yet"):
        services.start_new_version(plan=erp, by=world.supervisor_a)
    services.submit_for_approval(version=second, by=world.supervisor_a)
    services.return_version(version=second, by=world.liaison_x, comment="Add the floor plan.")
    second.refresh_from_db()
    assert second.status == Status.DRAFT
    assert selectors.current_version(erp) == first
    services.submit_for_approval(version=second, by=world.supervisor_a)
    services.approve_version(version=second, by=world.liaison_x)
    assert selectors.current_version(erp) == second
    first.refresh_from_db()
    assert first.sections[0]["html"] == "<p>Press the <strong>red</strong> button.</p>"  # kept as approved


def test_attachments_are_pdfs_checked_by_content_on_drafts_only(world, erp):
    version = erp.versions.get()
    with pytest.raises(ValidationError, match="not a PDF"):
        services.attach_file(
            version=version, by=world.supervisor_a, upload=SimpleUploadedFile("plan.pdf", b"<html>not a pdf")
        )
    made = services.attach_file(
        version=version, by=world.supervisor_a, upload=SimpleUploadedFile("map.pdf", b"%PDF-1.4 floor plan")
    )
    assert made.size == 19
    assert len(made.sha256) == 64
    _approved(world, erp)
    with pytest.raises(ValidationError, match="frozen"):
        services.attach_file(
            version=version, by=world.supervisor_a, upload=SimpleUploadedFile("b.pdf", b"%PDF-1.4 b")
        )


def test_guards_acknowledge_the_version_in_force_and_supervisors_see_who_has_not(world, erp):
    other = member("guard", world.provider_a, sites=(world.a1,))
    version = _approved(world, erp)
    assert list(selectors.pending_acknowledgements(user=world.guard_a)) == [version]
    services.acknowledge_version(version=version, by=world.guard_a)
    services.acknowledge_version(version=version, by=world.guard_a)  # again: nothing changes
    assert version.acknowledgements.count() == 1
    assert not selectors.pending_acknowledgements(user=world.guard_a).exists()
    rows = {row.user: row.at for row in selectors.acknowledgement_rows(version=version)}
    assert rows[world.guard_a] is not None
    assert rows[other] is None
    with pytest.raises(PermissionDenied):
        services.acknowledge_version(version=version, by=world.guard_b)  # not at the site
    second = services.start_new_version(plan=erp, by=world.supervisor_a)
    services.submit_for_approval(version=second, by=world.supervisor_a)
    services.approve_version(version=second, by=world.liaison_x)
    assert list(selectors.pending_acknowledgements(user=world.guard_a)) == [second]
    with pytest.raises(ValidationError, match="newer version"):
        services.acknowledge_version(version=version, by=other)


def test_a_guard_is_asked_to_acknowledge_at_the_next_sign_in_but_never_held_from_the_panic(
    world, erp, client
):
    version = _approved(world, erp)
    world.guard_a.set_password("pw-guard-123")
    world.guard_a.save()
    assert (
        client.post(
            "/accounts/login/", {"login": world.guard_a.email, "password": "pw-guard-123"}
        ).status_code
        == 302
    )
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/preparedness/acknowledge/"
    page = client.get("/preparedness/acknowledge/").content.decode()
    assert "Fire: north wing" in page
    assert "Press the <strong>red</strong> button." in page
    assert client.get("/api/v1/sites/").status_code == 200
    client.post(
        f"/preparedness/plans/{erp.public_id}/versions/{version.public_id}/acknowledge/",
        {"next": "acknowledge"},
    )
    assert client.get("/").status_code == 200


def test_the_incident_page_offers_the_matching_erp_to_those_working_it(world, erp, client):
    version = _approved(world, erp)
    incident = report(world.guard_a, world.a1)  # theft: the plan's category
    services.acknowledge_version(version=version, by=world.guard_a)  # else the sign-in asks for it first
    client.force_login(world.guard_a)
    page = client.get(f"/incidents/{incident.public_id}/").content.decode()
    assert "Emergency response plan" in page
    assert f"/preparedness/plans/{erp.public_id}/" in page
    assert f"version {version.number}" in page
    other = report(
        world.guard_a, world.a1, category=Category.objects.exclude(code__in=["theft", "panic"]).first()
    )
    assert "Emergency response plan" not in client.get(f"/incidents/{other.public_id}/").content.decode()


def test_a_draft_stays_with_the_provider(world, erp, client):
    client.force_login(world.liaison_x)
    page = client.get(f"/preparedness/plans/{erp.public_id}/").content.decode()
    assert "Raise the alarm" not in page
    client.force_login(world.liaison_y)
    assert client.get(f"/preparedness/plans/{erp.public_id}/").status_code == 404


def test_every_one_working_the_incident_is_offered_the_erp_the_police_too(world, erp, client):
    """The site's supervisor and the liaison of the mutual-aid agency it went to next (outside the
    partnering agency's jurisdiction) see the plan in force; the partnering agency, whose rejection
    ended its share (README, "Who sees what"), and an agency the incident never reached do not."""
    version = _approved(world, erp)
    incident = report(world.guard_a, world.a1)  # theft: the plan's category
    SiteFallback.objects.create(site=world.a1, agency=world.agency_y, position=1)
    escalation = dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a)
    rejected = dispatch_services.reject_escalation(
        escalation=escalation, by=world.liaison_x, reason="", cause=RejectionCause.OUTSIDE_JURISDICTION
    )
    client.force_login(world.liaison_y)
    assert client.get(f"/preparedness/plans/{erp.public_id}/").status_code == 404  # not yet
    dispatch_services.reescalate_to_fallback(escalation=rejected, by=world.supervisor_a)
    client.force_login(world.liaison_x)
    assert client.get(f"/incidents/{incident.public_id}/").status_code == 404
    for user in (world.supervisor_a, world.liaison_y):
        client.force_login(user)
        page = client.get(f"/incidents/{incident.public_id}/").content.decode()
        assert f"/preparedness/plans/{erp.public_id}/" in page, user
        assert f"version {version.number}" in page
        plan_page = client.get(f"/preparedness/plans/{erp.public_id}/")
        assert plan_page.status_code == 200
        assert b"Raise the alarm" in plan_page.content
    client.force_login(member(Role.LIAISON, AgencyFactory(name="Agency Q")))
    assert client.get(f"/preparedness/plans/{erp.public_id}/").status_code == 404
    # The mutual-aid agency reads the plan; the site's own agency reviews it.
    draft = services.start_new_version(plan=erp, by=world.supervisor_a)
    services.submit_for_approval(version=draft, by=world.supervisor_a)
    with pytest.raises(PermissionDenied):
        services.approve_version(version=draft, by=world.liaison_y)
