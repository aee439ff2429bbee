"""Demo site safety profiles (one overdue) and a live vehicle BOLO from the Metro police to its
partnered providers' sites (`manage.py seed_demo`, idempotent): the guard's phone shows the banner,
the liaison sees who has read it, and a sighting lands on the board with the site's profile."""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import Role, Site, User
from bulletins import services as bulletin_services
from bulletins.models import Bulletin
from dispatch import services as dispatch_services
from dispatch.models import SiteProfile

BOLO_TITLE = "Grey Ford Transit van: ram-raid suspects"


def _profile_texts(site: Site) -> dict[str, str]:
    return {
        "access_points": (
            f"Main entrance on {site.address.split(',')[0]}; "
            "loading bay gate at the rear (code from the control room)."
        ),
        "key_holders": "Duty manager Sam Ortiz 555-0142; facilities lead Kim Lee 555-0178.",
        "after_hours": "Control room 555-0100, staffed around the clock.",
        "posts": "Ground floor: front desk and loading bay. Level 2: CCTV room (east corridor).",
        "hazards": "Cleaning chemicals store by the loading bay; no gas on site.",
        "cameras": "32 cameras; the control room operator pulls footage on request.",
        "emergency_contacts": "Control room 555-0100; site manager 555-0142.",
    }


def _van_photo() -> SimpleUploadedFile:
    """A drawn stand-in for the van's CCTV still (the demo ships no real photo)."""
    image = Image.new("RGB", (320, 200), (205, 214, 222))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 70, 270, 150), fill=(120, 124, 128))  # the body
    draw.rectangle((200, 80, 260, 115), fill=(60, 70, 80))  # the windscreen
    draw.rectangle((60, 58, 190, 68), fill=(50, 50, 50))  # the roof rack
    for x in (85, 225):
        draw.ellipse((x - 18, 135, x + 18, 171), fill=(30, 30, 30))
    draw.text((110, 175), "KX19 TRN (CCTV still)", fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("van-cctv-still.png", buffer.getvalue(), "image/png")


def seed_bulletins() -> int:
    """Profiles for every provider's sites (verified; one overdue) and one live BOLO. How many
    bulletins were made now (0 when it exists already)."""
    for site in Site.objects.filter(is_active=True).select_related("provider"):
        if SiteProfile.objects.filter(site=site).exists():
            continue
        supervisor = User.objects.filter(
            membership__organization=site.provider, membership__role=Role.SUPERVISOR, is_active=True
        ).first()
        if supervisor is None:
            continue
        dispatch_services.save_site_profile(
            site=site, by=supervisor, texts=_profile_texts(site), reverify_days=180, verified=True
        )
        if site.code == "pier9":  # an overdue one: stale on the board, flagged on the supervisor's list
            SiteProfile.objects.filter(site=site).update(
                last_verified=timezone.localdate() - timedelta(days=200)
            )
    liaison = User.objects.filter(email="liaison@metro.example").first()
    if liaison is None or Bulletin.objects.filter(title=BOLO_TITLE).exists():
        return 0
    bulletin_services.publish_bulletin(
        by=liaison,
        data=bulletin_services.BulletinInput(
            kind=Bulletin.Kind.VEHICLE,
            title=BOLO_TITLE,
            description="Grey Ford Transit, roof rack, dented rear door; two men in dark hoodies.",
            plate="KX19 TRN",
            last_seen_where="Ring road, northbound past River Rd",
            last_seen_at=timezone.now() - timedelta(minutes=40),
            do_text="Note the direction of travel and the time, and report a sighting here.",
            dont_text="Do not approach or follow the van.",
            expires_at=timezone.now() + timedelta(days=3),
            urgency=Bulletin.Urgency.IMMEDIATE,
            severity=Bulletin.Severity.SEVERE,
        ),
        photos=[_van_photo()],
    )
    return 1
