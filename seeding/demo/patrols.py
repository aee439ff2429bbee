"""Demo patrols (`manage.py seed_demo`, idempotent): Riverside has four checkpoints, a perimeter tour
every 30 minutes, lone-worker check-ins every 30 minutes (the agency last on the ladder) and a client
contact; Northgate has a joint patrol with Metro PD that walks on to Riverside's north entrance.
Yesterday's shift of the Sentinel guard missed a round (its supervisors were alerted) and its daily
activity report waits for review."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import Site, User
from patrols import services as patrol_services
from patrols.models import Checkpoint, ClientContact, PatrolSettings

CHECKPOINTS = [
    ("North entrance", "Ground", "Main doors", "Check the doors are locked after closing."),
    ("Loading dock", "Ground", "Service yard", "Shutter down, padlock on."),
    ("Car park level 2", "Level 2", "Ramp", "Look for people sleeping in cars."),
    ("Roof access", "Level 4", "Stairwell C", "Door alarm light must be green."),
]


# Yesterday's demo shift starts at this hour of the site's day, whatever the clock says when the demo
# is seeded: the roof check's fixed rounds (22:00, 02:00) fall outside it, so it misses one round.
SHIFT_STARTS = time(9, 0)


def seed_patrols(*, now: datetime | None = None) -> int:
    """How many demo checkpoints were made now (0 when they exist already)."""
    guard = User.objects.get(email="guard@sentinel.example")
    supervisor = User.objects.get(email="supervisor@sentinel.example")
    site = Site.objects.get(code="riverside", provider=guard.membership.organization)
    if Checkpoint.objects.filter(site=site).exists():
        return 0
    points = [
        patrol_services.add_checkpoint(
            site=site, by=supervisor, name=name, floor=floor, area=area, instructions=instructions
        )
        for name, floor, area, instructions in CHECKPOINTS
    ]
    patrol_services.create_tour(
        site=site,
        by=supervisor,
        name="Perimeter",
        checkpoints=points[:3],
        interval_minutes=30,
        tolerance_minutes=10,
    )
    patrol_services.create_tour(
        site=site,
        by=supervisor,
        name="Roof check",
        checkpoints=[points[3]],
        times=["22:00", "02:00"],
        tolerance_minutes=15,
    )
    PatrolSettings.objects.get_or_create(
        site=site,
        defaults={
            "checkin_minutes": 30,
            "checkin_grace_minutes": 5,
            "ladder_step_minutes": 5,
            "escalate_to_agency": True,
        },
    )
    ClientContact.objects.get_or_create(
        site=site, email="facilities@riverside-mall.example", defaults={"name": "Riverside facilities desk"}
    )
    # Yesterday's shift: the first round walked, the second missed, then the shift ended.
    zone = ZoneInfo(site.time_zone)
    yesterday = timezone.localdate(now or timezone.now(), timezone=zone) - timedelta(days=1)
    start = datetime.combine(yesterday, SHIFT_STARTS, tzinfo=zone)
    shift = patrol_services.start_shift(guard=guard, site=site, by=guard, hours=1.5, now=start)
    for minutes, point in ((6, points[0]), (14, points[1]), (22, points[2])):
        patrol_services.record_scan(
            guard=guard,
            code=point.code,
            idempotency_key=f"demo-{point.pk}",
            now=start + timedelta(minutes=minutes),
        )
    patrol_services.check_in(guard=guard, idempotency_key="demo-checkin", now=start + timedelta(minutes=25))
    patrol_services.sweep_missed_rounds(now=start + timedelta(minutes=72))
    patrol_services.end_shift(
        shift=shift,
        by=guard,
        notes="Loading dock shutter sticks halfway; reported to facilities.",
        now=start + timedelta(minutes=80),
    )
    # Northgate: a joint patrol with Metro PD, its officers named; a report filed during a shift
    # there goes to Metro's board at once, and Metro's liaisons follow it under "Joint patrols".
    northgate = Site.objects.get(code="northgate", provider=site.provider)
    lobby = patrol_services.add_checkpoint(site=northgate, by=supervisor, name="Lobby", floor="Ground")
    garage = patrol_services.add_checkpoint(site=northgate, by=supervisor, name="Garage exit", floor="B1")
    if northgate.agency_id is not None:
        patrol_services.create_tour(
            site=northgate,
            by=supervisor,
            name="Joint evening patrol",
            # An area: Riverside Mall is Sentinel's too and partnered with Metro, so the patrol
            # walks on to its north entrance.
            checkpoints=[lobby, garage, points[0]],
            interval_minutes=60,
            tolerance_minutes=15,
            joint=True,
            officers="Officer Dana Ortiz, Officer Lee Chan",
        )
    return len(points) + 2
