from django.urls import path

from debriefs import views

app_name = "debriefs"

urlpatterns = [
    path("debriefs/", views.index, name="index"),
    path("debriefs/actions/", views.actions, name="actions"),
    path("debriefs/agency-accounts/", views.agency_queue, name="agency_queue"),
    path("debriefs/actions/<uuid:action_id>/", views.update_action, name="update_action"),
    path("debriefs/<uuid:debrief_id>/", views.detail, name="detail"),
    path("debriefs/<uuid:debrief_id>/status/", views.status, name="status"),
    path("debriefs/<uuid:debrief_id>/edit/", views.edit, name="edit"),
    path("debriefs/<uuid:debrief_id>/agency/", views.agency, name="agency"),
    path("debriefs/<uuid:debrief_id>/review/", views.review, name="review"),
    path("debriefs/<uuid:debrief_id>/revise/", views.revise, name="revise"),
    path("debriefs/<uuid:debrief_id>/pdf/", views.pdf, name="pdf"),
    path("incidents/<uuid:incident_id>/debrief/", views.incident_debrief, name="incident"),
    path("incidents/<uuid:incident_id>/debrief/request/", views.request_debrief, name="request"),
    path("incidents/<uuid:incident_id>/actions/", views.add_action, name="add_action"),
]
