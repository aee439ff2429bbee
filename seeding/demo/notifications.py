"""A default escalation policy for each demo agency, made through the real service (idempotent).
No demo webhook endpoint: one that pointed anywhere real could leak demo pages."""

from accounts.models import Organization, User
from notifications import services
from notifications.models import Channel, EscalationPolicy, Target
from seeding.demo.accounts import AGENCIES


def seed_policies() -> int:
    created = 0
    for key, name in AGENCIES.items():
        agency = Organization.objects.get(name=name)
        if EscalationPolicy.objects.filter(organization=agency, site__isnull=True).exists():
            continue
        admin = User.objects.get(email=f"admin@{key}.example")
        services.save_escalation_policy(
            by=admin,
            organization=agency,
            name="Standard paging",
            site=None,
            steps=[
                services.StepInput(
                    delay_seconds=0,
                    target=Target.ON_DUTY_LIAISONS,
                    channels=[Channel.IN_APP, Channel.EMAIL],
                    required_channels=[Channel.IN_APP],
                ),
                # The watch commander: the agency's admins, by text and email.
                services.StepInput(
                    delay_seconds=60,
                    target=Target.ORG_ADMINS,
                    channels=[Channel.SMS, Channel.EMAIL],
                    required_channels=[Channel.SMS],
                ),
                services.StepInput(
                    delay_seconds=180,
                    target=Target.PROVIDER_SUPERVISORS,
                    channels=[Channel.IN_APP, Channel.EMAIL],
                    required_channels=[Channel.IN_APP],
                ),
            ],
        )
        created += 1
    return created
