from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("incidents/<uuid:incident_id>/exports/", views.incident_exports, name="incident"),
    path("incidents/<uuid:incident_id>/ics-214.pdf", views.activity_log, name="ics214"),
    path("preparedness/drills/<uuid:drill_id>/ics-214.pdf", views.drill_activity_log, name="drill_ics214"),
    path("exports/<uuid:bundle_id>/status/", views.status, name="status"),
    path("exports/<uuid:bundle_id>/download/", views.download, name="download"),
    path("exports/verify/", views.key_page, name="verify"),
    path("exports/verify_bundle.py", views.verifier, name="verifier"),
    path(".well-known/watchpost-signing-key.pem", views.public_key, name="public_key"),
]
