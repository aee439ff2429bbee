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


EDIT_FORM_ID = "debrief-edit"


def _editable(debrief: Debrief) -> bool:
    return debrief.status in (Debrief.Status.DRAFT, Debrief.Status.CHANGES_REQUESTED)


def _action_form(user: Any, debrief: Debrief, data: Any = None) -> ActionForm:
    """The new action's fields: sent with the edit form while there is one, else on their own."""
    joins = EDIT_FORM_ID if _editable(debrief) and policy.can_write_debrief(user, debrief.incident) else ""
    owners = selectors.list_action_owners(incident=debrief.incident)
    return ActionForm(data, owners=owners, joins=joins)


def _page(
    request: HttpRequest,
    debrief: Debrief,
    *,
    form: DebriefForm | None = None,
    agency_form: AgencyForm | None = None,
    review_form: ReviewForm | None = None,
    action_form: ActionForm | None = None,
) -> HttpResponse:
    """The debrief page; after a refused post, with the forms as they were sent (nothing typed is
    lost) and status 400."""
    user = current_user(request)
    incident = debrief.incident
    editable = _editable(debrief)
    can_write = policy.can_write_debrief(user, incident)
    initial = {
        "edit_version": debrief.edit_version,
        "summary": debrief.summary,
        "strengths": debrief.strengths,
        "improvements": debrief.improvements,
        "agency_contribution": debrief.agency_contribution,
    }
    refused = any(bound is not None for bound in (form, agency_form, review_form, action_form))
    if editable and can_write:
        form = form or DebriefForm(initial=initial)
    if editable and policy.can_contribute_to_debrief_as_agency(user, debrief):
        agency_form = agency_form or AgencyForm(initial=initial)
    if debrief.status == Debrief.Status.SUBMITTED and policy.can_approve_debrief(user, debrief):
        review_form = review_form or ReviewForm()
    if can_write:
        action_form = action_form or _action_form(user, debrief)
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
            # A refused form stays on the page even if the debrief moved on meanwhile (its text is kept).
            "form": form if (editable and can_write) or (form is not None and form.is_bound) else None,
            "edit_form_id": EDIT_FORM_ID,
            "agency_form": agency_form,
            "review_form": review_form,
            "waiting_on_another": policy.is_waiting_on_another(user, debrief),
            "action_form": action_form if can_write else None,
            "action_update_form": ActionUpdateForm(),
            "refused": refused,
            "second_person": services.SECOND_PERSON,
        },
        status=400 if refused else 200,
    )


def detail(request: HttpRequest, debrief_id: Any) -> HttpResponse:
    debrief = _debrief(request, debrief_id)
    audit.record(action="debrief.viewed", actor=request.user, obj=debrief)
    return _page(request, debrief)


def _refused(forms: list[Any], error: ValidationError) -> None:
    """A service's refusal on the form whose field it names (the first form for the rest)."""
    if not hasattr(error, "error_dict"):
        forms[0].add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        owner = next((form for form in forms if field in form.fields), forms[0])
        owner.add_error(field if field in owner.fields else None, errors)


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
    """The page's edit form: the text, a corrective action typed beside it, and the submission."""
    user = current_user(request)
    debrief = _debrief(request, debrief_id)
    form = DebriefForm(request.POST)
    action_form = _action_form(user, debrief, request.POST)
    then = request.POST.get("then", "save")
    with_action = then == "add_action" or action_form.is_filled()
    if form.is_valid() and (action_form.is_valid() if with_action else True):
        data = form.cleaned_data
        try:
            services.save_debrief(
                debrief=debrief,
                by=user,
                expected_version=data["edit_version"],
                summary=data["summary"],
                strengths=data["strengths"],
                improvements=data["improvements"],
                action=services.NewAction(**action_form.cleaned_data) if with_action else None,
                submit=then == "submit",
            )
        except ValidationError as error:
            _refused([form, action_form], error)
        else:
            done = "submitted for review" if then == "submit" else "saved"
            added = " with the new corrective action" if with_action else ""
            messages.success(request, f"Debrief {done}{added}.")
            return redirect("debriefs:detail", debrief_id=debrief.public_id)
    messages.error(request, "Nothing was saved: correct what is marked below. What you typed is kept.")
    return _page(request, debrief, form=form, action_form=action_form)


@require_POST
def agency(request: HttpRequest, debrief_id: Any) -> HttpResponse:
    debrief = _debrief(request, debrief_id)
    form = AgencyForm(request.POST)
    if form.is_valid():
        try:
            services.contribute_as_agency(
                debrief=debrief,
                by=current_user(request),
                text=form.cleaned_data["agency_contribution"],
                expected_version=form.cleaned_data["edit_version"],
            )
        except ValidationError as error:
            _refused([form], error)
        else:
            messages.success(request, "The agency's account is saved.")
            return redirect("debriefs:detail", debrief_id=debrief.public_id)
    messages.error(request, "The agency's account was not saved: see below. What you typed is kept.")
    return _page(request, debrief, agency_form=form)


@require_POST
def review(request: HttpRequest, debrief_id: Any) -> HttpResponse:
    debrief = _debrief(request, debrief_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        by, comment = current_user(request), form.cleaned_data["comment"]
        try:
            if form.cleaned_data["decision"] == "approve":
                services.approve_debrief(debrief=debrief, by=by, comment=comment)
                messages.success(request, "Debrief approved.")
            else:
                services.request_changes(debrief=debrief, by=by, comment=comment)
                messages.success(request, "Changes requested.")
        except ValidationError as error:
            _refused([form], error)
        else:
            return redirect("debriefs:detail", debrief_id=debrief.public_id)
    else:
        form.add_error(None, "Choose approve or request changes.")
    messages.error(request, "The review was not recorded: see below. Your comment is kept.")
    return _page(request, debrief, review_form=form)


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
    """An action added on its own (an approved or submitted debrief: no text to save beside it)."""
    incident = incident_or_404(request, incident_id)
    form = ActionForm(request.POST, owners=selectors.list_action_owners(incident=incident))
    if form.is_valid():
        try:
            services.add_corrective_action(incident=incident, by=current_user(request), **form.cleaned_data)
        except ValidationError as error:
            _refused([form], error)
        else:
            messages.success(request, "Corrective action added.")
            return back(request, "debriefs:incident", incident_id=incident.public_id)
    latest = selectors.list_versions(incident_id=incident.pk, for_user=request.user).first()
    if latest is None:
        flash_errors(request, ValidationError(form.errors.as_text()))
        return back(request, "debriefs:incident", incident_id=incident.public_id)
    messages.error(request, "The corrective action was not added: see below. What you typed is kept.")
    return _page(request, latest, action_form=form)


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
    """The review queue, the debriefs being written (supervisors) and the library of approved ones."""
    user = current_user(request)
    if not policy.can_open_debriefs(user):
        raise PermissionDenied("Debriefs belong to an organization.")
    query = request.GET.get("q", "")
    return render(
        request,
        "debriefs/debrief_index.html",
        {
            "queue": selectors.list_review_queue(for_user=user) if policy.can_see_review_queue(user) else [],
            "in_progress": list(selectors.list_in_progress(for_user=user)[:100])
            if policy.can_see_debriefs_in_progress(user)
            else None,
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


def agency_queue(request: HttpRequest) -> HttpResponse:
    """For an agency's liaisons: the debriefs of incidents escalated to it that wait for its account."""
    user = current_user(request)
    if not policy.can_see_agency_queue(user):
        raise PermissionDenied("This list is for an agency's liaisons.")
    waiting = selectors.list_awaiting_agency(for_user=user)
    return render(request, "debriefs/debrief_agency_queue.html", {"debriefs": waiting})
