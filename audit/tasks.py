"""Celery edge of the audit log; its schedule is in portal/celery.py."""

from celery import shared_task

from audit import services


@shared_task(name="audit.seal_records", ignore_result=True)
def seal_records() -> int:
    """Seal the committed audit records in order, and checkpoint the chain's head when one is due."""
    return services.seal_records()
