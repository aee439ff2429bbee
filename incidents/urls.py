from django.urls import path

from incidents.views import detail, evidence, lists, reports

app_name = "incidents"

urlpatterns = [
    path("incidents/", lists.incident_list, name="list"),
    path("incidents/report/", reports.incident_report, name="report"),
    path("incidents/triage/", lists.triage_queue, name="triage"),
    path("incidents/<uuid:incident_id>/", detail.incident_detail, name="detail"),
    path("incidents/<uuid:incident_id>/edit/", reports.incident_edit, name="edit"),
    path("incidents/<uuid:incident_id>/submit/", detail.incident_submit, name="submit"),
    path("incidents/<uuid:incident_id>/answer/", detail.incident_answer, name="answer"),
    path("incidents/<uuid:incident_id>/triage/", detail.incident_triage, name="triage_action"),
    path("incidents/<uuid:incident_id>/notes/", detail.incident_add_note, name="add_note"),
    path("incidents/<uuid:incident_id>/parties/", detail.incident_add_party, name="add_party"),
    path("incidents/<uuid:incident_id>/vehicles/", detail.incident_add_vehicle, name="add_vehicle"),
    path("incidents/<uuid:incident_id>/release/", detail.incident_release_party, name="release_party"),
    path("incidents/<uuid:incident_id>/end-share/", detail.incident_end_share, name="end_share"),
    path("incidents/<uuid:incident_id>/legal-hold/", detail.incident_legal_hold, name="legal_hold"),
    path("incidents/<uuid:incident_id>/purpose/", detail.incident_give_purpose, name="give_purpose"),
    # evidence
    path("incidents/<uuid:incident_id>/evidence/", evidence.evidence_upload, name="evidence_upload"),
    path("evidence/<uuid:evidence_id>/", evidence.evidence_detail, name="evidence_detail"),
    path("evidence/<uuid:evidence_id>/download/", evidence.evidence_download, name="evidence_download"),
    path("evidence/<uuid:evidence_id>/redact/", evidence.evidence_redact, name="evidence_redact"),
    path("evidence/<uuid:evidence_id>/thumbnail/", evidence.evidence_thumbnail, name="evidence_thumbnail"),
]
