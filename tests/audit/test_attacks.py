"""The audit-rewrite attacks of issue 13: each leaves a log that `manage.py verify_audit` refuses,
naming the first record altered, inserted or removed."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit import services
from tests.audit import attacks


def records(world, count=5):
    return [services.record(action="test.event", actor=world.guard_a, n=n) for n in range(count)]


def refused(kind, number):
    """verify_audit fails, naming ``number`` first and calling it ``kind``."""
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit")
    message = str(failure.value)
    assert re.search(rf"#{number}\b", message), message
    assert kind in message, message
    return message


def test_an_intact_log_verifies(world, capsys):
    records(world)
    attacks.anchor()
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out


def test_an_edited_record_is_named_altered(world):
    events = records(world)
    attacks.anchor()
    attacks.edit(events[2], actor_label="someone@else")
    refused("altered", attacks.number(events[2]))


def test_rechaining_after_an_edit_without_the_key_is_named(world):
    events = records(world)
    attacks.anchor()
    attacks.edit(events[2], actor_label="someone@else")
    events[2].refresh_from_db()
    attacks.rechain_from(events[2])
    refused("altered", attacks.number(events[2]))


def test_cutting_the_tail_and_moving_the_head_back_is_named(world):
    events = records(world)
    attacks.anchor()
    attacks.cut_tail(keep=3)
    refused("removed", attacks.position(events[3]))


def test_a_forged_row_appended_with_a_plain_insert_is_named_inserted(world):
    records(world)
    attacks.anchor()
    forged = attacks.forge(action="auth.login", actor_label=world.admin_a.email)
    refused("inserted", attacks.number(forged))


def test_a_deleted_record_is_named_removed(world):
    events = records(world)
    attacks.anchor()
    attacks.delete(events[1])
    refused("removed", attacks.number(events[1]))


@pytest.mark.postgres
def test_truncate_is_refused(world):
    events = records(world)
    for table in ("audit_auditevent",):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"TRUNCATE {table}")
    assert services.verify()[1] is None
    assert len(events) == 5


def test_truncating_with_the_trigger_dropped_and_resetting_is_named(world):
    events = records(world)
    attacks.anchor()
    attacks.drop_truncate_trigger()
    attacks.truncate_and_reset()
    records(world, 2)
    refused("removed", attacks.position(events[0]))
