"""Lists of incidents: search and filters for whoever may see them, the supervisors' triage queue."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
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
        )
    page = Paginator(selectors.list_incidents(for_user=user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/incident_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filtered": form.is_bound,
            "active_filters": sum(
                1 for name, value in request.GET.items() if name not in ("q", "page", "sort") and value
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
