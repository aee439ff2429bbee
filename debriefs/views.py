"""Debrief pages: the document with its progress, editing, review, versions, PDF, the review
queue, the library of approved debriefs, and corrective actions."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from audit import services as audit
from debriefs import policy, selectors, services
from debriefs.forms import ActionForm, ActionUpdateForm, AgencyForm, DebriefForm, ReviewForm
from debriefs.models import CorrectiveAction, Debrief
from incidents.views.fetch import incident_or_404
from portal.edges import back, current_user, flash_errors, found_or_404


def _debrief(request: HttpRequest, debrief_id: Any) -> Debrief:
    return found_or_404(
        lambda: selectors.get_debrief(debrief_id=debrief_id, for_user=request.user),
        "No such debrief, or not one you may see.",
    )


def incident_debrief(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """The incident's latest debrief, or the button that asks for one."""
    incident = incident_or_404(request, incident_id)
    latest = selectors.list_versions(incident_id=incident.pk, for_user=request.user).first()
    if latest is not None:
        return redirect("debriefs:detail", debrief_id=latest.public_id)
    return render(
        request,
        "debriefs/debrief_missing.html",
        {"incident": incident, "can_write": policy.can_write_debrief(request.user, incident)},
    )


@require_POST
def request_debrief(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = incident_or_404(request, incident_id)
    try:
        debrief = services.request_debrief(incident=incident, by=current_user(request))
    except ValidationError as error:
        flash_errors(request, error)
        return redirect("incidents:detail", incident_id=incident.public_id)
    return redirect("debriefs:detail", debrief_id=debrief.public_id)


def detail(request: HttpRequest, debrief_id: Any) -> HttpResponse:
    user = current_user(request)
    debrief = _debrief(request, debrief_id)
    audit.record(action="debrief.viewed", actor=user, obj=debrief)
    incident = debrief.incident
    editable = debrief.status in (Debrief.Status.DRAFT, Debrief.Status.CHANGES_REQUESTED)
    can_write = policy.can_write_debrief(user, incident)
    initial = {
        "edit_version": debrief.edit_version,
        "summary": debrief.summary,
        "strengths": debrief.strengths,
        "improvements": debrief.improvements,
        "agency_contribution": debrief.agency_contribution,
    }
    return render(
        request,
        "debriefs/debrief_detail.html",
        {
            "debrief": debrief,
            "incident": incident,
            "document": services.render_html(debrief, for_pdf=False),
            "versions": selectors.list_versions(incident_id=incident.pk, for_user=user),
            "latest": selectors.list_versions(incident_id=incident.pk, for_user=user).first(),
            "can_write": can_write,
            "form": DebriefForm(initial=initial) if editable and can_write else None,
            "agency_form": AgencyForm(initial=initial)
            if editable and policy.can_contribute_to_debrief_as_agency(user, debrief)
            else None,
            "review_form": ReviewForm()
            if debrief.status == Debrief.Status.SUBMITTED and policy.can_approve_debrief(user, debrief)
            else None,
            "waiting_on_another": policy.is_waiting_on_another(user, debrief),
            "action_form": ActionForm(owners=selectors.list_action_owners(incident=incident))
            if can_write
            else None,
            "action_update_form": ActionUpdateForm(),
        },
    )


def status(request: HttpRequest, debrief_id: Any) -> JsonResponse:
    """Progress for the page: generating, then the PDF rendering, then ready (polled)."""
    debrief = _debrief(request, debrief_id)
    return JsonResponse(
        {
            "status": debrief.status,
            "pdf_status": debrief.pdf_status,
            "pdf_sha256": debrief.pdf_sha256,
            "pdf_error": debrief.pdf_error,
        }
    )


@require_POST
def edit(request: HttpRequest, debrief_id: Any) -> HttpResponse:
    debrief = _debrief(request, debrief_id)
    form = DebriefForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_text())
        services.update_debrief(
            debrief=debrief,
            by=current_user(request),
            expected_version=form.cleaned_data["edit_version"],
            summary=form.cleaned_data["summary"],
            strengths=form.cleaned_data["strengths"],
            improvements=form.cleaned_data["improvements"],
        )
        if request.POST.get("then") == "submit":
            services.submit_debrief(debrief=debrief, by=current_user(request))
            messages.success(request, "Debrief submitted for review.")
        else:
            messages.success(request, "Debrief saved.")
    except ValidationError as error:
        flash_errors(request, error)
    return redirect("debriefs:detail", debrief_id=debrief.public_id)


@require_POST
def agency(request: HttpRequest, debrief_id: Any) -> HttpResponse:
    debrief = _debrief(request, debrief_id)
    form = AgencyForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_text())
        services.contribute_as_agency(
            debrief=debrief,
            by=current_user(request),
            text=form.cleaned_data["agency_contribution"],
            expected_version=form.cleaned_data["edit_version"],
        )
        messages.success(request, "The agency's account is saved.")
    except ValidationError as error:
        flash_errors(request, error)
    return redirect("debriefs:detail", debrief_id=debrief.public_id)


@require_POST
def review(request: HttpRequest, debrief_id: Any) -> HttpResponse:
    debrief = _debrief(request, debrief_id)
    form = ReviewForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose approve or request changes.")
        if form.cleaned_data["decision"] == "approve":
            services.approve_debrief(
                debrief=debrief, by=current_user(request), comment=form.cleaned_data["comment"]
            )
            messages.success(request, "Debrief approved.")
        else:
            services.request_changes(
                debrief=debrief, by=current_user(request), comment=form.cleaned_data["comment"]
            )
            messages.success(request, "Changes requested.")
    except ValidationError as error:
        flash_errors(request, error)
    return redirect("debriefs:detail", debrief_id=debrief.public_id)


@require_POST
def revise(request: HttpRequest, debrief_id: Any) -> HttpResponse:
    debrief = _debrief(request, debrief_id)
    try:
        revision = services.revise_debrief(debrief=debrief, by=current_user(request))
    except ValidationError as error:
        flash_errors(request, error)
        return redirect("debriefs:detail", debrief_id=debrief.public_id)
    return redirect("debriefs:detail", debrief_id=revision.public_id)


def pdf(request: HttpRequest, debrief_id: Any) -> FileResponse:
    debrief = _debrief(request, debrief_id)
    if debrief.pdf_status != Debrief.Pdf.READY or not debrief.pdf:
        raise Http404("The PDF is not ready yet.")
    audit.record(action="debrief.exported", actor=request.user, obj=debrief, sha256=debrief.pdf_sha256)
    response = FileResponse(
        debrief.pdf.open("rb"),
        as_attachment=True,
        filename=f"{debrief.incident.reference}-debrief-v{debrief.version}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def add_action(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = incident_or_404(request, incident_id)
    form = ActionForm(request.POST, owners=selectors.list_action_owners(incident=incident))
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_text())
        services.add_corrective_action(incident=incident, by=current_user(request), **form.cleaned_data)
        messages.success(request, "Corrective action added.")
    except ValidationError as error:
        flash_errors(request, error)
    return back(request, "debriefs:incident", incident_id=incident.public_id)


@require_POST
def update_action(request: HttpRequest, action_id: Any) -> HttpResponse:
    action = found_or_404(
        lambda: selectors.list_corrective_actions(for_user=request.user).get(public_id=action_id),
        "No such action.",
    )
    form = ActionUpdateForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_text())
        services.update_corrective_action(action=action, by=current_user(request), **form.cleaned_data)
        messages.success(request, "Corrective action updated.")
    except ValidationError as error:
        flash_errors(request, error)
    return back(request, "debriefs:actions")


def index(request: HttpRequest) -> HttpResponse:
    """Supervisors' review queue and the library of approved debriefs (lessons learned)."""
    user = current_user(request)
    if not policy.can_open_debriefs(user):
        raise PermissionDenied("Debriefs belong to an organization.")
    query = request.GET.get("q", "")
    return render(
        request,
        "debriefs/debrief_index.html",
        {
            "queue": selectors.list_review_queue(for_user=user) if policy.can_see_review_queue(user) else [],
            "library": selectors.list_library(for_user=user, text=query)[:100],
            "query": query,
        },
    )


def actions(request: HttpRequest) -> HttpResponse:
    """Corrective actions: the overdue first, then all open ones."""
    user = current_user(request)
    open_actions = selectors.list_corrective_actions(for_user=user).exclude(
        status=CorrectiveAction.Status.DONE
    )
    return render(
        request,
        "debriefs/actions.html",
        {
            "overdue": selectors.list_corrective_actions(for_user=user, overdue=True),
            "open": open_actions,
            "update_form": ActionUpdateForm(),
        },
    )
