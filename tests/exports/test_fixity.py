"""Evidence fixity: the periodic task re-hashes stored evidence a few files at a time, oldest check
first, records each result; a changed or missing copy alerts the platform's and the provider's admins
once, is audited, and is shown on the item's page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from exports.models import FixityCheck
from exports.services import check_fixity, sweep_fixity
from exports.tasks import sweep_fixity_task
from notifications.models import Kind, OutboxMessage
from portal.celery import app
from tests.exports.conftest import stored_path

pytestmark = pytest.mark.django_db


def test_the_sweep_checks_what_was_never_checked_and_records_each_match(escalated):
    result = sweep_fixity()

    assert (result.checked, result.problems) == (2, 0)
    assert result.bytes_read == escalated.photo.size + escalated.document.size
    for item in (escalated.photo, escalated.document):
        check = FixityCheck.objects.get(evidence=item)
        assert (check.result, check.sha256, check.size) == (FixityCheck.Result.MATCH, item.sha256, item.size)
    assert sweep_fixity().checked == 0  # each is due again only after FIXITY_INTERVAL_HOURS


def test_the_sweep_is_rate_limited_and_takes_the_oldest_check_first(escalated, settings):
    settings.FIXITY_FILES_PER_RUN = 1
    first = sweep_fixity()
    second = sweep_fixity()
    assert (first.checked, second.checked) == (1, 1)
    assert FixityCheck.objects.values("evidence").distinct().count() == 2

    FixityCheck.objects.update(checked_at=timezone.now() - timedelta(days=30))
    FixityCheck.objects.filter(evidence=escalated.document).update(
        checked_at=timezone.now() - timedelta(days=60)
    )
    sweep_fixity()
    assert FixityCheck.objects.order_by("-pk").first().evidence == escalated.document


def test_a_bytes_budget_stops_a_run_after_the_first_file(escalated, settings):
    settings.FIXITY_BYTES_PER_RUN = 1  # smaller than any file: one file per run, never none
    assert sweep_fixity().checked == 1


def test_a_changed_copy_alerts_the_platform_and_the_providers_admins_once_and_is_audited(escalated):
    world = escalated.world
    path = stored_path(escalated.photo)
    path.write_bytes(path.read_bytes() + b"tampered")

    check = check_fixity(evidence=escalated.photo)
    check_fixity(evidence=escalated.photo)  # the same finding again: nobody is told twice

    assert check.result == FixityCheck.Result.MISMATCH
    assert check.sha256 != escalated.photo.sha256
    told = OutboxMessage.objects.filter(kind=Kind.INTEGRITY)
    assert {m.recipient for m in told} == {world.platform, world.admin_a}
    assert (
        told.filter(recipient=world.admin_a).count()
        == told.filter(recipient=world.admin_a).values("channel").distinct().count()
    )
    assert "now hashes to" in told.first().payload["text"]
    record = AuditEvent.objects.filter(action="evidence.fixity_failed").first()
    assert (record.outcome, record.data["recorded"], record.data["computed"]) == (
        AuditEvent.Outcome.FAILURE,
        escalated.photo.sha256,
        check.sha256,
    )


def test_a_missing_copy_is_found_and_said(escalated):
    stored_path(escalated.document).unlink()

    check = check_fixity(evidence=escalated.document)

    assert check.result == FixityCheck.Result.MISSING
    assert (
        "is missing from storage" in OutboxMessage.objects.filter(kind=Kind.INTEGRITY).first().payload["text"]
    )


def test_the_items_page_shows_the_last_check(client, escalated):
    client.force_login(escalated.world.supervisor_a)
    url = reverse("incidents:evidence_detail", args=[escalated.photo.public_id])
    assert 'data-fixity="none"' in client.get(url).content.decode()

    check_fixity(evidence=escalated.photo)
    assert 'data-fixity="match"' in client.get(url).content.decode()

    path = stored_path(escalated.photo)
    path.write_bytes(b"x" + path.read_bytes()[1:])
    check = check_fixity(evidence=escalated.photo)
    page = client.get(url).content.decode()
    assert 'data-fixity="mismatch"' in page
    assert check.sha256 in page


def test_the_beat_runs_the_sweep(escalated):
    assert app.conf.beat_schedule["exports-sweep-fixity"]["task"] == sweep_fixity_task.name
    assert sweep_fixity_task.apply().get() == 2
