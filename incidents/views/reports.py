"""The report form a guard fills in (with its files), and the edit of a report already filed."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from incidents import policy, services
from incidents.forms import EditForm, ReportForm
from incidents.models import Incident
from incidents.uploads import install_upload_handlers
from incidents.views.fetch import incident_or_404
from portal.edges import current_user, show_errors, wants_json
from portal.requests import origin_of


def _attach_evidence(request: HttpRequest, incident: Incident) -> list[str]:
    """Attach each uploaded file; return the refusals (the report itself is kept either way)."""
    files = request.FILES.getlist("evidence")
    hashes = request.POST.getlist("evidence_sha256")
    refusals = []
    for index, upload in enumerate(files):
        try:
            with transaction.atomic():
                services.add_evidence(
                    incident=incident,
                    by=current_user(request),
                    upload=upload,
                    client_sha256=hashes[index] if index < len(hashes) else None,
                    origin=origin_of(request),
                )
        except ValidationError as error:
            refusals.extend(error.messages)
    return refusals


@csrf_exempt
def incident_report(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        install_upload_handlers(request)
    return _incident_report(request)


def _outbox_answer(incident: Incident, *, created: bool, refusals: list[str], message: str) -> JsonResponse:
    """What the device's outbox (static/js/outbox.js) is told of a report it sent: where it is, and
    whether it arrived now, already, or as a draft with files refused."""
    return JsonResponse(
        {
            "reference": incident.reference,
            "url": reverse("incidents:detail", kwargs={"incident_id": incident.public_id}),
            "created": created,
            "status": incident.status,
            "refusals": refusals,
            "message": message,
        },
        status=201 if created else 200,
    )


def _form_refused(form: ReportForm) -> JsonResponse:
    """The form's errors, field by field, for the outbox to show beside the kept report."""
    errors = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
    labels = {name: str(form[name].label) for name in errors if name in form.fields}
    return JsonResponse({"errors": errors, "labels": labels}, status=400)


@csrf_protect
def _incident_report(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not policy.reportable_sites(user).exists():
        raise PermissionDenied("Only guards and supervisors with a site file reports.")
    form = ReportForm(request.POST or None, user=user)
    outbox = request.method == "POST" and wants_json(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        wants_submit = request.POST.get("action") != "draft"
        has_files = bool(request.FILES.getlist("evidence"))
        parties = []
        if data["party_role"]:
            parties.append(
                services.PartyInput(
                    role=data["party_role"],
                    description=data["party_description"],
                    name=data["party_name"],
                    contact=data["party_contact"],
                )
            )
        vehicles = []
        if data["vehicle_plate"] or data["vehicle_description"]:
            vehicles.append(
                services.VehicleInput(plate=data["vehicle_plate"], description=data["vehicle_description"])
            )
        try:
            result = services.report_incident(
                reporter=user,
                site=data["site"],
                idempotency_key=data["idempotency_key"],
                # With files, the report is sent only once every file is accepted.
                submit=wants_submit and not has_files,
                device_time=data["device_time"],
                parties=parties,
                vehicles=vehicles,
                as_drill=data["as_drill"],
                **form.service_fields(),
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            incident = result.incident
            if not result.created:
                already = f"{incident.reference} was already received; nothing was sent twice."
                if outbox:
                    return _outbox_answer(incident, created=False, refusals=[], message=already)
                messages.info(request, already)
                return redirect("incidents:detail", incident_id=incident.public_id)
            refusals = _attach_evidence(request, incident) if has_files else []
            if has_files and wants_submit and not refusals:
                try:
                    services.submit_incident(incident=incident, by=user)
                except ValidationError as error:
                    refusals.extend(error.messages)
            if refusals:
                level = messages.WARNING
                message = f"{incident.reference} is kept as a draft: fix what is listed and send it again."
            elif incident.status == Incident.Status.DRAFT and not wants_submit:
                level, message = messages.SUCCESS, f"Draft {incident.reference} kept. Finish it when you can."
            else:
                level, message = messages.SUCCESS, f"{incident.reference} sent to your supervisors."
            if outbox:
                return _outbox_answer(incident, created=True, refusals=refusals, message=message)
            for refusal in refusals:
                messages.error(request, refusal)
            messages.add_message(request, level, message)
            return redirect("incidents:detail", incident_id=incident.public_id)
    if outbox:
        return _form_refused(form)
    return render(request, "incidents/incident_report.html", {"form": form})


def incident_edit(request: HttpRequest, incident_id: Any) -> HttpResponse:
    user = current_user(request)
    incident = incident_or_404(request, incident_id)
    if not policy.can_edit_incident(user, incident):
        raise PermissionDenied("You may not change this report now.")
    form = EditForm(request.POST or None, incident=incident)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_incident(
                incident=incident, by=user, expected_version=form.cleaned_data["version"], **form.changes()
            )
        except services.EditConflict as conflict:
            messages.error(request, " ".join(conflict.messages))
            fresh = incident_or_404(request, incident_id)
            form = EditForm(incident=fresh)
            return render(
                request,
                "incidents/incident_edit.html",
                {"form": form, "incident": fresh, "conflict": True},
                status=409,
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"{incident.reference} saved.")
            return redirect("incidents:detail", incident_id=incident.public_id)
    return render(request, "incidents/incident_edit.html", {"form": form, "incident": incident})
