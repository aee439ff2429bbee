"""The resume sweep: a bundle whose build task was lost, or whose worker died mid-build and went
silent past its lease, is queued again and built; a build still reporting progress is left alone."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from exports import services
from exports.models import Bundle, export_storage
from exports.tasks import resume_stalled_task
from incidents.models import CustodyEvent
from tests.exports.helpers import manifest_of
from tests.incidents.evidence_samples import ORIGIN

pytestmark = pytest.mark.django_db


def _requested(case, capture) -> Bundle:
    """A bundle asked for whose task never ran (the broker lost it)."""
    with capture(execute=False):
        bundle = services.request_bundle(
            incident=case.incident, by=case.world.supervisor_a, purpose="Case 26-0412", origin=ORIGIN
        )
    return bundle


def _died_mid_build(bundle: Bundle, *, silent_for: timedelta) -> None:
    """What a worker killed halfway leaves: the row says 'being built', with its last progress."""
    Bundle.objects.filter(pk=bundle.pk).update(
        status=Bundle.Status.BUILDING,
        files_total=2,
        files_done=1,
        bytes_total=1000,
        bytes_done=400,
        heartbeat_at=timezone.now() - silent_for,
    )


def test_a_bundle_whose_worker_died_mid_build_is_built_again_by_the_sweep(
    escalated, django_capture_on_commit_callbacks
):
    bundle = _requested(escalated, django_capture_on_commit_callbacks)
    _died_mid_build(bundle, silent_for=services.BUILD_LEASE + timedelta(seconds=30))

    with django_capture_on_commit_callbacks(execute=True):
        assert resume_stalled_task() == 1

    bundle.refresh_from_db()
    assert bundle.status == Bundle.Status.READY, bundle.error
    assert (bundle.files_done, bundle.files_total) == (2, 2)
    assert bundle.percent == 100
    files = manifest_of(Path(export_storage.path(bundle.file.name)))["files"]
    assert sorted(entry["evidence_id"] for entry in files if entry["kind"] == "evidence") == sorted(
        str(item.public_id) for item in (escalated.photo, escalated.document)
    )
    assert CustodyEvent.objects.filter(action=CustodyEvent.Action.EXPORTED).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert services.resume_stalled() == 0


def test_a_build_still_reporting_progress_is_not_queued_twice(escalated, django_capture_on_commit_callbacks):
    bundle = _requested(escalated, django_capture_on_commit_callbacks)
    _died_mid_build(bundle, silent_for=services.BUILD_LEASE - timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.resume_stalled() == 0

    bundle.refresh_from_db()
    assert (bundle.status, bundle.files_done) == (Bundle.Status.BUILDING, 1)


def test_the_build_records_its_heartbeat_as_it_goes(escalated, django_capture_on_commit_callbacks):
    before = timezone.now()
    bundle = _requested(escalated, django_capture_on_commit_callbacks)

    built = services.build_bundle(bundle=bundle)

    assert built.status == Bundle.Status.READY
    assert built.heartbeat_at is not None
    assert built.heartbeat_at >= before
