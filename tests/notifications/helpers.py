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


# IPv6 forms that carry an IPv4 address inside (issue 13.6): each reaches the IPv4 it wraps.
WRAPPED_PRIVATE = [
    "https://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "https://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "https://[64:ff9b:1::a00:1]/",  # local-use NAT64 (its embedding depends on the operator)
    "https://[::127.0.0.1]/",  # IPv4-compatible
    "https://[::a00:1]/",
    "https://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "https://[::ffff:0:a00:1]/",  # IPv4-translated
    "https://[2002:7f00:1::1]/",  # 6to4 of 127.0.0.1
    "https://[2002:a00:1::]/",  # 6to4 of 10.0.0.1
    "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",  # Teredo, client 10.0.0.1
]
