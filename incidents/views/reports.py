"""Incident pages: the guard's report form, lists and search, the incident page, triage."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from accounts.models import User
from audit import services as audit
from debriefs import services as debrief_services
from dispatch import policy as dispatch_policy
from dispatch import selectors as dispatch_selectors
from dispatch import services as dispatch_services
from incidents import policy, selectors, services
from incidents.forms import EditForm, FilterForm, NoteForm, PartyForm, ReportForm, TriageForm, VehicleForm
from incidents.models import Incident
from incidents.selectors import IncidentFilters
from incidents.uploads import install_upload_handlers
from notifications import selectors as notification_selectors
from portal.edges import show_errors
from portal.requests import origin_of

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _incident(request: HttpRequest, incident_id: Any) -> Incident:
    try:
        return selectors.get_incident(incident_id=incident_id, for_user=request.user)
    except Incident.DoesNotExist:
        raise Http404("No such incident, or not one you may see.") from None


def incident_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = FilterForm(request.GET or None, user=user)
    filters = IncidentFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = IncidentFilters(
            site=data["site"].pk if data["site"] else None,
            status=data["status"] or None,
            severity=data["severity"],
            category=data["category"].pk if data["category"] else None,
            reporter=data["reporter"].pk if data["reporter"] else None,
            received_from=data["received_from"],
            received_to=data["received_to"],
            text=data["q"],
            sort=data["sort"] or "newest",
        )
    page = Paginator(selectors.list_incidents(for_user=user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/incident_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "filtered": form.is_bound},
    )


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
                    by=_user(request),
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


@csrf_protect
def _incident_report(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not policy.reportable_sites(user).exists():
        raise PermissionDenied("Only guards and supervisors with a site file reports.")
    form = ReportForm(request.POST or None, user=user)
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
            result = dispatch_services.file_report(
                reporter=user,
                site=data["site"],
                idempotency_key=data["idempotency_key"],
                # With files, the report is sent only once every file is accepted.
                submit=wants_submit and not has_files,
                device_time=data["device_time"],
                parties=parties,
                vehicles=vehicles,
                **form.service_fields(),
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            incident = result.incident
            if not result.created:
                messages.info(request, f"{incident.reference} was already received; nothing was sent twice.")
                return redirect("incidents:detail", incident_id=incident.public_id)
            refusals = _attach_evidence(request, incident) if has_files else []
            for refusal in refusals:
                messages.error(request, refusal)
            if has_files and wants_submit and not refusals:
                try:
                    dispatch_services.send_report(incident=incident, by=user)
                except ValidationError as error:
                    refusals.extend(error.messages)
                    for message in error.messages:
                        messages.error(request, message)
            if refusals:
                messages.warning(
                    request,
                    f"{incident.reference} is kept as a draft: fix what is listed and send it again.",
                )
            elif incident.status == Incident.Status.DRAFT and not wants_submit:
                messages.success(request, f"Draft {incident.reference} kept. Finish it when you can.")
            else:
                messages.success(request, f"{incident.reference} sent to your supervisors.")
            return redirect("incidents:detail", incident_id=incident.public_id)
    return render(request, "incidents/incident_report.html", {"form": form})


def incident_detail(request: HttpRequest, incident_id: Any) -> HttpResponse:
    user = _user(request)
    incident = _incident(request, incident_id)
    audit.record(action="incident.viewed", actor=user, obj=incident)
    escalations = list(dispatch_selectors.list_incident_escalations(incident_id=incident.pk, for_user=user))
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "timeline": selectors.list_timeline(incident=incident),
            "evidence": selectors.list_evidence(incident=incident),
            "can_edit": policy.can_edit_incident(user, incident),
            "can_submit": policy.can_submit_incident(user, incident),
            "can_triage": policy.can_triage_incident(user, incident) and not incident.is_closed,
            "can_contribute": policy.can_contribute_to_incident(user, incident),
            "show_personal_data": policy.can_view_personal_data(user, incident),
            "note_form": NoteForm(),
            "party_form": PartyForm(),
            "vehicle_form": VehicleForm(),
            "triage_form": TriageForm(initial={"version": incident.version}),
            "escalations": escalations,
            "can_escalate": dispatch_policy.can_escalate_incident(user, incident)
            and not any(e.is_open for e in escalations),
            "can_cancel": policy.can_triage_incident(user, incident),
            "can_message": dispatch_policy.can_message_on_incident(user, incident),
            "notification_log": notification_selectors.list_incident_notifications(
                incident=incident, for_user=user
            ),
        },
    )


def incident_edit(request: HttpRequest, incident_id: Any) -> HttpResponse:
    user = _user(request)
    incident = _incident(request, incident_id)
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
            fresh = _incident(request, incident_id)
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


def _back(incident: Incident) -> HttpResponse:
    return redirect("incidents:detail", incident_id=incident.public_id)


def _report_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_POST
def incident_submit(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = _incident(request, incident_id)
    try:
        dispatch_services.send_report(
            incident=incident, by=_user(request), expected_version=_version(request)
        )
    except ValidationError as error:
        _report_errors(request, error)
    else:
        messages.success(request, f"{incident.reference} sent to your supervisors.")
    return _back(incident)


def _version(request: HttpRequest) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isascii() and value.isdigit() else None  # "²" is a digit to isdigit


@require_POST
def incident_triage(request: HttpRequest, incident_id: Any) -> HttpResponse:
    user = _user(request)
    incident = _incident(request, incident_id)
    form = TriageForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to do with the report.")
        return _back(incident)
    action, version = form.cleaned_data["action"], form.cleaned_data["version"]
    comment = form.cleaned_data["comment"]
    try:
        if action == "accept":
            services.accept_incident(incident=incident, by=user, expected_version=version)
        elif action == "request_info":
            services.request_more_information(
                incident=incident, by=user, comment=comment, expected_version=version
            )
        else:
            debrief_services.close_incident(
                incident=incident, by=user, resolution=comment, expected_version=version
            )
    except ValidationError as error:
        _report_errors(request, error)
    else:
        done = {"accept": "accepted", "request_info": "sent back to the reporter", "close": "closed"}
        messages.success(request, f"{incident.reference} {done[action]}.")
    return _back(incident)


@require_POST
def incident_add_note(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = _incident(request, incident_id)
    form = NoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Write the note first.")
        services.add_note(incident=incident, by=_user(request), text=form.cleaned_data["text"])
    except ValidationError as error:
        _report_errors(request, error)
    else:
        messages.success(request, "Note added.")
    return _back(incident)


@require_POST
def incident_add_party(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = _incident(request, incident_id)
    form = PartyForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Give the person's role and a description.")
        services.add_party(
            incident=incident, by=_user(request), party=services.PartyInput(**form.cleaned_data)
        )
    except ValidationError as error:
        _report_errors(request, error)
    else:
        messages.success(request, "Person added.")
    return _back(incident)


@require_POST
def incident_add_vehicle(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = _incident(request, incident_id)
    form = VehicleForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Give a plate or a description.")
        services.add_vehicle(
            incident=incident, by=_user(request), vehicle=services.VehicleInput(**form.cleaned_data)
        )
    except ValidationError as error:
        _report_errors(request, error)
    else:
        messages.success(request, "Vehicle added.")
    return _back(incident)


def triage_queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not policy.can_see_triage_queue(user):
        raise PermissionDenied("The triage queue is for supervisors.")
    return render(
        request,
        "incidents/incident_triage.html",
        {"incidents": selectors.list_triage_queue(for_user=user)},
    )
