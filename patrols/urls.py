from django.urls import path

from patrols import views

app_name = "patrols"

urlpatterns = [
    path("patrols/", views.shift, name="shift"),
    path("patrols/start/", views.start, name="start"),
    path("patrols/scan/", views.scan, name="scan"),
    path("patrols/check-in/", views.check_in, name="check_in"),
    path("patrols/notes/", views.notes, name="notes"),
    path("patrols/end/", views.end, name="end"),
    path("patrols/board/", views.board, name="board"),
    path("patrols/board/panel/", views.board_panel, name="board_panel"),
    path("patrols/joint/", views.joint, name="joint"),
    path("patrols/joint/ask/", views.ask_joint, name="ask_joint"),
    path("patrols/shifts/<uuid:shift_id>/end/", views.end_for, name="end_for"),
    path("patrols/alerts/<uuid:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("patrols/sites/<int:site_id>/", views.site, name="site"),
    path("patrols/sites/<int:site_id>/start/", views.start_for, name="start_for"),
    path("patrols/sites/<int:site_id>/checkpoints/", views.add_checkpoint, name="add_checkpoint"),
    path("patrols/sites/<int:site_id>/settings/", views.update_settings, name="update_settings"),
    path("patrols/sites/<int:site_id>/tours/", views.add_tour, name="add_tour"),
    path("patrols/sites/<int:site_id>/contacts/", views.add_contact, name="add_contact"),
    path(
        "patrols/sites/<int:site_id>/contacts/<int:contact_id>/remove/",
        views.remove_contact,
        name="remove_contact",
    ),
    path("patrols/sites/<int:site_id>/qr-sheet.pdf", views.qr_sheet, name="qr_sheet"),
    path("patrols/sites/<int:site_id>/report/", views.request_report, name="request_report"),
    path("patrols/reports/<uuid:report_id>/", views.report, name="daily_report"),
    path("patrols/reports/<uuid:report_id>/pdf/", views.report_pdf, name="report_pdf"),
    path("patrols/reports/<uuid:report_id>/review/", views.review, name="review"),
    path("patrols/reports/<uuid:report_id>/send/", views.send, name="send"),
]
