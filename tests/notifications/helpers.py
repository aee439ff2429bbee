"""Small builders shared by the notification tests."""

from notifications import services
from notifications.models import Channel, Target


def step(delay=0, target=Target.ON_DUTY_LIAISONS, channels=(Channel.IN_APP,), required=(), person=None):
    return services.StepInput(
        delay_seconds=delay,
        target=target,
        person=person,
        channels=list(channels),
        required_channels=list(required),
    )
