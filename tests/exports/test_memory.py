"""A bundle larger than the worker's memory: the build task runs in a process whose address space is
capped below the bundle's size (resource.setrlimit), and so does the verifier. Both stream."""

import hashlib
import json
import os
import subprocess
import sys
import textwrap

import pytest
from django.utils import timezone

from dispatch import services as dispatch_services
from exports import services
from exports.models import Bundle
from incidents.models import Evidence
from tests.factories import report
from tests.incidents.evidence_samples import ORIGIN
from tests.processes import ROOT, base_environ, database_url

LIMIT = 256 * 1024 * 1024  # the worker's address space: Django with the app loaded takes about 140 MB
VIDEO = 320 * 1024 * 1024  # one evidence file larger than all of it
CHILD = textwrap.dedent(
    """
    import json, os, resource, sys
    limit, bundle_id = int(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        bytearray(limit)  # the cap holds: the bundle could never be held in memory whole
    except MemoryError:
        capped = True
    else:
        capped = False
    import django
    django.setup()
    from exports import signing, verifier
    from exports.models import Bundle, export_storage
    from exports.tasks import build_bundle_task
    build_bundle_task(bundle_id)
    bundle = Bundle.objects.get(pk=bundle_id)
    path = export_storage.path(bundle.file.name) if bundle.file else ""
    checked = verifier.verify(path, key_pem=signing.public_key_pem()).lines if path else []
    peak = int(open("/proc/self/status").read().split("VmPeak:")[1].split()[0]) * 1024
    print(json.dumps({"capped": capped, "status": bundle.status, "error": bundle.error, "path": path,
                      "checked": len(checked), "peak": peak}))
    """
)


def _write_video(path, size: int) -> str:
    """A large file written and hashed in pieces (as an upload would have been)."""
    digest, block = hashlib.sha256(), os.urandom(1024 * 1024)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        for index in range(size // len(block)):
            piece = bytes([index % 256]) + block[1:]
            digest.update(piece)
            file.write(piece)
    return digest.hexdigest()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_bundle_larger_than_the_workers_memory_is_streamed(world, signing_key, settings):
    incident = report(world.guard_a, world.a1, narrative="Night camera")
    dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a, reason="Footage")
    name = "originals/2026/12/night-camera.mp4"
    sha256 = _write_video(settings.EVIDENCE_ROOT / name, VIDEO)
    Evidence.objects.create(
        incident=incident,
        uploaded_by=world.guard_a,
        uploaded_at=timezone.now(),
        kind=Evidence.Kind.VIDEO,
        content_type="video/mp4",
        original_name="night camera.mp4",
        size=VIDEO,
        sha256=sha256,
        file=name,
    )
    bundle = services.request_bundle(incident=incident, by=world.liaison_x, purpose="Case 77", origin=ORIGIN)

    env = base_environ(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=database_url(),
        EVIDENCE_ROOT=str(settings.EVIDENCE_ROOT),
        EXPORTS_ROOT=str(settings.EXPORTS_ROOT),
        EXPORT_SIGNING_KEY_FILE=str(settings.EXPORT_SIGNING_KEY_FILE),
        CELERY_TASK_ALWAYS_EAGER="true",
    )
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(LIMIT), str(bundle.pk)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["capped"] is True
    assert (result["status"], result["error"]) == (Bundle.Status.READY, "")
    assert os.path.getsize(result["path"]) > LIMIT
    assert result["peak"] <= LIMIT
    assert result["checked"] > 0
    assert Bundle.objects.get(pk=bundle.pk).bytes_done == VIDEO
