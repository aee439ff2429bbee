"""Demo preparedness (`manage.py seed_demo`, idempotent): Riverside Mall's post orders (published) and
fire ERP (approved by Metro PD's liaison, frozen), both acknowledged by the demo guard; an active
assailant ERP waiting for the liaison's approval; a drill scheduled for tomorrow; a monthly joint
briefing with its minutes and decisions (one an action owned by the police); and an open house whose
public page a resident can register on."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.models import Organization, Site, User
from incidents.models import Category
from preparedness import selectors, services
from preparedness.models import Briefing, CommunityEvent, Drill, Plan, Scenario

POST_ORDERS = [
    (
        "Posts and patrols",
        "<p>Main entrance desk 07:00 to 23:00. Patrol levels 1 to 3 every hour; record each round.</p>",
    ),
    ("Radio", "<p>Channel 2 for the control room. Say the incident's reference when you call it in.</p>"),
]
FIRE_PLAN = [
    (
        "Raise the alarm",
        "<ol><li>Press the nearest <strong>fire call point</strong>.</li><li>File a <em>Fire / smoke</em> "
        "report: it reaches the supervisor and Metro PD at once.</li></ol>",
    ),
    (
        "Evacuate",
        "<p>Open the east and west exits; send shoppers to the <strong>north car park</strong>.</p>",
    ),
    ("Meet the responders", "<p>One guard waits at the fire lane gate with the floor plan.</p>"),
]
ASSAILANT_PLAN = [
    (
        "Lockdown",
        "<p>Close the shutters of levels 1 and 2; move people into the shops away from the mall.</p>",
    ),
    ("Tell the police", "<p>Press the panic button, then give the place and description on the radio.</p>"),
]


def _local(site: Site, days: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=site.zone)


def seed_preparedness() -> int:
    """How many demo preparedness items were made now (0 when they exist already)."""
    provider = Organization.objects.get(name="Sentinel Security")
    agency = Organization.objects.get(name="Metro Police Department")
    site = Site.objects.get(code="riverside", provider=provider)
    guard = User.objects.get(email="guard@sentinel.example")
    supervisor = User.objects.get(email="supervisor@sentinel.example")
    admin = User.objects.get(email="admin@sentinel.example")
    liaison = User.objects.get(email="liaison@metro.example")
    made = 0
    if not Plan.objects.filter(site=site, kind=Plan.Kind.POST_ORDERS).exists():
        orders = services.create_plan(
            by=supervisor,
            site=site,
            kind=Plan.Kind.POST_ORDERS,
            title="Riverside Mall post orders",
            sections=POST_ORDERS,
        )
        services.publish_post_orders(version=orders.versions.get(), by=supervisor)
        services.acknowledge_version(version=orders.versions.get(), by=guard)
        made += 1
    if not Plan.objects.filter(site=site, kind=Plan.Kind.ERP, scenario=Scenario.FIRE).exists():
        fire = services.create_plan(
            by=supervisor,
            site=site,
            kind=Plan.Kind.ERP,
            scenario=Scenario.FIRE,
            title="Fire: Riverside Mall",
            categories=Category.objects.filter(code__in=["fire", "alarm"]),
            sections=FIRE_PLAN,
        )
        version = fire.versions.get()
        services.submit_for_approval(version=version, by=supervisor)
        services.comment_on_version(
            version=version, by=liaison, comment="Add where our units stage: the fire lane."
        )
        services.approve_version(version=version, by=liaison)
        services.acknowledge_version(version=version, by=guard)
        made += 1
    if not Plan.objects.filter(site=site, kind=Plan.Kind.ERP, scenario=Scenario.ACTIVE_ASSAILANT).exists():
        assailant = services.create_plan(
            by=supervisor,
            site=site,
            kind=Plan.Kind.ERP,
            scenario=Scenario.ACTIVE_ASSAILANT,
            title="Active assailant: Riverside Mall",
            categories=Category.objects.filter(code__in=["assault", "robbery"]),
            sections=ASSAILANT_PLAN,
        )
        services.submit_for_approval(version=assailant.versions.get(), by=supervisor)
        made += 1
    if not Drill.objects.filter(site=site).exists():
        services.schedule_drill(
            by=supervisor,
            site=site,
            scenario=Scenario.FIRE,
            title="Fire drill: level 2 food court",
            objectives=(
                "Escalate the fire report to Metro PD within 2 minutes.\n"
                "The liaison accepts within 2 minutes.\nClear level 2 within 10 minutes."
            ),
            starts_at=_local(site, 1, 10),
            ends_at=_local(site, 1, 11),
            participants=[guard, supervisor, liaison],
            mark_participants=True,
        )
        made += 1
    if not Briefing.objects.filter(provider=provider, agency=agency).exists():
        briefing = services.schedule_briefing(
            by=supervisor,
            provider=provider,
            agency=agency,
            title="Riverside monthly safety briefing",
            starts_at=_local(site, -2, 9),
            duration_minutes=60,
            recurrence=Briefing.Recurrence.MONTHLY,
            location="Riverside Mall, security office",
            agenda="1. Trends at Riverside\n2. The fire drill\n3. Shoplifting at the east exit",
            sites=[site],
            attendees=[liaison, admin, guard],
        )
        services.answer_invitation(briefing=briefing, by=liaison, rsvp="yes")
        services.pull_trend_summary(briefing=briefing, by=supervisor)
        services.record_minutes(
            briefing=briefing,
            by=supervisor,
            minutes=(
                "Shoplifting at the east exit rose in November. Metro PD will pass the east exit at "
                "closing time; Sentinel will move a guard there from 19:00. The fire drill is set."
            ),
        )
        services.record_decision(
            briefing=briefing,
            by=supervisor,
            decision="Patrol car passes the east exit at closing time for four weeks.",
            owner=liaison,
            due_date=timezone.localdate() + timedelta(days=28),
        )
        services.record_decision(
            briefing=briefing,
            by=liaison,
            decision="A guard posted at the east exit from 19:00.",
            owner=supervisor,
            due_date=timezone.localdate() + timedelta(days=7),
        )
        made += 1
    if not CommunityEvent.objects.filter(provider=provider, agency=agency).exists():
        start = _local(site, 14, 17)
        services.create_community_event(
            by=supervisor,
            provider=provider,
            agency=agency,
            kind=CommunityEvent.Kind.OPEN_HOUSE,
            title="Riverside safety open house",
            description=(
                "Meet the mall's guards and Metro PD's officers: how to keep your bag safe, what to do "
                "when an alarm sounds, and a look at the control room."
            ),
            site=site,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=40,
            hosts=[supervisor, liaison],
        )
        made += 1
    assert selectors.current_version(Plan.objects.get(site=site, scenario=Scenario.FIRE)) is not None
    return made
