"""The audit-rewrite attacks of issue 13: each leaves a log that `manage.py verify_audit` refuses,
naming the first record altered, inserted or removed. On PostgreSQL the attacker first switches the
triggers off (as the superuser) or drops them (as the tables' owner); the application's own role can
do neither (test_app_role.py)."""

import logging
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit import services
from tests.audit import attacks


@pytest.fixture(autouse=True)
def _checkpoint_at_every_seal(settings):
    settings.AUDIT_CHECKPOINT_SECONDS = 0


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
    assert "intact: 5 records sealed and verified; checkpoint of" in capsys.readouterr().out


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


def test_cutting_the_tail_and_moving_the_head_back_is_named(world, caplog):
    events = records(world)
    attacks.anchor()
    first_cut = attacks.position(events[3])
    attacks.cut_tail(keep=3)
    refused("removed", first_cut)
    # New records reuse the ids removed; the sealer will not extend a chain cut short of its checkpoint.
    records(world, 2)
    with caplog.at_level(logging.ERROR, logger="watchpost.audit"):
        assert services.seal_records() == 0
    assert "does not reach checkpoint #5" in caplog.text
    refused("removed", first_cut)


def test_a_forged_row_appended_with_a_plain_insert_is_named_inserted(world):
    records(world)
    attacks.anchor()
    forged = attacks.forge(action="auth.login", actor_label=world.admin_a.email)
    refused("inserted", attacks.number(forged))
    # The sealer does not seal it either.
    attacks.anchor()
    refused("inserted", attacks.number(forged))


def test_a_genuine_record_copied_under_another_id_is_named_inserted(world):
    events = records(world)
    attacks.anchor()
    copy = attacks.replay(events[1])
    refused("inserted", attacks.number(copy))


def test_a_deleted_record_is_named_removed(world):
    events = records(world)
    attacks.anchor()
    attacks.delete(events[1])
    refused("removed", attacks.number(events[1]))


def test_removing_a_record_with_its_seal_and_renumbering_the_rest_is_named(world):
    events = records(world)
    attacks.anchor()
    attacks.remove_and_renumber(events[1])
    message = refused("altered", attacks.number(events[2]))
    assert "the chain was remade" in message


@pytest.mark.postgres
def test_truncate_is_refused(world):
    events = records(world)
    attacks.anchor()
    for table in ("audit_auditevent", "audit_auditseal"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"TRUNCATE {table}")
    assert services.verify().problem is None
    assert len(events) == 5


def test_truncating_with_the_trigger_dropped_and_resetting_is_named(world):
    events = records(world)
    attacks.anchor()
    first = attacks.position(events[0])
    attacks.drop_truncate_trigger()
    attacks.truncate_and_reset()
    records(world, 2)
    attacks.anchor()
    message = refused("removed", first)
    assert "the chain is empty, but the checkpoint of" in message
