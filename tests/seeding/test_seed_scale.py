"""seed_scale: the benchmarks' scale data, written with COPY, searchable, and safe to run again."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from accounts.models import Role, User
from analytics import counts
from analytics.selectors import get_trends, trends_from_incidents
from dispatch.models import BoardCursor, BoardEvent, Escalation
from incidents import policy as incident_policy
from incidents import selectors
from incidents.models import Incident, ReferenceCounter, TimelineEntry
from seeding import scale

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def seed(count: int, **options) -> str:
    out = io.StringIO()
    call_command("seed_scale", incidents=count, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_it_writes_incidents_with_their_timelines_and_references_the_services_continue():
    seed(400)
    incidents = scale.scale_incidents()
    assert incidents.count() == 400
    assert len(set(incidents.values_list("reference", flat=True))) == 400
    assert TimelineEntry.objects.filter(incident__in=incidents).count() >= 2 * 400 * 0.9
    first = incidents.order_by("pk").first()
    assert first is not None
    assert first.reference in first.search_document
    assert first.narrative in first.search_document
    year = first.received_at.year
    highest = max(
        int(r.rsplit("-", 1)[1])
        for r in incidents.filter(reference__startswith=f"WP-{year}-").values_list("reference", flat=True)
    )
    assert ReferenceCounter.objects.get(year=year).last >= highest
    for agency_id, last in BoardCursor.objects.values_list("agency_id", "last"):
        assert BoardEvent.objects.filter(agency_id=agency_id).count() == last
    assert Escalation.objects.filter(incident__in=incidents).exists()


def test_each_agency_sees_what_was_escalated_to_it():
    seed(400)
    escalations = Escalation.objects.filter(incident__in=scale.scale_incidents()).select_related("agency")
    assert escalations.exists()
    for escalation in escalations:
        liaison = User.objects.filter(
            membership__organization=escalation.agency, membership__role=Role.LIAISON
        ).first()
        assert incident_policy.can_view_incident(liaison, escalation.incident)


def test_search_finds_the_generated_text_through_the_selector():
    seed(300)
    supervisor = User.objects.filter(
        membership__organization__name=f"{scale.PREFIX} Provider 1", membership__role=Role.SUPERVISOR
    ).first()
    visible = selectors.list_incidents(for_user=supervisor)
    word_hits = selectors.search(visible, "seen")
    assert 0 < word_hits.count() <= visible.count()
    one = visible.first()
    assert list(selectors.search(visible, one.reference)) == [one]


def test_running_again_changes_nothing_and_another_count_needs_reset():
    seed(50)
    assert "nothing to do" in seed(50)
    with pytest.raises(CommandError, match="--reset"):
        seed(60)
    seed(60, reset=True)
    assert scale.scale_incidents().count() == 60
    assert Incident.objects.count() == 60


def test_a_top_up_adds_the_rest_with_their_own_ids_tenants_and_search_vectors():
    seed(150)
    first_ids = set(scale.scale_incidents().values_list("public_id", flat=True))
    assert "Added" in seed(400, top_up=True)
    incidents = scale.scale_incidents()
    assert incidents.count() == 400
    assert len(set(incidents.values_list("public_id", flat=True))) == 400
    assert first_ids < set(incidents.values_list("public_id", flat=True))
    assert not incidents.exclude(provider_id=F("site__provider_id")).exists()
    assert not incidents.filter(search_vector__isnull=True).exists()  # the trigger fills it on COPY
    escalations = Escalation.objects.filter(incident__in=incidents)
    assert escalations.exists()
    assert not escalations.exclude(provider_id=F("incident__provider_id")).exists()


def test_the_trends_rollup_counts_what_was_written_and_topped_up():
    """COPY passes no follow-up: seed_scale counts its incidents into the trends' rollup itself."""
    seed(400)
    supervisor = User.objects.filter(
        membership__organization__name="Scale Provider 1", membership__role=Role.SUPERVISOR
    ).first()
    assert supervisor is not None
    today = timezone.localdate()
    assert counts.is_built()
    plain = trends_from_incidents(for_user=supervisor, today=today)
    assert get_trends(for_user=supervisor, today=today) == plain
    seed(600, top_up=True)
    topped = get_trends(for_user=supervisor, today=today)
    assert topped == trends_from_incidents(for_user=supervisor, today=today)
    assert topped.total + topped.previous_total > 0
