"""Lists of incidents: search and filters for whoever may see them, the supervisors' triage queue."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from incidents import policy, selectors
from incidents.forms import FilterForm
from incidents.selectors import IncidentFilters
from portal.edges import current_user

PAGE_SIZE = 25


def incident_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
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
            drills=data["drills"] or "hide",
        )
    notice = ""
    if request.GET.get("page", "1") != "1":
        notice = "Page numbers are retired: this is the first page; use Older and Newer to move on."
    try:
        page = selectors.page_incidents(
            for_user=user, filters=filters, cursor=request.GET.get("cursor") or None, size=PAGE_SIZE
        )
    except ValidationError:
        notice = "That link to a page is not valid any more: this is the first page."
        page = selectors.page_incidents(for_user=user, filters=filters, size=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("cursor", None)
    return render(
        request,
        "incidents/incident_list.html",
        {
            "form": form,
            "page": page,
            "notice": notice,
            "query": query.urlencode(),
            "filtered": form.is_bound,
            # A filter left at its default (drills hidden) narrows nothing the page would not: not counted.
            "active_filters": sum(
                1
                for name, value in request.GET.items()
                if name not in ("q", "page", "sort", "cursor")
                and value
                and value != (form.fields[name].initial if name in form.fields else None)
            ),
            "own_open": selectors.list_own_open_incidents(for_user=user) if not form.is_bound else [],
        },
    )


def triage_queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not policy.can_see_triage_queue(user):
        raise PermissionDenied("The triage queue is for supervisors.")
    # ?rows=1: only the rows, which the page fetches again when the queue changes (live, over the
    # navigation's notification socket).
    template = "incidents/_triage_rows.html" if request.GET.get("rows") else "incidents/incident_triage.html"
    return render(request, template, {"incidents": selectors.list_triage_queue(for_user=user)})
