"""The live board page, its detail panel, and the escalation, panic and message actions.

Actions answer JSON to the board's fetch calls and redirect ordinary form posts back."""

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Organization, Site
from audit import services as audit
from dispatch import events, policy, selectors, services
from dispatch.forms import BoardFilterForm, SiteProfileForm
from dispatch.models import BoardPreference, Escalation, RejectionCause, SiteProfile
from dispatch.selectors import BoardFilter
from incidents import selectors as incident_selectors
from incidents.models import Incident
from incidents.purpose import page_context as personal_data_context
from portal import keyset
from portal.edges import back, confirm, current_user, flash_errors, found_or_404, parse_int, wants_json

RECENT_LIMIT = 30
HISTORY_PAGE = 25
# Newest first, along the index (agency, requested_at DESC, id DESC): a keyset, never a full count.
HISTORY_KEYS = (keyset.Key("requested_at", descending=True), keyset.Key("pk", descending=True))


def _board_agency(request: HttpRequest) -> Organization:
    agency = policy.board_agency(request.user)
    if agency is None:
        raise PermissionDenied("The live board is for the agency's liaisons.")
    return agency


def _site_payload(site: Site) -> dict[str, Any]:
    return {
        "id": site.pk,
        "name": site.name,
        "code": site.code,
        "latitude": float(site.latitude) if site.latitude is not None else None,
        "longitude": float(site.longitude) if site.longitude is not None else None,
        "outline": site.outline or [],
    }


def board(request: HttpRequest) -> HttpResponse:
    """The agency's live escalation board: the open escalations beside a map, the recently cleared,
    filters, and the way to the full history."""
    agency = _board_agency(request)
    sites = selectors.list_board_sites(for_user=request.user)
    form = BoardFilterForm(request.GET or None, sites=sites, states=Escalation.OPEN)
    escalations = list(selectors.list_board_escalations(for_user=request.user))
    only = form.board_filter()
    if only != BoardFilter():  # the rows drawn without JavaScript; the snapshot keeps them all
        chosen = set(
            selectors.list_board_escalations(for_user=request.user, only=only).values_list("pk", flat=True)
        )
        escalations_shown = [e for e in escalations if e.pk in chosen]
    else:
        escalations_shown = escalations
    since = timezone.now() - timedelta(hours=settings.BOARD_RECENT_HOURS)
    recent = list(selectors.list_recently_cleared(for_user=request.user, since=since)[:RECENT_LIMIT])
    unread = selectors.list_unread_escalations(for_user=request.user, escalations=escalations)
    density = selectors.get_board_density(for_user=request.user)
    snapshot = {
        "last": selectors.last_board_sequence(agency_id=agency.pk),
        "escalations": [events.escalation_payload(escalation) for escalation in escalations],
        "recent": [events.escalation_payload(escalation) for escalation in recent],
        "recent_hours": settings.BOARD_RECENT_HOURS,
        "sites": [_site_payload(site) for site in sites],
        "unread": sorted(unread),
        "tile_url": settings.BOARD_TILE_URL,
        "can_act": policy.can_act_on_board(request.user, agency),
    }
    return render(
        request,
        "dispatch/board.html",
        {
            "agency": agency,
            "escalations": escalations_shown,
            "recent": recent,
            "recent_hours": settings.BOARD_RECENT_HOURS,
            "unread": unread,
            "filter_form": form,
            "density": density,
            "densities": BoardPreference.Density.choices,
            "snapshot": snapshot,
        },
    )


def board_history(request: HttpRequest) -> HttpResponse:
    """Every escalation the agency received, newest first, filtered like the board. The board opens it
    in a drawer (``?fragment=1``: the list alone); on its own it is a page."""
    agency = _board_agency(request)
    sites = selectors.list_board_sites(for_user=request.user)
    form = BoardFilterForm(request.GET or None, sites=sites, states=tuple(Escalation.Status.values))
    history = selectors.list_agency_history(for_user=request.user, only=form.board_filter())
    try:
        page = keyset.paginate(
            history, keys=HISTORY_KEYS, cursor=request.GET.get("cursor"), size=HISTORY_PAGE
        )
    except ValidationError:  # a stale or mangled link: the first page
        page = keyset.paginate(history, keys=HISTORY_KEYS, cursor=None, size=HISTORY_PAGE)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("cursor", None)
    query.pop("fragment", None)
    fragment = request.GET.get("fragment") == "1"
    return render(
        request,
        "dispatch/_board_history.html" if fragment else "dispatch/board_history.html",
        {"agency": agency, "page": page, "filter_form": form, "query": query.urlencode()},
    )


@require_POST
def board_preferences(request: HttpRequest) -> HttpResponse:
    """The board's density (compact or comfortable), kept for the user on the server."""
    try:
        preference = services.set_board_density(
            user=current_user(request), density=request.POST.get("density", "")
        )
    except ValidationError as error:
        if wants_json(request):
            return JsonResponse({"detail": " ".join(error.messages)}, status=400)
        flash_errors(request, error)
    else:
        if wants_json(request):
            return JsonResponse({"density": preference.density})
        messages.success(request, f"Board density: {preference.get_density_display().lower()}.")
    return redirect("dispatch:board")


def _escalation(request: HttpRequest, escalation_id: Any) -> Escalation:
    return found_or_404(
        lambda: selectors.get_escalation(escalation_id=escalation_id, for_user=request.user),
        "No such escalation, or not one you may see.",
    )


def board_panel(request: HttpRequest, escalation_id: Any) -> HttpResponse:
    """The board's detail panel: the incident, its evidence, its timeline and messages."""
    escalation = _escalation(request, escalation_id)
    try:
        incident = incident_selectors.get_incident(
            incident_id=escalation.incident.public_id, for_user=request.user
        )
    except Incident.DoesNotExist:
        # The share ended (rejected, cancelled, or ended by the provider): the board keeps the
        # escalation's own record, and nothing of the incident (README, "Who sees what").
        return render(request, "dispatch/board_panel_ended.html", {"escalation": escalation})
    audit.record(action="incident.viewed", actor=request.user, obj=incident, via="board")
    # The site's profile stands beside every escalation: the escalation is what lets the agency see it.
    services.record_profile_view(site=incident.site, by=request.user, via="board")
    services.mark_escalation_read(escalation=escalation, by=request.user)
    recent, total = selectors.list_recent_messages(incident=incident)
    parties = incident_selectors.list_parties(incident=incident, for_user=request.user)
    evidence = incident_selectors.list_evidence(incident=incident, for_user=request.user)
    return render(
        request,
        "dispatch/board_panel.html",
        {
            "escalation": escalation,
            "incident": incident,
            "timeline": incident_selectors.list_timeline(incident=incident, for_user=request.user),
            "parties": parties,
            "evidence": evidence,
            # The people's names and contacts only with the agency reader's purpose (asked once per
            # incident per session; the view is audited with it).
            **personal_data_context(request, incident, parties=parties, evidence=evidence, via="board"),
            "can_act": policy.can_respond_to_escalation(request.user, escalation),
            "profile": selectors.get_site_profile(site=incident.site),
            "rejection_causes": RejectionCause.choices,
            # The conversation beside the message box: what the liaison sends shows there at once.
            "recent_messages": recent,
            "earlier_messages": total - len(recent),
        },
    )


@require_POST
def escalation_act(request: HttpRequest, escalation_id: Any, action: str) -> HttpResponse:
    """One of the escalation's actions (services.ACTIONS: accept, reject, dispatch, on scene,
    clear, cancel, clear the panic)."""
    if action not in services.ACTIONS:
        raise Http404("No such action.")
    escalation = _escalation(request, escalation_id)
    if action == "clear_panic" and request.POST.get("confirmed") != "yes" and not wants_json(request):
        return _confirm_clear_panic(request, escalation)
    values = {**request.POST.dict(), "version": parse_int(request.POST.get("version"))}
    try:
        updated = services.ACTIONS[action].take(
            escalation=escalation, by=current_user(request), values=values
        )
    except ValidationError as error:
        if wants_json(request):
            return JsonResponse({"detail": " ".join(error.messages)}, status=409)
        flash_errors(request, error)
    else:
        if wants_json(request):
            return JsonResponse(events.escalation_payload(updated))
        messages.success(request, _done(updated, action=action))
    return back(request, f"/incidents/{escalation.incident.public_id}/")


def _told_of_clearing(escalation: Escalation) -> list[str]:
    """Who hears that a supervisor cleared the panic (the confirmation says it before, the answer after)."""
    told = [f"{escalation.agency}'s board (at once)", f"the guard who pressed it ({escalation.requested_by})"]
    if escalation.accepted_by is not None:
        told.append(f"{escalation.accepted_by} of {escalation.agency}")
    told.append("your organization's other supervisors")
    return told


def _confirm_clear_panic(request: HttpRequest, escalation: Escalation) -> HttpResponse:
    """ "Guard is safe" is one click from ending a PANIC: it asks first, saying what will happen; only
    the confirmation's POST (``confirmed=yes``) clears it."""
    incident = escalation.incident
    page = f"/incidents/{incident.public_id}/"
    return confirm(
        request,
        title=f"Clear the PANIC on {incident.reference}?",
        question=f"Have you confirmed that {escalation.requested_by} is safe?",
        consequences=[
            "The PANIC stops being active: the desk, the guard's screen and the board show it as "
            "cleared, guard safe.",
            f"Told: {', '.join(_told_of_clearing(escalation))}.",
            f"The escalation itself stays {escalation.get_status_display().lower()}: "
            "the police close their part.",
        ],
        button="Yes, the guard is safe: clear panic",
        cancel=page,
        fields={"confirmed": "yes", "next": page},
        danger=False,
    )


def _done(escalation: Escalation, *, action: str) -> str:
    """What an action did, in words: for clearing a panic, what was cleared and who was told."""
    reference = escalation.incident.reference
    if action != "clear_panic":
        return f"{reference}: {escalation.get_status_display().lower()}."
    told = _told_of_clearing(escalation)
    state = "The PANIC is no longer active: the board shows it as cleared, guard safe."
    return (
        f"Panic cleared on {reference}: you confirmed the guard is safe. {state} "
        f"Told: {', '.join(told)}, each by the channels they chose (the notification log below lists "
        f"every message). The escalation itself stays {escalation.get_status_display().lower()}."
    )


def _incident(request: HttpRequest, incident_id: Any) -> Incident:
    return found_or_404(
        lambda: incident_selectors.get_incident(incident_id=incident_id, for_user=request.user),
        "No such incident, or not one you may see.",
    )


@require_POST
def incident_escalate(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = _incident(request, incident_id)
    try:
        escalation = services.escalate_incident(
            incident=incident, by=current_user(request), reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"{incident.reference} escalated to {escalation.agency}.")
    return redirect("incidents:detail", incident_id=incident.public_id)


@require_POST
def incident_message(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """A message without the live socket (no JavaScript, or the socket is down)."""
    incident = _incident(request, incident_id)
    try:
        entry = services.post_message(
            incident=incident, by=current_user(request), text=request.POST.get("text", "")
        )
    except ValidationError as error:
        if wants_json(request):
            return JsonResponse({"detail": " ".join(error.messages)}, status=400)
        flash_errors(request, error)
    else:
        if wants_json(request):  # the board finds the sent message in its thread by this id
            return JsonResponse({"ok": True, "message": entry.pk}, status=201)
    return back(request, f"/incidents/{incident.public_id}/")


@require_POST
def panic(request: HttpRequest) -> HttpResponse:
    """The panic button: one deliberate gesture makes a severity-1 incident and its escalation."""
    data = request.POST
    try:
        key = uuid.UUID(data.get("idempotency_key", ""))
    except ValueError:
        key = uuid.uuid4()
    try:
        site = selectors.get_panic_site(guard=request.user, site_id=parse_int(data.get("site")))
    except PermissionDenied as refused:
        if wants_json(request):  # the panic button's script shows why, and stops retrying
            return JsonResponse({"detail": str(refused)}, status=403)
        raise
    incident, escalation, alerted = services.press_panic(
        guard=current_user(request),
        site=site,
        idempotency_key=key,
        latitude=data.get("latitude") or None,
        longitude=data.get("longitude") or None,
        accuracy_m=parse_int(data.get("accuracy")),
        as_drill=data.get("as_drill") == "1",
    )
    if wants_json(request):
        return JsonResponse(
            {
                "incident": str(incident.public_id),
                "reference": incident.reference,
                "site": incident.site.name,
                "escalated": escalation is not None,
                "alerted": alerted,
                "url": f"/incidents/{incident.public_id}/",
                "cancel_url": reverse("dispatch:panic_cancel", args=[incident.public_id]),
                "cancel_until": selectors.panic_cancel_deadline(incident).isoformat(),
                "cancel_seconds": settings.PANIC_CANCEL_SECONDS,
            },
            status=201,
        )
    # Exactly who was alerted (the panic's timeline record), never a promise it cannot keep.
    level = messages.ERROR if escalation is not None else messages.WARNING
    messages.add_message(request, level, alerted)
    return redirect("incidents:detail", incident_id=incident.public_id)


@require_POST
def panic_cancel(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """The guard cancels a false panic press within its window; everyone alerted is told."""
    incident = _incident(request, incident_id)
    try:
        services.cancel_panic(incident=incident, by=current_user(request))
    except ValidationError as error:
        if wants_json(request):
            return JsonResponse({"detail": " ".join(error.messages)}, status=409)
        flash_errors(request, error)
    else:
        police = "the police were told it was a false press; " if incident.escalations.exists() else ""
        told = f"PANIC {incident.reference} cancelled: {police}it is recorded for your supervisors."
        if wants_json(request):
            url = f"/incidents/{incident.public_id}/"
            return JsonResponse({"cancelled": True, "detail": told, "url": url})
        messages.success(request, told)
    return redirect("incidents:detail", incident_id=incident.public_id)


@require_POST
def panic_move(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """The guard who pressed a panic moves it to the site they are really at."""
    incident = _incident(request, incident_id)
    try:
        site = selectors.get_panic_site(guard=request.user, site_id=parse_int(request.POST.get("site")))
        escalation = services.move_panic(incident=incident, by=current_user(request), site=site)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        police = f" and sent to {escalation.agency}" if escalation is not None else ""
        messages.success(request, f"PANIC {incident.reference} moved to {site}{police}.")
    return redirect("incidents:detail", incident_id=incident.public_id)


def access_flags(request: HttpRequest) -> HttpResponse:
    """The access review's flags of the agency's people, with their evidence, for its org admins.
    Reading them is audited."""
    if not policy.can_review_access_flags(request.user):
        raise PermissionDenied("Access flags are for your agency's org admins.")
    audit.record(action="access_flags.read", actor=request.user)
    flags = selectors.list_access_flags(for_user=request.user)[:100]
    return render(request, "dispatch/access_flags.html", {"flags": flags})


def site_profiles(request: HttpRequest) -> HttpResponse:
    """The safety profiles of the sites the user may read, the overdue ones first."""
    if not policy.can_list_site_profiles(request.user):
        raise PermissionDenied("Site safety profiles are for supervisors and the partnering agency.")
    rows = selectors.list_profile_sites(for_user=request.user)
    return render(request, "dispatch/site_profiles.html", {"rows": rows})


def site_profile(request: HttpRequest, site_id: int) -> HttpResponse:
    """One site's safety profile: its supervisors edit it, the partnering agency reads it."""
    site = found_or_404(
        lambda: selectors.get_profile_site(site_id=site_id, for_user=request.user),
        "No such site, or not one whose profile you may see.",
    )
    profile = selectors.get_site_profile(site=site)
    can_edit = policy.can_edit_site_profile(request.user, site)
    form = SiteProfileForm(instance=profile)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only the provider's supervisors keep this profile.")
        form = SiteProfileForm(request.POST, instance=SiteProfile(site=site))
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.save_site_profile(
                    site=site,
                    by=current_user(request),
                    texts={name: data[name] for name in services.PROFILE_TEXT_FIELDS},
                    reverify_days=data["reverify_days"],
                    verified=data["verified"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Safety profile of {site} saved.")
                return redirect("dispatch:site_profile", site_id=site.pk)
    else:
        services.record_profile_view(site=site, by=request.user, via="page")
    return render(
        request,
        "dispatch/site_profile.html",
        {
            "site": site,
            "profile": profile,
            "form": form,
            "can_edit": can_edit,
            "suggested_agency": selectors.suggest_agency(site=site),
        },
    )


@require_POST
def floor_plan_add(request: HttpRequest, site_id: int) -> HttpResponse:
    """A supervisor adds a floor plan (image or PDF) to the site's profile."""
    site = found_or_404(
        lambda: selectors.get_profile_site(site_id=site_id, for_user=request.user),
        "No such site, or not one whose profile you may see.",
    )
    upload = request.FILES.get("plan")
    if upload is None:
        messages.error(request, "Choose a floor plan file (an image or a PDF).")
        return redirect("dispatch:site_profile", site_id=site.pk)
    try:
        plan = services.add_floor_plan(
            site=site,
            by=current_user(request),
            upload=upload,
            name=request.POST.get("name", ""),
            client_sha256=request.POST.get("sha256", ""),
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Floor plan “{plan.name}” kept (SHA-256 {plan.sha256[:16]}…).")
    return redirect("dispatch:site_profile", site_id=site.pk)


def floor_plan(request: HttpRequest, site_id: int, floor_plan_id: uuid.UUID) -> FileResponse:
    """One floor plan file, for those who may read the site's profile (audited)."""
    site = found_or_404(
        lambda: selectors.get_profile_site(site_id=site_id, for_user=request.user),
        "No such site, or not one whose profile you may see.",
    )
    plan = found_or_404(lambda: site.floor_plans.get(public_id=floor_plan_id), "No such floor plan.")
    response = FileResponse(
        services.open_floor_plan(plan=plan, by=request.user),
        filename=f"{plan.name}",
        content_type=plan.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Content-SHA256"] = plan.sha256
    return response


def cad_codes(request: HttpRequest) -> HttpResponse:
    """The agency's own CAD code of each category, beside its APCO code: its liaisons read them,
    its org admins edit them (a blank field removes the mapping)."""
    agency = policy.cad_code_agency(request.user)
    if agency is None:
        raise PermissionDenied("CAD codes are kept by an agency for its own dispatch system.")
    can_edit = policy.can_edit_cad_codes(request.user, agency)
    categories = list(incident_selectors.list_categories())
    mapped = selectors.cad_codes_of(agency_id=agency.pk)
    codes = {category.code: mapped[category.pk] for category in categories if category.pk in mapped}
    errors: list[str] = []
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only the agency's org admins edit its CAD codes.")
        posted = {category.code: request.POST.get(f"cad-{category.code}", "") for category in categories}
        try:
            changed = services.save_cad_codes(agency=agency, by=current_user(request), codes=posted)
        except ValidationError as error:
            errors, codes = list(error.messages), posted
        else:
            messages.success(request, f"CAD codes saved ({len(changed)} changed).")
            return redirect("dispatch:cad_codes")
    rows = [(category, codes.get(category.code, "")) for category in categories]
    return render(
        request,
        "dispatch/cad_codes.html",
        {"agency": agency, "rows": rows, "can_edit": can_edit, "errors": errors},
        status=400 if errors else 200,
    )
