"""Bulletin pages: the list (live, and a search of every one), publishing, one bulletin with its
versions, receipts and answers, the CAP export, and the live fragment the sites' pages fetch."""

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from audit import services as audit
from bulletins import cap, policy, selectors, services
from bulletins.forms import BulletinForm, CancelForm, PublishForm, SightingForm, UpdateForm
from bulletins.models import Bulletin
from portal.edges import confirm, current_user, flash_errors, found_or_404
from portal.text import UNSTORABLE, storable

SEARCH_LIMIT = 50


def _bulletin(request: HttpRequest, bulletin_id: Any) -> Bulletin:
    return found_or_404(
        lambda: selectors.get_bulletin(bulletin_id=bulletin_id, for_user=request.user),
        "No such bulletin, or not one you may see.",
    )


def _live_context(request: HttpRequest) -> dict[str, Any]:
    live = list(selectors.list_live_bulletins(for_user=request.user))
    return {"bulletin_live": live, "bulletin_read": selectors.read_ids(bulletins=live, user=request.user)}


def bulletin_list(request: HttpRequest) -> HttpResponse:
    """Live bulletins first; below, a search of every bulletin (expired and cancelled ones too)."""
    if not policy.can_open_bulletins(request.user):
        raise PermissionDenied("Bulletins are for the agencies and the sites' guards and supervisors.")
    query = request.GET.get("q", "").strip()[:100]
    if not storable(query):
        messages.error(request, UNSTORABLE)
        query = ""
    found = list(
        selectors.search_bulletins(for_user=request.user, query=query, include_live=bool(query))[
            :SEARCH_LIMIT
        ]
    )
    return render(
        request,
        "bulletins/bulletin_list.html",
        {
            **_live_context(request),
            "query": query,
            "found": found,
            "can_publish": policy.can_publish(request.user),
        },
    )


def bulletin_live(request: HttpRequest) -> HttpResponse:
    """What a site's page shows live (the banner and the list), fetched again on every push."""
    if not policy.bulletin_sites(request.user).exists():
        raise PermissionDenied("Live bulletins are for the sites' guards and supervisors.")
    context = _live_context(request)
    return JsonResponse(
        {
            "count": len(context["bulletin_live"]),
            "banner": render_to_string("bulletins/_banner.html", context, request=request),
            "list": render_to_string("bulletins/_live_list.html", context, request=request),
        }
    )


def bulletin_new(request: HttpRequest) -> HttpResponse:
    agency = policy.publishing_agency(request.user)
    if agency is None:
        raise PermissionDenied("Only an agency's liaisons publish bulletins.")
    form = PublishForm(
        request.POST or None,
        request.FILES or None,
        providers=policy.partnered_providers(agency),
        sites=policy.partnered_sites(agency),
    )
    if request.method == "POST" and form.is_valid():
        try:
            bulletin = services.publish_bulletin(
                by=current_user(request),
                data=form.to_input(),
                audience=form.cleaned_data["audience"],
                providers=form.cleaned_data["providers"],
                sites=form.cleaned_data["sites"],
                photos=form.cleaned_data["photos"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Bulletin published to {bulletin.sites.count()} sites.")
            return redirect("bulletins:detail", bulletin_id=bulletin.public_id)
    return render(request, "bulletins/bulletin_form.html", {"form": form, "heading": "New bulletin"})


def bulletin_detail(request: HttpRequest, bulletin_id: uuid.UUID) -> HttpResponse:
    bulletin = _bulletin(request, bulletin_id)
    audit.record(action="bulletin.viewed", actor=request.user, obj=bulletin)
    sites = selectors.answer_sites(bulletin=bulletin, for_user=request.user)
    can_answer = policy.can_answer(request.user, bulletin)
    receipts = (
        selectors.list_receipts_by_site(bulletin=bulletin)
        if policy.can_see_receipts(request.user, bulletin)
        else None
    )
    return render(
        request,
        "bulletins/bulletin_detail.html",
        {
            "bulletin": bulletin,
            "versions": selectors.list_versions(bulletin=bulletin),
            "photos": selectors.list_photos(bulletin=bulletin),
            "can_answer": can_answer,
            "has_read": request.user.is_authenticated
            and selectors.has_read(bulletin=bulletin, user=current_user(request)),
            "sighting_form": SightingForm(sites=sites, initial={"idempotency_key": uuid.uuid4()})
            if can_answer
            else None,
            "answer_sites": sites,
            "receipts": receipts,
            "sightings": selectors.list_sightings(bulletin=bulletin) if receipts is not None else None,
            "can_manage": policy.can_manage_bulletin(request.user, bulletin),
            "live_answers": receipts is not None
            and policy.answers_agency_id(request.user) == bulletin.agency_id,
            "cancel_form": CancelForm(),
        },
    )


def bulletin_answers(request: HttpRequest, bulletin_id: uuid.UUID) -> HttpResponse:
    """The receipts and sightings of one version, fetched again by its page on every answer pushed."""
    bulletin = _bulletin(request, bulletin_id)
    if not policy.can_see_receipts(request.user, bulletin):
        raise PermissionDenied("Who read it is for the publishing agency's people.")
    receipts = selectors.list_receipts_by_site(bulletin=bulletin)
    sightings = list(selectors.list_sightings(bulletin=bulletin))
    context = {"bulletin": bulletin, "receipts": receipts, "sightings": sightings}
    return JsonResponse(
        {
            "receipts": sum(len(row.receipts) for row in receipts),
            "sightings": len(sightings),
            "html": render_to_string("bulletins/_answers.html", context, request=request),
        }
    )


@require_POST
def bulletin_read(request: HttpRequest, bulletin_id: uuid.UUID) -> HttpResponse:
    bulletin = _bulletin(request, bulletin_id)
    try:
        services.mark_bulletin_read(bulletin=bulletin, by=current_user(request))
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Marked read: {bulletin.title}.")
    target = request.POST.get("next", "")
    return redirect(
        target if target.startswith("/") and not target.startswith("//") else bulletin.get_absolute_url()
    )


@require_POST
def bulletin_sighting(request: HttpRequest, bulletin_id: uuid.UUID) -> HttpResponse:
    bulletin = _bulletin(request, bulletin_id)
    if not policy.can_answer(request.user, bulletin):
        raise PermissionDenied("This bulletin is not live at your sites.")
    form = SightingForm(request.POST, sites=selectors.answer_sites(bulletin=bulletin, for_user=request.user))
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else "The sighting"
            messages.error(request, f"{label}: {' '.join(str(error) for error in errors)}")
        return redirect(bulletin.get_absolute_url())
    try:
        sighting = services.report_sighting(
            bulletin=bulletin,
            by=current_user(request),
            site=form.cleaned_data["site"],
            narrative=form.cleaned_data["narrative"],
            location=form.cleaned_data["location"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ValidationError as error:
        flash_errors(request, error)
        return redirect(bulletin.get_absolute_url())
    messages.success(
        request, f"Sighting reported as {sighting.incident.reference} and escalated to {bulletin.agency}."
    )
    return redirect("incidents:detail", incident_id=sighting.incident.public_id)


def bulletin_update(request: HttpRequest, bulletin_id: uuid.UUID) -> HttpResponse:
    bulletin = _bulletin(request, bulletin_id)
    if not policy.can_manage_bulletin(request.user, bulletin):
        raise PermissionDenied("Only the publishing agency's liaisons change its current version.")
    initial = {name: getattr(bulletin, name) for name in BulletinForm.base_fields if name != "photos"}
    form = UpdateForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.update_bulletin(
                bulletin=bulletin,
                by=current_user(request),
                data=form.to_input(),
                change_note=form.cleaned_data["change_note"],
                photos=form.cleaned_data["photos"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Version {updated.version} published.")
            return redirect("bulletins:detail", bulletin_id=updated.public_id)
    return render(
        request, "bulletins/bulletin_form.html", {"form": form, "heading": f"Update: {bulletin.title}"}
    )


@require_POST
def bulletin_cancel(request: HttpRequest, bulletin_id: uuid.UUID) -> HttpResponse:
    bulletin = _bulletin(request, bulletin_id)
    if not policy.can_manage_bulletin(request.user, bulletin):
        raise PermissionDenied("Only the publishing agency's liaisons cancel it.")
    form = CancelForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Say why it is cancelled.")
        if request.POST.get("confirmed") != "1" and bulletin.is_current and not bulletin.is_cancelled:
            return _confirm_cancel(request, bulletin, reason=form.cleaned_data["reason"])
        cancelled = services.cancel_bulletin(
            bulletin=bulletin, by=current_user(request), reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        flash_errors(request, error)
        return redirect(bulletin.get_absolute_url())
    messages.success(request, "Bulletin cancelled: it has left the sites' live lists.")
    return redirect("bulletins:detail", bulletin_id=cancelled.public_id)


def _confirm_cancel(request: HttpRequest, bulletin: Bulletin, *, reason: str) -> HttpResponse:
    """What cancelling does, and to whom, before it is done (the POST with ``confirmed`` does it)."""
    by = current_user(request)
    sites = [site.name for site in bulletin.sites.order_by("name")]
    told = selectors.list_recipients(bulletin=bulletin).exclude(pk=by.pk).count()
    where = ", ".join(sites) if len(sites) <= 6 else f"{', '.join(sites[:6])} and {len(sites) - 6} more"
    return confirm(
        request,
        title=f"Cancel the bulletin “{bulletin.title}”",
        question=f"Cancel “{bulletin.title}” for all {len(sites)} site{'s' if len(sites) != 1 else ''}?",
        consequences=[
            f"{told} {'person is' if told == 1 else 'people are'} told it is cancelled, by the channels "
            f"each chose: the guards assigned to {where}, and their providers' supervisors.",
            f"Your reason goes with it: “{reason}”.",
            "It leaves those sites' banners and live lists at once; guards can no longer answer “Sighted”.",
            "A last version (CAP Cancel) is written; the earlier versions and their read receipts are kept.",
            "It cannot be undone: to warn the sites again, publish a new bulletin.",
        ],
        button="Cancel the bulletin for everyone",
        cancel=bulletin.get_absolute_url(),
        fields={"reason": reason, "confirmed": "1"},
    )


def bulletin_photo(request: HttpRequest, bulletin_id: uuid.UUID, photo_id: uuid.UUID) -> FileResponse:
    """One photo of a version, for the bulletin's audience only (its download audited)."""
    bulletin = _bulletin(request, bulletin_id)
    photo = found_or_404(
        lambda: selectors.get_photo(bulletin=bulletin, photo_id=photo_id), "No such photo on this bulletin."
    )
    response = FileResponse(
        services.open_photo(photo=photo, bulletin=bulletin, by=request.user),
        filename=photo.name,
        content_type=photo.content_type,
    )
    # Kept by the browser for its own pages a few minutes (the banner shows it on every page), never
    # by a shared cache.
    response["Cache-Control"] = "private, max-age=600"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Content-SHA256"] = photo.sha256
    return response


def bulletin_cap(request: HttpRequest, bulletin_id: uuid.UUID) -> HttpResponse:
    """The version as CAP 1.2 XML."""
    bulletin = _bulletin(request, bulletin_id)
    earlier = [old for old in selectors.list_versions(bulletin=bulletin) if old.version < bulletin.version]
    audit.record(action="bulletin.exported", actor=request.user, obj=bulletin, format="CAP 1.2")
    response = HttpResponse(
        cap.to_cap(bulletin, earlier=earlier), content_type="application/cap+xml; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="bulletin-{bulletin.public_id}-v{bulletin.version}.cap.xml"'
    )
    return response
