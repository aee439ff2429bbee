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
]
