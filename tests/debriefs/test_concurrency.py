"""Two ways to start an incident's debrief at once, on PostgreSQL: the supervisor's "Request a
debrief" while the closing's follow-up (or a drill's) is creating version 1. Both take the incident's
row lock, so the second waits and finds the first's debrief instead of failing on the unique version
(an IntegrityError, a 500 for the supervisor; seen in CI as a browser test's setup failing)."""

import threading
import time

import pytest
from django.db import connection, transaction

from debriefs import services as debrief_services
from debriefs.models import Debrief
from incidents.models import Incident
from tests.factories import report


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_requesting_a_debrief_while_a_worker_creates_one_waits_and_finds_it(world):
    incident = report(world.guard_a, world.a1)
    created = threading.Event()
    outcome: dict[str, object] = {}

    def worker_creates_version_one() -> None:
        # What the follow-up does: lock the incident's row, then create version 1; it commits late.
        try:
            with transaction.atomic():
                Incident.objects.select_for_update().get(pk=incident.pk)
                Debrief.objects.create(incident=incident, status=Debrief.Status.GENERATING)
                created.set()
                time.sleep(0.5)
        finally:
            connection.close()

    def supervisor_requests() -> None:
        created.wait(5)
        try:
            outcome["debrief"] = debrief_services.request_debrief(incident=incident, by=world.supervisor_a)
        except BaseException as error:
            outcome["error"] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker_creates_version_one),
        threading.Thread(target=supervisor_requests),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "error" not in outcome, outcome.get("error")
    assert incident.debriefs.count() == 1
    assert outcome["debrief"] == incident.debriefs.get()
