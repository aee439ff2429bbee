"""The analytics dashboard: trends, the weekday-by-hour matrix, and the groups behind them."""

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Partnership
from analytics import policy, scorecards, selectors, services
from analytics.exports import csv_lines, incident_document, incident_report_pdf
from analytics.models import PartnershipReport
from dispatch import selectors as dispatch_selectors
from incidents import policy as incident_policy
from incidents import purpose
from incidents import selectors as incident_selectors
from incidents import services as incident_services
from incidents.forms import FilterForm
from incidents.models import Incident
from incidents.selectors import IncidentFilters
from incidents.views.fetch import incident_or_404
from portal.edges import current_user
from portal.requests import origin_of


def dashboard(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not policy.can_open_analytics(user):
        raise PermissionDenied(
            "Analytics are for supervisors, liaisons, organization admins and platform admins."
        )
    trends = selectors.get_trends(for_user=user, today=timezone.localdate())
    groups = [
        ("site", trends.by_site, "sites"),
        ("category", trends.by_category, "categories"),
        ("severity", trends.by_severity, "severities"),
    ]
    spots = selectors.get_hotspots(for_user=user, today=timezone.localdate())
    hotspot_groups = [("By site", spots.by_site), ("By place on the site", spots.by_area[:15])]
    clusters, sites = selectors.get_hotspot_map(for_user=user, since=timezone.now() - timedelta(days=90))
    return render(
        request,
        "analytics/dashboard.html",
        {
            "trends": trends,
            "groups": groups,
            "hotspots": spots,
            "hotspot_groups": hotspot_groups,
            "clusters": clusters,
            "map_sites": sites,
            "tile_url": settings.HOTSPOT_TILE_URL,
            "tile_host": urlsplit(settings.HOTSPOT_TILE_URL).netloc,
        },
    )


def export_incidents_csv(request: HttpRequest) -> HttpResponseBase:
    """The incident list as CSV, with the list's own filters (?status=closed&site=…), streamed."""
    user = current_user(request)
    if not policy.can_open_analytics(user):
        raise PermissionDenied(
            "Exports are for supervisors, liaisons, organization admins and platform admins."
        )
    form = FilterForm(request.GET, user=user)
    if not form.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items()
        )
        return HttpResponse(
            f"The filters are not valid, nothing was exported. {problems}",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
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
        drills=data["drills"] or "hide",  # as the list: drills left out unless asked for
    )
    incidents = incident_selectors.list_incidents(for_user=user, filters=filters).exclude(
        status=Incident.Status.DRAFT
    )
    services.record_export(by=user, kind="incidents_csv", filters={k: v for k, v in request.GET.items() if v})
    response = StreamingHttpResponse(
        csv_lines(incidents.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="incidents.csv"'
    return response


def _incident_document(request: HttpRequest, incident: Any, user: Any) -> dict[str, Any]:
    """The incident as this reader may see it (incidents.disclosure through the selectors): the JSON
    export and the incident report PDF are the same document. An agency's reader gets its people's
    names and contacts only with the purpose given for the incident in this session (audited)."""
    stated = purpose.of_session(request, user, incident)
    if stated.needed and stated.text:
        incident_services.record_personal_data_view(
            incident=incident,
            by=user,
            purpose=stated.text,
            what="export",
            via="export",
            origin=origin_of(request),
        )
    return incident_document(
        incident,
        timeline=incident_selectors.list_timeline(incident=incident, for_user=user),
        evidence=incident_selectors.list_evidence(incident=incident, for_user=user),
        parties=incident_selectors.list_parties(incident=incident, for_user=user),
        escalations=dispatch_selectors.list_incident_escalations(incident_id=incident.pk, for_user=user),
        personal_data=incident_policy.can_view_personal_data(user, incident) and not stated.missing,
    )


def export_incident_json(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """One incident with everything it holds that the reader may see, as JSON."""
    user = current_user(request)
    incident = incident_or_404(request, incident_id)
    document = _incident_document(request, incident, user)
    services.record_export(by=user, kind="incident_json", obj=incident)
    response = JsonResponse(document, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{incident.reference}.json"'
    return response


def _month_of(request: HttpRequest) -> date:
    """The ?month=YYYY-MM asked for (by default the last whole month, as the monthly report); a bad
    one is a 400 naming it."""
    text = request.GET.get("month") or request.POST.get("month") or ""
    this_month = timezone.localdate().replace(day=1)
    if not text:
        return scorecards.month_start(this_month, 1)
    try:
        month = datetime.strptime(text, "%Y-%m").date()
    except ValueError as error:
        raise BadMonth(f"month: “{text[:20]}” is not a month such as {this_month:%Y-%m}.") from error
    if month > this_month:
        raise BadMonth(f"month: {text} has not begun; choose {this_month:%Y-%m} or before.")
    return month


class BadMonth(ValueError):
    pass


def _analyst(request: HttpRequest) -> Any:
    user = current_user(request)
    if not policy.can_open_analytics(user):
        raise PermissionDenied(
            "Partnership scorecards are for supervisors, liaisons, organization admins and platform admins."
        )
    return user


def partnerships(request: HttpRequest) -> HttpResponse:
    """The partnerships whose scorecard the user sees (their own organization's)."""
    user = _analyst(request)
    return render(
        request,
        "analytics/partnership_list.html",
        {"partnerships": scorecards.list_partnerships(for_user=user)},
    )


def _partnership_or_404(partnership_id: int, user: Any) -> Partnership:
    try:
        return scorecards.get_partnership(partnership_id=partnership_id, for_user=user)
    except Partnership.DoesNotExist as error:
        raise Http404("No such partnership of yours.") from error


def scorecard(request: HttpRequest, partnership_id: int) -> HttpResponse:
    """One partnership's scorecard for a month, seen the same by both sides."""
    user = _analyst(request)
    partnership = _partnership_or_404(partnership_id, user)
    try:
        month = _month_of(request)
    except BadMonth as error:
        return HttpResponse(f"Nothing shown. {error}", status=400, content_type="text/plain; charset=utf-8")
    card = scorecards.get_scorecard(partnership=partnership, month=month)
    reports = policy.visible_partnership_reports(user).filter(partnership=partnership)[:6]
    return render(
        request,
        "analytics/scorecard_detail.html",
        {"card": card, "reports": reports, "previous_month": scorecards.month_start(month, 1)},
    )


@require_POST
def request_report(request: HttpRequest, partnership_id: int) -> HttpResponse:
    """Build the scorecard's PDF now, for the one who asked; the report's page shows its progress."""
    user = _analyst(request)
    partnership = _partnership_or_404(partnership_id, user)
    try:
        month = _month_of(request)
        report = services.request_partnership_report(partnership=partnership, by=user, month=month)
    except (BadMonth, ValidationError) as error:
        messages.error(request, f"No report was made. {' '.join(getattr(error, 'messages', [str(error)]))}")
        return redirect("analytics:scorecard", partnership_id=partnership.pk)
    return redirect("analytics:report", partnership_report_id=report.public_id)


def _report(request: HttpRequest, partnership_report_id: Any) -> PartnershipReport:
    user = _analyst(request)
    try:
        return (
            policy.visible_partnership_reports(user)
            .select_related("partnership__provider", "partnership__agency")
            .get(public_id=partnership_report_id)
        )
    except PartnershipReport.DoesNotExist as error:
        raise Http404("No such report of yours.") from error


def report(request: HttpRequest, partnership_report_id: Any) -> HttpResponse:
    """A partnership report's progress (the page reloads itself until it is done), then its PDF."""
    found = _report(request, partnership_report_id)
    return render(request, "analytics/report_detail.html", {"report": found})


def report_pdf(request: HttpRequest, partnership_report_id: Any) -> HttpResponse:
    found = _report(request, partnership_report_id)
    if found.status != PartnershipReport.Status.READY or not found.pdf:
        raise Http404("This report's PDF is not ready.")
    services.record_export(by=current_user(request), kind="partnership_report_pdf", obj=found)
    with found.pdf.open("rb") as document:
        response = HttpResponse(document.read(), content_type="application/pdf")
    name = f"partnership-report-{found.partnership_id}-{found.month:%Y-%m}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def export_incident_pdf(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """One incident's report as a PDF (what the JSON export holds, for reading and filing), audited."""
    user = current_user(request)
    incident = incident_or_404(request, incident_id)
    pdf = incident_report_pdf(_incident_document(request, incident, user))
    services.record_export(by=user, kind="incident_pdf", obj=incident)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{incident.reference}-report.pdf"'
    response["Cache-Control"] = "no-store"
    return response
