from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit import policy, selectors, services
from audit.selectors import TrailFilters


class TrailForm(forms.Form):
    actor = forms.CharField(label="User", required=False, max_length=254)
    action = forms.CharField(label="Action starts with", required=False, max_length=64)
    obj = forms.CharField(label="Object", required=False, max_length=200)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))


def trail(request: HttpRequest) -> HttpResponse:
    """The organization's audit trail for its admins (all of it for platform admins). Reading it is
    itself audited."""
    if not policy.can_read_audit_trail(request.user):
        raise PermissionDenied("The audit trail is for your organization's admins.")
    # Recorded first: the page then counts and lists the same records (this read among them).
    services.record(action="audit.read", actor=request.user, filters=request.GET.urlencode()[:500])
    form = TrailForm(request.GET or None)
    filters = TrailFilters(**form.cleaned_data) if form.is_bound and form.is_valid() else TrailFilters()
    page = Paginator(selectors.list_trail(for_user=request.user, filters=filters), 50).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/trail.html", {"form": form, "page": page, "query": query.urlencode()})
