"""Rejection causes (ASAP-shaped) and the verification level (AVS-01-shaped) on escalations."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dispatch import selectors, services
from dispatch.models import Escalation, RejectionCause, VerificationLevel
from incidents import services as incident_services
from incidents.models import Category
from tests.factories import report
from tests.incidents.evidence_samples import ORIGIN, jpeg

pytestmark = pytest.mark.django_db


def escalate(world, **fields):
    return services.escalate_incident(
        incident=report(world.guard_a, world.a1, **fields), by=world.supervisor_a
    )


def test_the_level_is_suggested_from_what_the_report_holds(world):
    alarm = escalate(
        world, category=Category.objects.get(code="alarm"), narrative="Zone 4 alarm, nobody on site."
    )
    assert alarm.verification_level == VerificationLevel.UNVERIFIED
    seen = escalate(world, narrative="I watched a man climb the fence.")
    assert seen.verification_level == VerificationLevel.EYES_ON
    with_suspect = report(
        world.guard_a,
        world.a1,
        parties=[incident_services.PartyInput(role="subject", description="Tall, red cap")],
    )
    assert services.escalate_incident(incident=with_suspect, by=world.supervisor_a).verification_level == 3
    weapon = escalate(world, narrative="He showed a knife to the cashier.")
    assert weapon.verification_level == VerificationLevel.THREAT_TO_LIFE
    injured = escalate(world, narrative="A customer is injured and bleeding.")
    assert injured.verification_suggested == VerificationLevel.THREAT_TO_LIFE


def test_a_photo_counts_as_eyes_on_an_alarm(world):
    incident = report(
        world.guard_a, world.a1, category=Category.objects.get(code="alarm"), narrative="Alarm."
    )
    incident_services.add_evidence(
        incident=incident,
        by=world.guard_a,
        upload=SimpleUploadedFile("cam.jpg", jpeg((64, 48)), "image/jpeg"),
        client_sha256=None,
        origin=ORIGIN,
    )
    level, reasons = selectors.suggest_verification(incident)
    assert (level, reasons) == (VerificationLevel.EYES_ON, ["photo or video attached"])


def test_the_supervisor_confirms_or_overrides_it(world):
    escalation = escalate(world, narrative="I watched a man climb the fence.")
    for person in (world.guard_a, world.liaison_x, world.supervisor_b):
        with pytest.raises(PermissionDenied):
            services.confirm_verification(escalation=escalation, by=person, level=4)
    with pytest.raises(ValidationError):
        services.confirm_verification(escalation=escalation, by=world.supervisor_a, level="9")
    confirmed = services.confirm_verification(escalation=escalation, by=world.supervisor_a, level="3")
    assert (confirmed.verification_level, confirmed.verification_suggested) == (3, 2)
    assert confirmed.verification_confirmed_by == world.supervisor_a
    assert confirmed.board_events.order_by("sequence").last().name == "escalation.verified"


def test_the_board_orders_by_level_after_panics(world):
    low = escalate(world, severity=1, narrative="Zone alarm.", category=Category.objects.get(code="alarm"))
    high = escalate(world, severity=3, narrative="He has a knife.")
    middle = escalate(world, severity=2, narrative="I saw him at the door.")
    panic = services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4()).escalation
    order = list(selectors.list_board_escalations(for_user=world.liaison_x))
    assert order == [panic, high, middle, low]
    services.confirm_verification(escalation=low, by=world.supervisor_a, level=4)
    order = list(selectors.list_board_escalations(for_user=world.liaison_x))
    assert order[:2] == [panic, low]  # level 4, severity 1 before level 4, severity 3


def test_a_rejection_takes_a_cause_shown_to_the_provider(client, world):
    escalation = escalate(world)
    with pytest.raises(ValidationError):
        services.reject_escalation(escalation=escalation, by=world.liaison_x, reason="", cause="other")
    with pytest.raises(ValidationError):
        services.reject_escalation(escalation=escalation, by=world.liaison_x, reason="", cause="bored")
    assert Escalation.objects.get(pk=escalation.pk).status == Escalation.Status.REQUESTED
    rejected = services.reject_escalation(
        escalation=escalation, by=world.liaison_x, reason="", cause=RejectionCause.OUTSIDE_JURISDICTION
    )
    assert rejected.rejection_cause == "outside_jurisdiction"
    client.force_login(world.supervisor_a)
    page = client.get(reverse("incidents:detail", kwargs={"incident_id": escalation.incident.public_id}))
    assert "Wrong address or outside our jurisdiction" in page.content.decode()


def test_the_board_form_and_the_api_take_the_cause(client, world):
    escalation = escalate(world)
    client.force_login(world.liaison_x)
    url = reverse("dispatch:act", kwargs={"escalation_id": escalation.public_id, "action": "reject"})
    client.post(url, {"cause": "duplicate", "reason": ""})
    assert Escalation.objects.get(pk=escalation.pk).rejection_cause == "duplicate"
    other = escalate(world)
    response = client.post(
        f"/api/v1/escalations/{other.public_id}/steps/reject/",
        {"cause": "too_old"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["rejection_cause"] == "too_old"
