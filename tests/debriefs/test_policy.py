from debriefs import policy


def test_debriefs_are_for_members_and_the_review_queue_for_supervisors(world):
    for who in ("guard_a", "supervisor_a", "admin_a", "liaison_x", "admin_x"):
        assert policy.can_open_debriefs(getattr(world, who))
    assert not policy.can_open_debriefs(world.platform)
    assert not policy.can_open_debriefs(world.nobody)
    assert policy.can_see_review_queue(world.supervisor_a)
    for who in ("guard_a", "admin_a", "liaison_x", "platform", "nobody"):
        assert not policy.can_see_review_queue(getattr(world, who))
