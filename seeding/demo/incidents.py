"""Demo incidents for `manage.py seed_demo`, filed through the real services (idempotent)."""

import uuid
from datetime import timedelta

from django.utils import timezone

from accounts.models import Site, User
from dispatch import services as dispatch_services
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
    # The guard's phone: a question from the supervisor, and a police conversation on an escalation.
    (
        "guard@sentinel.example",
        "northgate",
        "vandalism",
        3,
        25,
        "Main entrance",
        "Glass panel of the entrance door cracked; no one seen.",
        "ask",
    ),
    (
        "guard@sentinel.example",
        "riverside",
        "suspicious-person",
        2,
        15,
        "North doors",
        "Man trying car doors in car park A, grey hoodie, heading for the bus stop.",
        "escalate",
    ),
]

QUESTION = "Which door: the east or the west one? Please add a photo."
CONVERSATION = [
    ("liaison@metro.example", "Unit 14 is on its way. Is he still in car park A?"),
    ("guard@sentinel.example", "He is at the bus stop now, grey hoodie, black backpack."),
    ("liaison@metro.example", "Unit 14 is at the north doors."),
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
            # README, "Retention and legal hold": a closed incident kept past retention on purpose.
            services.place_legal_hold(
                incident=incident, by=supervisor, reason="The insurer asked us to keep it: claim 2026-0417."
            )
        if then == "ask":
            services.request_more_information(incident=incident, by=supervisor, comment=QUESTION)
        if then == "escalate":
            _converse(incident, supervisor)
    return created


# The privacy story (README, "Who sees what"): the escalated report's victim, whose contact the
# liaison does not see until the supervisor releases it, and the supervisor's internal note.
VICTIM = services.PartyInput(
    role="victim",
    description="Owner of the blue hatchback he tried; she was in the food court.",
    name="Priya Shah",
    contact="+44 7700 900456",
)
INTERNAL_NOTE = "He may be the ex-employee HR banned last month; HR is checking. Internal until they confirm."


def _converse(incident: Incident, supervisor: User) -> None:
    """An escalation the police accepted and are working, with messages both ways; the report has a
    victim (contact withheld from the agency) and an internal note."""
    services.add_party(incident=incident, by=supervisor, party=VICTIM)
    services.add_note(incident=incident, by=supervisor, text=INTERNAL_NOTE, internal=True)
    escalation = dispatch_services.escalate_incident(incident=incident, by=supervisor, reason="On camera.")
    liaison = User.objects.get(email="liaison@metro.example")
    dispatch_services.accept_escalation(escalation=escalation, by=liaison)
    dispatch_services.mark_dispatched(escalation=escalation, by=liaison)
    for email, text in CONVERSATION:
        dispatch_services.post_message(incident=incident, by=User.objects.get(email=email), text=text)
