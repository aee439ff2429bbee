"""Evidence pages: adding files to an incident, one item with its versions and chain of custody,
the download of the original and the thumbnail of a photo. Every one asks the access policy."""

from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from incidents import disclosure, policy, purpose, selectors, services
from incidents.forms import PurposeForm
from incidents.models import CustodyEvent, Evidence
from incidents.services.evidence import download_name
from incidents.services.redaction import MAX_AREAS
from incidents.uploads import install_upload_handlers
from incidents.views.fetch import evidence_or_404, incident_or_404
from portal.edges import current_user, flash_errors
from portal.requests import origin_of

ResponseT = TypeVar("ResponseT", bound=HttpResponse | FileResponse)
Preview = Evidence.Preview
PLACEHOLDER_TEXT: dict[str, tuple[str, str]] = {
    Preview.PENDING: ("Preparing", "the preview…"),
    Preview.TOO_LARGE: ("Too large", "for a preview"),
    Preview.FAILED: ("No preview", "available"),
}
# An agency's reader sees a photo's thumbnail once they said why they open the incident's details.
PURPOSE_NEEDED = "purpose_needed"
PURPOSE_PLACEHOLDER = ("Purpose", "needed first")


def _no_sniffing(response: ResponseT) -> ResponseT:
    # The bytes are whatever someone uploaded: never let a browser run them as a page.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@csrf_exempt
@require_POST
def evidence_upload(request: HttpRequest, incident_id: Any) -> HttpResponse:
    # The hashing handler must be in place before the CSRF check reads request.POST.
    install_upload_handlers(request)
    return _evidence_upload(request, incident_id)


@csrf_protect
def _evidence_upload(request: HttpRequest, incident_id: Any) -> HttpResponse:
    user = current_user(request)
    incident = incident_or_404(request, incident_id)
    back = redirect("incidents:detail", incident_id=incident.public_id)
    files = request.FILES.getlist("evidence")
    hashes = request.POST.getlist("evidence_sha256")
    supersedes = None
    if request.POST.get("supersedes"):
        supersedes = evidence_or_404(request, request.POST["supersedes"])
        if len(files) > 1:
            messages.error(request, "A new version is one file: choose just one.")
            return redirect("incidents:evidence_detail", evidence_id=supersedes.public_id)
    if not files:
        messages.error(request, "Choose at least one file to add.")
        return back
    origin = origin_of(request)
    added = []
    for index, upload in enumerate(files):
        try:
            added.append(
                services.add_evidence(
                    incident=incident,
                    by=user,
                    upload=upload,
                    client_sha256=hashes[index] if index < len(hashes) else None,
                    origin=origin,
                    description=request.POST.get("description", ""),
                    supersedes=supersedes,
                    internal=request.POST.get("internal") == "on",
                )
            )
        except ValidationError as error:
            flash_errors(request, error)
    if added:
        names = ", ".join(evidence.original_name for evidence in added)
        messages.success(request, f"Added to {incident.reference}: {names}.")
    if supersedes is not None:
        newest = added[0] if added else supersedes
        return redirect("incidents:evidence_detail", evidence_id=newest.public_id)
    return back


def _versions(evidence: Evidence, items: list[Evidence]) -> list[Evidence]:
    """The chain of versions ``evidence`` belongs to, oldest first, from the incident's items."""
    by_pk = {item.pk: item for item in items}
    successor = {item.supersedes_id: item for item in items if item.supersedes_id}
    first = evidence
    while first.supersedes_id in by_pk:
        first = by_pk[first.supersedes_id]
    chain = [first]
    while chain[-1].pk in successor:
        chain.append(successor[chain[-1].pk])
    return chain


def _redaction_rows(evidence: Evidence) -> list[dict[str, Any]]:
    """The redaction form's rows: the saved areas in percent, then empty rows to draw more (the
    script adds rows up to the limit)."""
    rows: list[dict[str, Any]] = [
        {side: f"{area[side] * 100:g}" for side in ("x", "y", "w", "h")} for area in evidence.redactions
    ]
    rows += [{} for _ in range(min(3, MAX_AREAS - len(rows)))]
    return [{"number": number, **row} for number, row in enumerate(rows, start=1)]


@require_GET
def evidence_detail(request: HttpRequest, evidence_id: Any) -> HttpResponse:
    user = current_user(request)
    found = evidence_or_404(request, evidence_id)
    stated = purpose.of_session(request, user, found.incident)
    services.record_custody(
        evidence=found,
        actor=user,
        action=CustodyEvent.Action.VIEWED,
        origin=origin_of(request),
        purpose=stated.text,
    )
    items = list(selectors.list_evidence(incident=found.incident, for_user=user))
    evidence = next(item for item in items if item.pk == found.pk)
    versions = _versions(evidence, items)
    return render(
        request,
        "incidents/evidence_detail.html",
        {
            "incident": found.incident,
            "evidence": evidence,
            "versions": versions,
            "newest": versions[-1],
            "can_contribute": policy.can_contribute_to_incident(user, found.incident),
            "show_hashes": policy.sees_evidence_hashes(user),
            "can_redact": policy.can_redact_evidence(user, evidence) and evidence.has_preview_image,
            "original_withheld": disclosure.original_withheld(evidence, disclosure.reader_of(user)),
            "redaction_rows": _redaction_rows(evidence),
            "thumbnail_budget_megapixels": settings.THUMBNAIL_MAX_PIXELS // 1_000_000,
            "purpose_needed": stated.missing,
            "purpose": stated.text,
            "purpose_form": PurposeForm(initial={"next": request.get_full_path()})
            if stated.missing
            else None,
        },
    )


def _purpose_form(request: HttpRequest) -> PurposeForm:
    return PurposeForm(initial={"next": request.get_full_path()})


def _purpose_first(request: HttpRequest, evidence: Evidence) -> HttpResponse:
    """An agency's reader who has not said why they open this incident's files: the question first
    (403), then back to the file."""
    context = {"incident": evidence.incident, "evidence": evidence, "purpose_form": _purpose_form(request)}
    return render(request, "incidents/purpose_required.html", context, status=403)


@require_GET
def evidence_download(request: HttpRequest, evidence_id: Any) -> HttpResponse | FileResponse:
    evidence = evidence_or_404(request, evidence_id)
    user = current_user(request)
    stated = purpose.of_session(request, user, evidence.incident)
    if stated.missing:
        return _purpose_first(request, evidence)
    file = services.open_evidence_file(
        evidence=evidence, by=user, origin=origin_of(request), purpose=stated.text
    )
    response = FileResponse(
        file, as_attachment=True, filename=download_name(evidence), content_type=evidence.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return _no_sniffing(response)


def _placeholder(status: str) -> HttpResponse:
    """A small picture in the thumbnail's place that says why there is no thumbnail (yet)."""
    first, second = (escape(line) for line in PLACEHOLDER_TEXT.get(status, PURPOSE_PLACEHOLDER))
    # 4:3 like the board's thumbnails (88 by 66 px), large type: a 160-px square shrunk into one, cropped
    # and at a 9-px size, could not be read on the board. Its middle also reads in a square thumbnail.
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120" viewBox="0 0 160 120">'
        '<rect width="160" height="120" fill="#e5e7eb"/>'
        '<text x="80" y="56" font-family="sans-serif" font-size="26" font-weight="700" text-anchor="middle" '
        f'fill="#111827">{first}</text><text x="80" y="86" font-family="sans-serif" font-size="21" '
        f'font-weight="700" text-anchor="middle" fill="#111827">{second}</text></svg>'
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"  # the thumbnail replaces it once the worker made it
    response["X-Preview"] = status
    return _no_sniffing(response)


@require_GET
def evidence_thumbnail(request: HttpRequest, evidence_id: Any) -> HttpResponse | FileResponse:
    """The stored thumbnail (made by a worker, never decoded here), or a placeholder saying why not."""
    evidence = evidence_or_404(request, evidence_id)
    if evidence.thumbnail_status == Preview.NONE:
        raise Http404("This item has no preview.")
    reader = disclosure.reader_of(request.user)
    # An agency gets a redacted photo's redacted copy, or a placeholder: never the plain thumbnail.
    file, status = disclosure.preview(evidence, reader)
    redacted = disclosure.original_withheld(evidence, reader)
    response: HttpResponse | FileResponse
    if file is None:
        response = _placeholder(status if status in PLACEHOLDER_TEXT else Preview.FAILED)
    else:
        user = current_user(request)
        stated = purpose.of_session(request, user, evidence.incident)
        if stated.missing:
            return _placeholder(PURPOSE_NEEDED)
        services.record_custody(
            evidence=evidence,
            actor=user,
            action=CustodyEvent.Action.THUMBNAIL,
            origin=origin_of(request),
            purpose=stated.text,
        )
        response = _no_sniffing(FileResponse(file.open("rb"), content_type="image/jpeg"))
        # An agency's copy changes when the supervisor draws areas: its browser asks every time.
        response["Cache-Control"] = "private, no-cache" if reader.is_agency else "private, max-age=3600"
    if redacted:
        response["X-Redacted"] = "redacted copy"
    return response


def _areas_from(post: Any) -> list[dict[str, float]]:
    """The areas of the form (rows area-N-x/y/w/h, percent of the image; a row left empty or marked
    removed is no area), as fractions; a ValidationError naming a row that is half filled or not numbers."""
    areas = []
    for number in range(1, MAX_AREAS + 1):
        values = [post.get(f"area-{number}-{side}", "").strip() for side in ("x", "y", "w", "h")]
        if post.get(f"area-{number}-remove") or not any(values):
            continue
        if not all(values):
            raise ValidationError({"redactions": f"Area {number}: give x, y, width and height (percent)."})
        try:
            x, y, w, h = (float(value.replace(",", ".")) / 100 for value in values)
        except ValueError:
            raise ValidationError(
                {"redactions": f"Area {number}: x, y, width and height are numbers."}
            ) from None
        areas.append({"x": x, "y": y, "w": w, "h": h})
    return areas


@require_POST
def evidence_redact(request: HttpRequest, evidence_id: Any) -> HttpResponse:
    """A supervisor saves the areas of a photo hidden from the police (none: lifts the redaction)."""
    evidence = evidence_or_404(request, evidence_id)
    back = redirect("incidents:evidence_detail", evidence_id=evidence.public_id)
    try:
        saved = services.redact_evidence(
            evidence=evidence,
            by=current_user(request),
            rectangles=_areas_from(request.POST),
            reason=request.POST.get("reason", ""),
            origin=origin_of(request),
        )
    except ValidationError as error:
        flash_errors(request, error)
        return back
    if saved.redactions:
        count = len(saved.redactions)
        messages.success(
            request,
            f"{count} area{'s' if count != 1 else ''} hidden from the police; their copy is being prepared.",
        )
    else:
        messages.success(request, "Redaction lifted: the police see the whole photo again.")
    return back
