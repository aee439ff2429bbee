from celery import shared_task

from exports import services
from exports.models import Bundle


@shared_task(name="exports.build_bundle", acks_late=True, reject_on_worker_lost=True, max_retries=2)
def build_bundle_task(bundle_id: int) -> None:
    """Build a requested evidence bundle (idempotent: a finished bundle is left as it is)."""
    bundle = (
        Bundle.objects.select_related("requested_by", "organization", "incident").filter(pk=bundle_id).first()
    )
    if bundle is not None:
        services.build_bundle(bundle=bundle)


@shared_task(name="exports.resume_stalled", ignore_result=True)
def resume_stalled_task() -> int:
    """Queue again the bundles whose build task was lost."""
    return services.resume_stalled()


@shared_task(name="exports.sweep_fixity", ignore_result=True)
def sweep_fixity_task() -> int:
    """Re-hash the evidence whose check is due, a few files at a time (the beat spreads them out)."""
    return services.sweep_fixity().checked
