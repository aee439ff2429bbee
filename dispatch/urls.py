from django.urls import path

from dispatch import views

app_name = "dispatch"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/escalations/<uuid:escalation_id>/", views.board_panel, name="panel"),
    path("board/history/", views.board_history, name="history"),
    path("board/preferences/", views.board_preferences, name="preferences"),
    path("escalations/<uuid:escalation_id>/<slug:action>/", views.escalation_act, name="act"),
    path("incidents/<uuid:incident_id>/escalate/", views.incident_escalate, name="escalate"),
    path("incidents/<uuid:incident_id>/messages/", views.incident_message, name="message"),
    path("panic/", views.panic, name="panic"),
    path("panic/<uuid:incident_id>/cancel/", views.panic_cancel, name="panic_cancel"),
    path("panic/<uuid:incident_id>/site/", views.panic_move, name="panic_move"),
    path("cad-codes/", views.cad_codes, name="cad_codes"),
    path("access-flags/", views.access_flags, name="access_flags"),
    path("sites/profiles/", views.site_profiles, name="site_profiles"),
    path("sites/<int:site_id>/profile/", views.site_profile, name="site_profile"),
    path("sites/<int:site_id>/floor-plans/", views.floor_plan_add, name="floor_plan_add"),
    path("sites/<int:site_id>/floor-plans/<uuid:floor_plan_id>/", views.floor_plan, name="floor_plan"),
]
