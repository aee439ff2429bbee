"""Demo incidents for `manage.py seed_demo`, filed through the real services (idempotent)."""

import uuid
from datetime import timedelta

from django.utils import timezone

from accounts.models import Site, User
from incidents import services
from incidents.models import Category, Incident

NAMESPACE = uuid.UUID("6f1d3c52-5d8e-4bb8-9a55-7d1c0f4a2e10")

# (reporter, site code, category, severity, minutes ago, place, narrative, then)
REPORTS = [
    (
        "guard@sentinel.example",
        "riverside",
        "theft",
        3,
        95,
        "Level 1, Jackets & Co.",
        "Staff saw a man leave with two jackets without paying; he left by the north doors.",
        "accept",
    ),
    (
        "guard@sentinel.example",
        "riverside",
        "suspicious-vehicle",
        3,
        40,
        "Car park B",
        "White van idling by the loading bay for 30 minutes, engine running, two occupants.",
        None,
    ),
    (
        "guard@sentinel.example",
        "northgate",
        "hazard",
        2,
        300,
        "Lobby",
        "Water leaking from the ceiling near the lifts; area coned off.",
        "close",
    ),
    (
        "guard@harbor.example",
        "harborpoint",
        "vandalism",
        3,
        60,
        "East stairwell",
        "Fresh graffiti on the stairwell wall, paint still wet.",
        None,
    ),
    ("guard@sentinel.example", "riverside", "disturbance", 3, 5, "Food court", "", "draft"),
    # At Lakeside Depot, an hour ahead (America/Detroit): Sentinel's lists span two zones.
    (
        "supervisor@sentinel.example",
        "lakeside",
        "trespass",
        3,
        30,
        "Yard gate",
        "Two people climbed the yard gate and left when challenged.",
        None,
    ),
]


def seed_incidents() -> int:
    created = 0
    for index, (email, code, category, severity, minutes, place, narrative, then) in enumerate(REPORTS):
        reporter = User.objects.get(email=email)
        site = Site.objects.get(code=code, provider=reporter.membership.organization)
        result = services.report_incident(
            reporter=reporter,
            site=site,
            idempotency_key=uuid.uuid5(NAMESPACE, str(index)),
            submit=then != "draft",
            category=Category.objects.get(code=category) if then != "draft" else None,
            severity=severity if then != "draft" else None,
            occurred_at=timezone.now() - timedelta(minutes=minutes),
            location=place,
            narrative=narrative,
        )
        if not result.created:
            continue
        created += 1
        supervisor = User.objects.get(email=email.replace("guard@", "supervisor@"))
        incident: Incident = result.incident
        if then in ("accept", "close"):
            services.accept_incident(incident=incident, by=supervisor)
        if then == "close":
            services.close_incident(
                incident=incident, by=supervisor, resolution="Maintenance fixed the pipe."
            )
    return created
