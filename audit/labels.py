"""The audit trail in words: each action's label (a mapping, with a fallback made from the code) and
each object's kind (the model's own name, found in the app registry: audit imports no app)."""

from django.apps import apps

ACTION_LABELS = {
    "audit.read": "Read the audit trail",
    "audit.keyed_chain_started": "Audit trail sealing key started",
    "auth.login": "Signed in",
    "auth.login_failed": "Sign-in failed",
    "auth.logout": "Signed out",
    "auth.password_changed": "Password changed",
    "auth.password_reset": "Password reset",
    "auth.mfa_added": "Two-factor authentication added",
    "auth.mfa_removed": "Two-factor authentication removed",
    "auth.mfa_reset": "Two-factor authentication reset",
    "auth.mfa_failed": "Two-factor code refused",
    "account.time_zone_changed": "Time zone changed",
    "admin.post": "Change in the platform admin",
    "api_token.issued": "API token issued",
    "api_token.revoked": "API token revoked",
    "people.invited": "Person invited",
    "people.invitation_revoked": "Invitation revoked",
    "people.joined": "Invitation accepted",
    "people.role_changed": "Role or sites changed",
    "people.activated": "Person reactivated",
    "people.deactivated": "Person deactivated",
    "duty.on": "Went on duty",
    "duty.off": "Went off duty",
    "shift.started": "Shift started",
    "shift.ended": "Shift ended",
    "checkpoint.added": "Patrol checkpoint added",
    "tour.created": "Patrol tour planned",
    "loneworker.missed": "Lone-worker check-in missed",
    "loneworker.acknowledged": "Lone-worker alert acknowledged",
    "daily_report.requested": "Daily activity report asked for",
    "daily_report.reviewed": "Daily activity report reviewed",
    "daily_report.sent": "Daily activity report sent to a client contact",
    "client_contact.added": "Client contact added",
    "client_contact.removed": "Client contact removed",
    "notification_settings.saved": "Notification settings saved",
    "escalation_policy.created": "Escalation policy saved",
    "escalation_policy.deleted": "Escalation policy deleted",
    "webhook.created": "Webhook added",
    "webhook.updated": "Webhook changed",
    "webhook.deleted": "Webhook deleted",
    "webhook.secret_rotated": "Webhook secret renewed",
    "incident.viewed": "Incident viewed",
    "personal_data.purpose_given": "Purpose given for an incident's personal data",
    "personal_data.viewed": "Personal data viewed, with its purpose",
    "access.flagged": "Unusual access to personal data flagged",
    "access_flags.read": "Access flags read",
    "debrief.viewed": "Debrief viewed",
    "debrief.edited": "Debrief edited",
    "debrief.submitted": "Debrief submitted for review",
    "debrief.approved": "Debrief approved",
    "debrief.changes_requested": "Debrief changes requested",
    "debrief.revised": "Debrief reopened for a new version",
    "debrief.exported": "Debrief PDF downloaded",
    "debrief.agency_contributed": "Agency's account written",
    "bundle.requested": "Evidence bundle asked for",
    "bundle.exported": "Evidence bundle exported",
    "bundle.downloaded": "Evidence bundle downloaded",
    "bundle.hash_mismatch": "Evidence bundle stopped: a file's hash changed",
    "bundle.file_missing": "Evidence bundle stopped: a file is missing",
    "bundle.failed": "Evidence bundle failed",
    "evidence.exported": "Evidence exported in a bundle",
    "evidence.fixity_failed": "Evidence fixity check failed",
    "incident.eido_exported": "Incident fetched as an EIDO",
    "incident.ics214_exported": "ICS-214 activity log downloaded",
    "incident.legal_hold_placed": "Incident placed on legal hold",
    "incident.legal_hold_lifted": "Legal hold lifted",
    "organization.retention_changed": "Retention periods changed",
    "retention.deleted": "Deleted under retention (deletion ledger)",
    "drill.ics214_exported": "Drill's ICS-214 activity log downloaded",
    "corrective_action.created": "Corrective action added",
    "corrective_action.completed": "Corrective action done",
}


def action_label(action: str) -> str:
    """An action as people read it: "auth.login" is "Signed in"; a code not in the table still reads
    as words ("incident.status_changed" is "Incident: status changed")."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    subject, _, verb = action.partition(".")
    subject = subject.replace("_", " ").capitalize()
    return f"{subject}: {verb.replace('_', ' ').replace('.', ' ')}" if verb else subject


def object_kind(object_type: str) -> str:
    """An object's kind by its model's name ("accounts.user" is "User"), else the stored label."""
    if not object_type:
        return ""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name).capitalize()
