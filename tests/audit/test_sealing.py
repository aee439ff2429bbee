"""The sealer and the checkpoints: records appended concurrently are all sealed in order, without
gaps; a record committed late is sealed in a later batch; checkpoints land outside the database,
at intervals, and verify_audit holds the chain against them."""

import json
import logging
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from audit import chain, checkpoints, services, tasks
from audit.models import AuditEvent, AuditPending, AuditSeal
from portal.celery import app
from tests.audit import attacks


def sealed_in_order():
    return list(AuditSeal.objects.order_by("seq").values_list("seq", "record_id"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_appends_are_all_sealed_gapless_by_one_sealer_at_a_time():
    appenders, each = 8, 25
    done = threading.Event()
    failures = []

    def append(worker):
        try:
            for n in range(each):
                with transaction.atomic():
                    services.record(action="test.concurrent", worker=worker, n=n)
                connection.close()  # back to the pool, so that every thread gets a turn
        except Exception as error:  # reported below: a thread's exception would vanish
            failures.append(error)
            raise
        finally:
            connection.close()

    def seal():
        try:
            while not done.is_set():
                services.seal_records()
        except Exception as error:
            failures.append(error)
            raise
        finally:
            connection.close()

    sealers = [threading.Thread(target=seal) for _ in range(2)]
    threads = [threading.Thread(target=append, args=(worker,)) for worker in range(appenders)]
    for thread in sealers + threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    for thread in sealers:
        thread.join()
    assert failures == []
    services.seal_records()
    seals = sealed_in_order()
    assert [seq for seq, _ in seals] == list(range(1, appenders * each + 1))
    assert {record for _, record in seals} == set(AuditEvent.objects.values_list("id", flat=True))
    verification = services.verify()
    assert (verification.problem, verification.sealed, verification.unsealed) == (None, appenders * each, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_record_committed_late_is_sealed_in_a_later_batch():
    written, release, late = threading.Event(), threading.Event(), []

    def slow_transaction():
        try:
            with transaction.atomic():
                late.append(services.record(action="test.late"))
                written.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_transaction)
    thread.start()
    written.wait(10)
    quick = services.record(action="test.quick")
    assert services.seal_records() == 1
    release.set()
    thread.join()
    assert services.seal_records() == 1
    assert late[0].pk < quick.pk
    assert sealed_in_order() == [(1, quick.pk), (2, late[0].pk)]
    assert services.verify().problem is None


def test_a_record_kept_from_the_sealer_is_reported(world, capsys):
    services.record(action="test.first")
    services.seal_records()
    # Written with the key two minutes ago, but its pending row was deleted (the application's role
    # may): the sealer never sees it, and verify_audit says so.
    two_minutes_ago = timezone.now() - timedelta(minutes=2)
    held = AuditEvent(id=services._next_ids(1)[0], at=two_minutes_ago, action="test.held")
    held.mac = chain.record_mac(settings.AUDIT_KEY, held)
    held.save(force_insert=True)
    assert services.seal_records() == 0
    verification = services.verify()
    assert (verification.problem, verification.sealed, verification.unsealed, verification.stale) == (
        None,
        1,
        1,
        1,
    )
    call_command("verify_audit")
    assert "1 records are older than 30 s and not sealed yet" in capsys.readouterr().err


def test_pending_rows_a_database_writer_added_are_dropped_not_sealed(world, caplog):
    sealed = services.record(action="test.sealed")
    services.seal_records()
    forged = attacks.forge(action="test.forged")
    for record_id in (sealed.pk, forged.pk, 10**9):
        AuditPending.objects.get_or_create(record_id=record_id)
    with caplog.at_level(logging.ERROR, logger="watchpost.audit"):
        assert services.seal_records() == 0
    assert "2 audit records waiting for their seal have no valid MAC" in caplog.text
    assert not AuditPending.objects.exists()
    assert sealed_in_order() == [(1, sealed.pk)]


def test_checkpoints_are_appended_outside_the_database_at_intervals(
    world, settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_CHECKPOINT_SECONDS = 3600
    for round_ in range(2):
        services.record(action="test.event", n=round_)
        with django_capture_on_commit_callbacks(execute=True):
            services.seal_records()
    lines = settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()
    assert len(lines) == 1  # the second seal came within the interval
    written = json.loads(lines[0])
    assert (written["seq"], written["hash"]) == (1, AuditSeal.objects.get(seq=1).hash)
    assert checkpoints.latest().seq == 1
    settings.AUDIT_CHECKPOINT_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        services.seal_records()  # nothing new, but the head moved since the last checkpoint
    assert checkpoints.latest().seq == 2
    assert len(settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()) == 2


def test_verify_audit_reads_a_syslog_copy_and_ignores_forged_lines(world, settings, tmp_path, capsys):
    settings.AUDIT_CHECKPOINT_SECONDS = 0
    for n in range(3):
        services.record(action="test.event", n=n)
    services.seal_records()
    head = AuditSeal.objects.order_by("-seq").first()
    genuine = checkpoints.Checkpoint(seq=head.seq, hash=head.hash, at=timezone.now()).line()
    forged = json.loads(genuine) | {"seq": 99}
    copy = tmp_path / "syslog"
    copy.write_text(
        "Dec  1 10:00:00 worker-1 celery: some other line\n"
        f"Dec  1 10:00:02 worker-1 watchpost: audit checkpoint {genuine}\n"
        f"Dec  1 10:00:04 worker-1 watchpost: audit checkpoint {json.dumps(forged)}\n"
    )
    call_command("verify_audit", "--checkpoints", str(copy))
    captured = capsys.readouterr()
    assert f"checkpoint of {json.loads(genuine)['at']} at seal #3 matches" in captured.out
    assert "1 lines of" in captured.err
    assert "MAC does not hold" in captured.err
    with pytest.raises(CommandError, match="no such file"):
        call_command("verify_audit", "--checkpoints", str(tmp_path / "missing"))


def test_verify_audit_warns_without_a_checkpoint_and_about_records_the_sealer_left(world, capsys):
    services.record(action="test.event")  # unsealed, but recent: no warning about the sealer
    call_command("verify_audit")
    captured = capsys.readouterr()
    assert "0 records sealed and verified; 1 awaiting the sealer" in captured.out
    assert "no valid checkpoint" in captured.err
    assert "not sealed yet" not in captured.err


def test_the_sealer_runs_on_the_beat_schedule(world):
    entry = next(entry for entry in app.conf.beat_schedule.values() if entry["task"] == "audit.seal_records")
    assert entry["schedule"] <= 5
    services.record(action="test.event")
    assert tasks.seal_records.apply().get() == 1
