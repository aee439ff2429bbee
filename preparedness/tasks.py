from celery import shared_task

from preparedness import services


@shared_task(name="preparedness.close_drills", ignore_result=True)
def close_drills_task() -> int:
    """Close the drills whose window ended: each asks for its debrief once (drill.closed)."""
    return services.close_due_drills()


@shared_task(name="preparedness.delete_resident_data", ignore_result=True)
def delete_resident_data_task() -> int:
    """Delete the residents' registrations of community events past their retention."""
    return services.delete_resident_data()
