"""The incident page, and what its forms post: send, triage, notes, people and vehicles.

The page shows what other apps know about the incident through their template tags (dispatch's
police response, notifications' log): this view computes only incidents' own part."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from audit import services as audit
from incidents import disclosure, policy, purpose, selectors, services
from incidents.forms import (
    EndShareForm,
    LegalHoldForm,
    NoteForm,
    PartyForm,
    ReleaseForm,
    TriageForm,
    VehicleForm,
)
from incidents.models import IncidentShare
from incidents.views.fetch import incident_or_404
from portal.edges import back, current_user, flash_errors, parse_int, wants_json
from portal.requests import origin_of


def incident_detail(request: HttpRequest, incident_id: Any) -> HttpResponse:
    user = current_user(request)
    incident = incident_or_404(request, incident_id)
    audit.record(action="incident.viewed", actor=user, obj=incident)
    return _detail_page(request, incident)


def _detail_page(
    request: HttpRequest, incident: Any, *, triage_form: TriageForm | None = None, status: int = 200
) -> HttpResponse:
    """The incident page; with a refused triage form, that form as sent, its error beside its field."""
    user = current_user(request)
    parties = selectors.list_parties(incident=incident, for_user=user)
    evidence = selectors.list_evidence(incident=incident, for_user=user)
    personal = purpose.page_context(request, incident, parties=parties, evidence=evidence, via="page")
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "timeline": selectors.list_timeline(incident=incident, for_user=user),
            "question": selectors.get_open_question(incident=incident),
            "is_reporter": incident.reporter_id == user.pk,
            "evidence": evidence,
            "parties": parties,
            "sharing": _sharing(user, incident),
            "can_edit": policy.can_edit_incident(user, incident),
            "can_submit": policy.can_submit_incident(user, incident),
            "can_triage": policy.can_triage_incident(user, incident) and not incident.is_closed,
            "can_contribute": policy.can_contribute_to_incident(user, incident),
            "can_hold": policy.can_place_legal_hold(user, incident),
            "show_hold": policy.can_see_legal_hold(user, incident),
            **personal,
            "note_form": NoteForm(),
            "party_form": PartyForm(),
            "vehicle_form": VehicleForm(),
            "triage_form": triage_form or TriageForm(initial={"version": incident.version}),
        },
        status=status,
    )


@require_POST
def incident_give_purpose(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """An agency's reader says why they open the incident's personal data; kept for the session."""
    incident = incident_or_404(request, incident_id)
    user = current_user(request)
    try:
        if not policy.needs_purpose(user, incident):
            raise ValidationError("Your organization's people see this incident's details without a purpose.")
        text = services.give_purpose(
            incident=incident, by=user, purpose=request.POST.get("purpose", ""), origin=origin_of(request)
        )
    except ValidationError as error:
        if wants_json(request):
            return JsonResponse({"detail": " ".join(error.messages)}, status=400)
        flash_errors(request, error)
    else:
        purpose.remember(request, incident, text)
        if wants_json(request):
            return JsonResponse({"purpose": text})
        messages.success(request, f"Purpose noted for {incident.reference}: {text}")
    return back(request, "incidents:detail", incident_id=incident.public_id)


def _sharing(user: Any, incident: Any) -> list[dict[str, Any]] | None:
    """For the provider's supervisors: each share, and what each of its agency's redacted parties
    withholds (what they may release); None for everyone else."""
    if not policy.can_release_personal_data(user, incident):
        return None
    return [
        {
            "share": share,
            "withheld": [
                (view, disclosure.withheld_fields(incident, disclosure.agency(share.agency_id))[view.pk])
                for view in disclosure.parties(incident, disclosure.agency(share.agency_id))
                if view.redacted
            ]
            if share.is_in_force
            else [],
        }
        for share in selectors.list_shares(incident=incident)
    ]


@require_POST
def incident_release_party(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """A supervisor releases a party's redacted fields to one agency the incident is shared with."""
    incident = incident_or_404(request, incident_id)
    form = ReleaseForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Say why the agency needs this person's details.")
        party = incident.parties.filter(pk=form.cleaned_data["party"]).first()
        share = incident.shares.select_related("agency").filter(agency_id=form.cleaned_data["agency"]).first()
        if party is None or share is None:
            raise ValidationError("No such person or agency on this incident.")
        services.release_party(
            party=party, agency=share.agency, by=current_user(request), reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Released to {share.agency}.")
    return back(request, "incidents:detail", incident_id=incident.public_id)


@require_POST
def incident_end_share(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """A supervisor ends an agency's access to the incident, with a reason."""
    incident = incident_or_404(request, incident_id)
    form = EndShareForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Say why the agency no longer needs the incident.")
        share = IncidentShare.objects.filter(incident=incident, pk=form.cleaned_data["share"]).first()
        if share is None:
            raise ValidationError("No such share on this incident.")
        services.end_share(share=share, by=current_user(request), reason=form.cleaned_data["reason"])
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"{share.agency} no longer sees {incident.reference}.")
    return back(request, "incidents:detail", incident_id=incident.public_id)


@require_POST
def incident_legal_hold(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """A provider's supervisor or org admin places or lifts a legal hold, with a reason."""
    incident = incident_or_404(request, incident_id)
    if not policy.can_place_legal_hold(current_user(request), incident):
        raise PermissionDenied("Only the provider's supervisors and org admins place or lift a legal hold.")
    form = LegalHoldForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Say why (a claim, a court order, a case number).")
        change = (
            services.place_legal_hold if form.cleaned_data["action"] == "place" else services.lift_legal_hold
        )
        change(incident=incident, by=current_user(request), reason=form.cleaned_data["reason"])
    except ValidationError as error:
        flash_errors(request, error)
    else:
        done = (
            "is on legal hold: nothing of it is deleted"
            if incident.on_legal_hold
            else "is no longer on legal hold"
        )
        messages.success(request, f"{incident.reference} {done}.")
    return back(request, "incidents:detail", incident_id=incident.public_id)


@require_POST
def incident_submit(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = incident_or_404(request, incident_id)
    version = parse_int(request.POST.get("version"))
    try:
        services.submit_incident(incident=incident, by=current_user(request), expected_version=version)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"{incident.reference} sent to your supervisors.")
    return back(request, "incidents:detail", incident_id=incident.public_id)


@require_POST
def incident_answer(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """The reporter answers the supervisor's question from where it is shown."""
    incident = incident_or_404(request, incident_id)
    try:
        services.answer_question(
            incident=incident,
            by=current_user(request),
            text=request.POST.get("text", ""),
            expected_version=parse_int(request.POST.get("version")),
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Answer sent: {incident.reference} is back with your supervisors.")
    return back(request, "incidents:detail", incident_id=incident.public_id)


@require_POST
def incident_triage(request: HttpRequest, incident_id: Any) -> HttpResponse:
    user = current_user(request)
    incident = incident_or_404(request, incident_id)
    form = TriageForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to do with the report.")
        return back(request, "incidents:detail", incident_id=incident.public_id)
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
            services.close_incident(
                incident=incident,
                by=user,
                resolution=comment,
                expected_version=version,
                confirmed=form.cleaned_data["confirm"],
            )
    except ValidationError as error:
        if getattr(error, "code", None) == services.CONFIRM_CLOSE:
            return _confirm_closing(request, incident, resolution=comment, version=version)
        missing = _comment_error(error)
        if missing:
            # Beside the field, in the triage card (far down a long page), not only at its top.
            form.add_error("comment", missing)
            return _detail_page(request, incident, triage_form=form, status=400)
        flash_errors(request, error)
    else:
        done = {"accept": "accepted", "request_info": "sent back to the reporter", "close": "closed"}
        messages.success(request, f"{incident.reference} {done[action]}.")
    return back(request, "incidents:detail", incident_id=incident.public_id)


def _comment_error(error: ValidationError) -> list[str]:
    """The messages of a refusal that only the comment box can mend (no resolution, no question)."""
    fields = getattr(error, "error_dict", None) or {}
    if not fields or not set(fields) <= {"resolution", "comment"}:
        return []
    return [message for messages_ in error.message_dict.values() for message in messages_]


def _confirm_closing(request: HttpRequest, incident: Any, *, resolution: str, version: int) -> HttpResponse:
    """The confirmation step before closing an incident whose panic or police response is still on:
    the reasons, the resolution as typed, and the button that closes it anyway."""
    return render(
        request,
        "incidents/incident_close_confirm.html",
        {
            "incident": incident,
            "reasons": services.reasons_to_confirm_closing(incident),
            "resolution": resolution,
            "version": version,
        },
        status=409,
    )


@require_POST
def incident_add_note(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = incident_or_404(request, incident_id)
    form = NoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Write the note first.")
        services.add_note(
            incident=incident,
            by=current_user(request),
            text=form.cleaned_data["text"],
            internal=form.cleaned_data["internal"],
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, "Internal note added." if form.cleaned_data["internal"] else "Note added.")
    return back(request, "incidents:detail", incident_id=incident.public_id)


@require_POST
def incident_add_party(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = incident_or_404(request, incident_id)
    form = PartyForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Give the person's role and a description.")
        services.add_party(
            incident=incident, by=current_user(request), party=services.PartyInput(**form.cleaned_data)
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, "Person added.")
    return back(request, "incidents:detail", incident_id=incident.public_id)


@require_POST
def incident_add_vehicle(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = incident_or_404(request, incident_id)
    form = VehicleForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Give a plate or a description.")
        services.add_vehicle(
            incident=incident, by=current_user(request), vehicle=services.VehicleInput(**form.cleaned_data)
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, "Vehicle added.")
    return back(request, "incidents:detail", incident_id=incident.public_id)
