from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bulletins import services
from bulletins.models import Bulletin


def bolo(**overrides) -> services.BulletinInput:
    """A vehicle BOLO that expires tomorrow."""
    values: dict[str, Any] = {
        "kind": Bulletin.Kind.VEHICLE,
        "title": "Grey Ford Transit, ram-raid suspects",
        "description": "Grey Ford Transit, roof rack, dented rear door.",
        "plate": "ab12 cde",
        "last_seen_where": "Ring road, northbound",
        "last_seen_at": timezone.now() - timedelta(minutes=20),
        "do_text": "Note the direction of travel and call it in.",
        "dont_text": "Do not approach.",
        "expires_at": timezone.now() + timedelta(days=1),
    }
    values.update(overrides)
    return services.BulletinInput(**values)


@pytest.fixture
def published(world):
    """Agency X's vehicle BOLO to every partnered provider's sites (provider A: a1 and a2)."""
    return services.publish_bulletin(by=world.liaison_x, data=bolo())
