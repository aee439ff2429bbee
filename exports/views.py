"""Export pages: an incident's bundles with the form that asks for one and their progress, the
download, and what an investigator needs to verify a bundle (the public key and the script)."""

import hashlib
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from audit import services as audit
from exports import policy, selectors, services, signing
from exports.forms import BundleForm
from exports.ics214 import activity_log_pdf, drill_activity_log_pdf
from exports.models import Bundle
from incidents.views.fetch import incident_or_404
from portal.edges import current_user, found_or_404, show_errors
from portal.requests import origin_of
from preparedness import selectors as preparedness_selectors

VERIFIER = Path(__file__).with_name("verifier.py")


def _fingerprint() -> tuple[str, str]:
    """The signing key's fingerprint, or why there is none."""
    try:
        return signing.key_fingerprint(), ""
    except signing.SigningKeyMissing as missing:
        return "", str(missing)


def _bundle(request: HttpRequest, bundle_id: Any) -> Bundle:
    return found_or_404(
        lambda: selectors.get_bundle(bundle_id=bundle_id, for_user=request.user),
        "No such bundle, or not one you may see.",
    )


def incident_exports(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """The incident's bundles and the form asking for a new one (a purpose is required)."""
    incident = incident_or_404(request, incident_id)
    user = current_user(request)
    if not policy.can_export_incident(user, incident):
        raise PermissionDenied(
            "Only the provider's supervisors and the liaisons of an agency it was escalated to export it."
        )
    form = BundleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_bundle(
                incident=incident, by=user, purpose=form.cleaned_data["purpose"], origin=origin_of(request)
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "The bundle is being built: its progress shows below.")
            return redirect("exports:incident", incident_id=incident.public_id)
    fingerprint, key_problem = _fingerprint()
    return render(
        request,
        "exports/incident_exports.html",
        {
            "incident": incident,
            "form": form,
            "bundles": selectors.list_incident_bundles(incident=incident, for_user=user),
            "fingerprint": fingerprint,
            "key_problem": key_problem,
        },
        status=400 if form.errors else 200,
    )


def status(request: HttpRequest, bundle_id: Any) -> JsonResponse:
    """A bundle's progress for its page (polled)."""
    bundle = _bundle(request, bundle_id)
    return JsonResponse(
        {
            "status": bundle.status,
            "label": bundle.get_status_display(),
            "percent": bundle.percent,
            "files_done": bundle.files_done,
            "files_total": bundle.files_total,
            "bytes_done": bundle.bytes_done,
            "bytes_total": bundle.bytes_total,
            "sha256": bundle.sha256,
            "error": bundle.error,
        }
    )


def download(request: HttpRequest, bundle_id: Any) -> HttpResponse | FileResponse:
    bundle = _bundle(request, bundle_id)
    try:
        file = services.open_bundle_file(bundle=bundle, by=current_user(request), origin=origin_of(request))
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=409, content_type="text/plain; charset=utf-8")
    response = FileResponse(
        file,
        as_attachment=True,
        filename=f"{bundle.incident.reference}-bundle-{bundle.public_id}.zip",
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def activity_log(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """A closed incident's ICS-214 activity log (PDF)."""
    incident = incident_or_404(request, incident_id)
    user = current_user(request)
    if not policy.can_download_activity_log(user, incident):
        if not incident.is_closed:
            return HttpResponse(
                "The ICS-214 activity log is made for a closed incident.",
                status=409,
                content_type="text/plain; charset=utf-8",
            )
        raise PermissionDenied("Only the provider's staff and the agencies it was escalated to download it.")
    pdf = activity_log_pdf(incident=incident, prepared_by=user)
    audit.record(
        action="incident.ics214_exported", actor=user, obj=incident, sha256=hashlib.sha256(pdf).hexdigest()
    )
    return _pdf_response(pdf, f"{incident.reference}-ICS-214.pdf")


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def drill_activity_log(request: HttpRequest, drill_id: Any) -> HttpResponse:
    """A drill's ICS-214 activity log (PDF, marked EXERCISE), for those who may see the drill."""
    user = current_user(request)
    drill = preparedness_selectors.get_drill(drill_id=drill_id, for_user=user)
    if not policy.can_download_drill_activity_log(user, drill):
        reason = (
            "A cancelled drill has no activity log."
            if drill.cancelled_at
            else "The drill's ICS-214 activity log is made once its window opens."
        )
        return HttpResponse(reason, status=409, content_type="text/plain; charset=utf-8")
    pdf = drill_activity_log_pdf(drill=drill, prepared_by=user)
    audit.record(
        action="drill.ics214_exported", actor=user, obj=drill, sha256=hashlib.sha256(pdf).hexdigest()
    )
    return _pdf_response(pdf, f"drill-{drill.public_id}-ICS-214.pdf")


@login_not_required
@require_GET
def public_key(request: HttpRequest) -> HttpResponse:
    """The deployment's public signing key (PEM), with its fingerprint in a header: public."""
    try:
        pem = signing.public_key_pem()
    except signing.SigningKeyMissing:
        return HttpResponse(
            "This deployment has no signing key yet.", status=404, content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse(pem, content_type="application/x-pem-file")
    response["X-Key-Fingerprint"] = signing.key_fingerprint()
    response["Content-Disposition"] = 'inline; filename="watchpost-signing-key.pem"'
    return response


@login_not_required
@require_GET
def verifier(request: HttpRequest) -> HttpResponse:
    """The standalone verification script (Python and `cryptography` only): public."""
    response = HttpResponse(VERIFIER.read_bytes(), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verify_bundle.py"'
    return response


@login_not_required
@require_GET
def key_page(request: HttpRequest) -> HttpResponse:
    """How to verify a bundle: the key's fingerprint, the key and the script (public, for investigators)."""
    fingerprint, key_problem = _fingerprint()
    return render(request, "exports/verify.html", {"fingerprint": fingerprint, "key_problem": key_problem})
