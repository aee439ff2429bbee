"""The demo's live board for `manage.py seed_demo`: the sites' outlines for its map, and escalations in
every state a liaison meets (requested, under way, on scene with an unread message and a photo, closed by
the provider while the police are there, recently cleared), made through the real services (idempotent)."""

import io
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import Site, User
from dispatch import services as dispatch
from incidents import services as incidents
from incidents.models import Category, Incident
from portal.requests import RequestOrigin

NAMESPACE = uuid.UUID("0c9a4f7e-2b1d-4c55-8f0e-9d3b5a6e7c21")
ORIGIN = RequestOrigin(ip_address=None, user_agent="seed_demo")
LIAISON = "liaison@metro.example"

# Each site's outline, as offsets (in thousandths of a degree) from its coordinates.
OUTLINES = {
    "riverside": [(-1.4, -2.2), (1.2, -2.4), (1.6, 1.0), (0.2, 2.6), (-1.5, 1.8)],
    "northgate": [(-0.8, -1.2), (0.9, -1.2), (0.9, 1.3), (-0.8, 1.3)],
    "lakeside": [(-1.6, -2.0), (1.4, -2.0), (1.4, 2.4), (-1.6, 2.4)],
    "harborpoint": [(-1.0, -1.6), (1.1, -1.0), (0.9, 1.7), (-1.1, 1.2)],
    "pier9": [(-0.6, -2.6), (0.7, -2.6), (0.7, 2.2), (-0.6, 2.2)],
}


@dataclass(frozen=True)
class BoardStory:
    guard: str
    site: str
    category: str
    severity: int
    minutes_ago: int
    place: str
    narrative: str
    offset: tuple[float, float]  # from the site's coordinates, thousandths of a degree
    steps: tuple[str, ...]  # what happens after the escalation
    photo: bool = False


# The area of the lobby photo hidden from the police (fractions of the image).
BYSTANDER = {"x": 0.55, "y": 0.15, "w": 0.2, "h": 0.35}

STORIES = [
    BoardStory(
        "guard@sentinel.example",
        "northgate",
        "assault",
        1,
        14,
        "Main lobby, by the lifts",
        "Two men fighting in the lobby; one has a bottle. I have asked reception to lock the side doors.",
        (0.2, -0.3),
        ("accept", "on_scene", "message"),
        photo=True,
    ),
    BoardStory(
        "guard@harbor.example",
        "pier9",
        "burglary",
        2,
        6,
        "Loading bay 3",
        "Roller door forced open at bay 3; the lights are on inside and I can hear voices.",
        (0.3, 1.4),
        (),
    ),
    BoardStory(
        "guard@sentinel.example",
        "riverside",
        "suspicious-person",
        3,
        25,
        "Car park B, level 2",
        "A man trying car doors on level 2, moving towards the exit ramp.",
        (-0.6, 0.9),
        ("verify", "accept", "dispatch"),
    ),
    BoardStory(
        "guard@harbor.example",
        "harborpoint",
        "robbery",
        1,
        40,
        "Jeweller, ground floor",
        "Robbery at the jeweller; the suspect ran towards the bus station. No one is hurt.",
        (0.1, -0.4),
        ("accept", "on_scene", "close"),
    ),
    BoardStory(
        "guard@sentinel.example",
        "riverside",
        "theft",
        3,
        130,
        "Level 1, electronics store",
        "Staff stopped a man with two headphone boxes under his coat; he is waiting with them.",
        (0.5, -1.1),
        ("accept", "dispatch", "on_scene", "clear"),
    ),
]


def _photo(seed: int) -> ContentFile:
    image = Image.new("RGB", (640, 480), (40 + seed * 30, 60, 90))
    draw = ImageDraw.Draw(image)
    for line in range(0, 640, 40):
        draw.line([(line, 0), (640 - line, 480)], fill=(200, 180 - seed * 10, 90), width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return ContentFile(buffer.getvalue(), name=f"scene-{seed}.jpg")


def seed_site_outlines() -> None:
    """Outlines for the sites that have none (an admin's drawing is kept)."""
    for site in Site.objects.filter(code__in=OUTLINES, outline=[]):
        if site.latitude is None or site.longitude is None:
            continue
        lat, lon = float(site.latitude), float(site.longitude)
        site.outline = [
            [round(lat + dy / 1000, 6), round(lon + dx / 1000, 6)] for dy, dx in OUTLINES[site.code]
        ]
        site.save(update_fields=["outline"])


def _play(story: BoardStory, incident: Incident, *, guard: User, supervisor: User, liaison: User) -> None:
    if "verify" in story.steps:
        incidents.accept_incident(incident=incident, by=supervisor)
    escalation = dispatch.escalate_incident(
        incident=incident, by=supervisor, reason="Police needed on site now."
    )
    for step in story.steps:
        if step == "accept":
            escalation = dispatch.accept_escalation(escalation=escalation, by=liaison)
        elif step == "dispatch":
            escalation = dispatch.mark_dispatched(escalation=escalation, by=liaison)
        elif step == "on_scene":
            escalation = dispatch.mark_on_scene(escalation=escalation, by=liaison)
        elif step == "clear":
            escalation = dispatch.clear_escalation(
                escalation=escalation,
                by=liaison,
                disposition="Suspect detained; the property was returned to the store.",
                case_number="MPD-26-11873",
            )
        elif step == "message":
            dispatch.post_message(
                incident=incident, by=guard, text="The second man left by the east exit: red jacket, jeans."
            )
        elif step == "close":
            # Closed while the police are still on it: the supervisor confirmed it (issue 14 item 6).
            incidents.close_incident(
                incident=incident,
                by=supervisor,
                resolution="Handed over to the police on scene.",
                confirmed=True,
            )


def seed_board() -> int:
    """The demo board's escalations; returns how many reports it filed this time."""
    seed_site_outlines()
    liaison = User.objects.get(email=LIAISON)
    created = 0
    for index, story in enumerate(STORIES):
        guard = User.objects.get(email=story.guard)
        supervisor = User.objects.get(email=story.guard.replace("guard@", "supervisor@"))
        site = Site.objects.get(code=story.site, provider=guard.membership.organization)
        if site.latitude is None or site.longitude is None:
            continue  # the demo's sites all have coordinates; a changed one is left alone
        result = incidents.report_incident(
            reporter=guard,
            site=site,
            idempotency_key=uuid.uuid5(NAMESPACE, str(index)),
            category=Category.objects.get(code=story.category),
            severity=story.severity,
            occurred_at=timezone.now() - timedelta(minutes=story.minutes_ago),
            location=story.place,
            narrative=story.narrative,
            latitude=site.latitude + Decimal(str(story.offset[0] / 1000)),
            longitude=site.longitude + Decimal(str(story.offset[1] / 1000)),
        )
        if not result.created:
            continue
        created += 1
        photo = None
        if story.photo:
            photo = incidents.add_evidence(
                incident=result.incident, by=guard, upload=_photo(index), client_sha256=None, origin=ORIGIN
            )
        _play(story, result.incident, guard=guard, supervisor=supervisor, liaison=liaison)
        if photo is not None:
            # A bystander's face hidden from the police: the liaison sees the redacted preview,
            # the supervisor the original with the area outlined (README, "Who sees what").
            incidents.redact_evidence(
                evidence=photo,
                by=supervisor,
                rectangles=[BYSTANDER],
                reason="A bystander's face, not involved",
            )
    return created
