import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("watchpost")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic tasks are declared here, beside the schedule they run on.
app.conf.beat_schedule = {
    "debriefs-resume-stalled": {"task": "debriefs.resume_stalled", "schedule": 60.0},
}
