from django.urls import path

from preparedness import views

app_name = "preparedness"

urlpatterns = [
    path("preparedness/", views.index, name="index"),
    path("preparedness/acknowledge/", views.acknowledge, name="acknowledge"),
    path("preparedness/plans/new/", views.plan_create, name="plan_create"),
    path("preparedness/plans/<uuid:plan_id>/", views.plan_detail, name="plan"),
    path("preparedness/plans/<uuid:plan_id>/new-version/", views.plan_new_version, name="plan_new_version"),
    path(
        "preparedness/plans/<uuid:plan_id>/versions/<uuid:version_id>/<slug:action>/",
        views.version_action,
        name="version_action",
    ),
    path("preparedness/attachments/<uuid:attachment_id>/", views.attachment, name="attachment"),
    path("preparedness/drills/new/", views.drill_create, name="drill_create"),
    path("preparedness/drills/<uuid:drill_id>/", views.drill_detail, name="drill"),
    path("preparedness/drills/<uuid:drill_id>/cancel/", views.drill_cancel, name="drill_cancel"),
    path(
        "preparedness/drills/<uuid:drill_id>/participants/",
        views.drill_participants,
        name="drill_participants",
    ),
    path("preparedness/drills/<uuid:drill_id>/export.csv", views.drill_export, name="drill_export"),
    path("preparedness/briefings/new/", views.briefing_create, name="briefing_create"),
    path("preparedness/briefings/<uuid:briefing_id>/", views.briefing_detail, name="briefing"),
    path(
        "preparedness/briefings/<uuid:briefing_id>/invite.ics", views.briefing_calendar, name="briefing_ics"
    ),
    path(
        "preparedness/briefings/<uuid:briefing_id>/<slug:action>/",
        views.briefing_action,
        name="briefing_action",
    ),
    path(
        "preparedness/decisions/<uuid:decision_id>/<slug:action>/",
        views.decision_action,
        name="decision_action",
    ),
    path("preparedness/events/new/", views.event_create, name="event_create"),
    path("preparedness/events/<uuid:event_id>/", views.event_detail, name="event"),
    path("preparedness/events/<uuid:event_id>/<slug:action>/", views.event_action, name="event_action"),
    path("community/<uuid:event_id>/", views.public_event, name="public_event"),
]
