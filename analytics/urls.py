from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("analytics/", views.dashboard, name="dashboard"),
    path("analytics/export/incidents.csv", views.export_incidents_csv, name="incidents_csv"),
    path("incidents/<uuid:incident_id>/export.json", views.export_incident_json, name="incident_json"),
    path("incidents/<uuid:incident_id>/report.pdf", views.export_incident_pdf, name="incident_pdf"),
    path("analytics/partnerships/", views.partnerships, name="partnerships"),
    path("analytics/partnerships/<int:partnership_id>/", views.scorecard, name="scorecard"),
    path("analytics/partnerships/<int:partnership_id>/reports/", views.request_report, name="request_report"),
    path("analytics/reports/<uuid:partnership_report_id>/", views.report, name="report"),
    path("analytics/reports/<uuid:partnership_report_id>/report.pdf", views.report_pdf, name="report_pdf"),
]
