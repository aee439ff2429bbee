from incidents import policy, services
from incidents.models import IncidentShare
from tests.factories import report


def test_an_agency_sees_only_what_was_shared_with_it(world):
    shared, kept = report(world.guard_a, world.a1), report(world.guard_a, world.a1)
    services.share_incident(incident=shared, agency=world.agency_x)
    assert list(policy.visible_incidents(world.liaison_x)) == [shared]
    assert list(policy.visible_incidents(world.admin_x)) == [shared]
    assert not policy.visible_incidents(world.liaison_y).exists()
    assert not policy.can_view_incident(world.liaison_x, kept)


def test_sharing_again_keeps_one_share(world):
    incident = report(world.guard_a, world.a1)
    services.share_incident(incident=incident, agency=world.agency_x)
    first = IncidentShare.objects.get(incident=incident)
    services.share_incident(incident=incident, agency=world.agency_x)
    assert list(IncidentShare.objects.filter(incident=incident)) == [first]


def test_only_supervisors_see_the_triage_queue(world):
    assert policy.can_see_triage_queue(world.supervisor_a)
    for who in ("guard_a", "admin_a", "liaison_x", "platform", "nobody"):
        assert not policy.can_see_triage_queue(getattr(world, who))
