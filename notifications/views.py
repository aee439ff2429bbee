"""Notification pages: each person's inbox and settings; org admins' policies and webhooks."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import policy as account_policy
from accounts.models import Organization, Role, User
from incidents import policy as incident_policy
from notifications import policy, selectors, services
from notifications.forms import (
    EndpointForm,
    LevelsForm,
    PolicyForm,
    SettingsForm,
    StepFormSet,
    with_another_step,
)
from notifications.models import CHANNEL_LABELS, EscalationPolicy, Notification, Via, WebhookEndpoint
from notifications.senders import sms
from notifications.services import acknowledgements
from notifications.services.chains import default_agency_plans
from portal.edges import confirm, show_errors

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@never_cache
def desk(request: HttpRequest) -> HttpResponse:
    """The supervisor's desk panels alone (the home fetches them again when its socket says so)."""
    user = _user(request)
    if policy.triage_provider_id(user) is None:
        raise PermissionDenied("The desk is for your provider's supervisors.")
    return render(request, "notifications/_desk_panels.html", {"desk": selectors.get_desk(for_user=user)})


def inbox(request: HttpRequest) -> HttpResponse:
    """The person's notifications, newest first, with the unread ones marked."""
    user = _user(request)
    page = Paginator(selectors.list_inbox(for_user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/notification_list.html",
        {"page": page, "unread": selectors.count_unread(user=user)},
    )


@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        services.mark_read(user=_user(request), notification_id=notification_id)
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"unread": selectors.count_unread(user=request.user)})
    return _back(request, "notifications:inbox")


def _answer(request: HttpRequest, text: str, *, ok: bool, status: int = 200) -> HttpResponse | None:
    """JSON for the pages' scripts; None: the caller redirects with the message."""
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"ok": ok, "message": text}, status=status)
    (messages.success if ok else messages.error)(request, text)
    return None


@require_POST
def acknowledge(request: HttpRequest, notification_id: int) -> HttpResponse:
    """The person acknowledges the alert an inbox entry belongs to (first acknowledgement wins)."""
    via = request.POST.get("via", Via.INBOX)
    try:
        result = acknowledgements.acknowledge_notification(
            user=_user(request), notification_id=notification_id, via=via if via in Via.values else Via.INBOX
        )
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    except (ValidationError, PermissionDenied) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        answer = _answer(request, text, ok=False, status=409)
        return answer or _back(request, "notifications:inbox")
    answer = _answer(request, result.message, ok=True)
    return answer or _back(request, "notifications:inbox")


@require_POST
def acknowledge_incident(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """Opening the incident (its page's script posts this once the page is seen), or its
    "Acknowledge" button: every open alert about it sent to the person is acknowledged."""
    user = _user(request)
    incident = incident_policy.visible_incidents(user).filter(public_id=incident_id).first()
    if incident is None:
        raise Http404("No such incident.")
    via = Via.OPENED if request.POST.get("via") == Via.OPENED else Via.MESSAGE
    results = acknowledgements.acknowledge_incident(user=user, incident_id=incident.pk, via=via)
    text = " ".join(result.message for result in results) or "Nothing here waits for your acknowledgement."
    answer = _answer(request, text, ok=True)
    return answer or redirect("incidents:detail", incident.public_id)


def _platform_admin(request: HttpRequest) -> User:
    user = _user(request)
    if not account_policy.is_platform_admin(user):
        raise PermissionDenied("The platform's health is for platform admins.")
    return user


@never_cache
def health(request: HttpRequest) -> HttpResponse:
    """The platform admins' one page of heartbeats: outbox, beat, queues, webhooks, boards."""
    _platform_admin(request)
    signals = selectors.list_heartbeats()
    return render(
        request,
        "notifications/health_detail.html",
        {"signals": signals, "worst": selectors.worst_state(signals)},
    )


@never_cache
def healthz_detail(request: HttpRequest) -> JsonResponse:
    """/healthz/detail: the same heartbeats as JSON, for the platform's monitoring."""
    _platform_admin(request)
    signals = selectors.list_heartbeats()
    return JsonResponse(
        {"status": selectors.worst_state(signals), "heartbeats": [signal.as_json() for signal in signals]}
    )


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(user=_user(request))
    messages.success(request, f"{count} marked read.")
    return redirect("notifications:inbox")


def settings_page(request: HttpRequest) -> HttpResponse:
    """Mobile number, duty (liaisons) and which channels each kind of notification uses."""
    user = _user(request)
    form = SettingsForm(
        request.POST or None,
        profile=selectors.get_profile(user=user),
        matrix=selectors.preference_matrix(user=user),
        sms_available=sms.is_available(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_notification_settings(
                user=user, phone=form.cleaned_data["phone"], choices=form.choices()
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "Notification settings saved.")
            return redirect("notifications:settings")
    return render(
        request,
        "notifications/settings_edit.html",
        {
            "form": form,
            "sms_unavailable": None if form.sms_available else sms.UNAVAILABLE,
            "can_go_on_duty": policy.can_go_on_duty(user),
        },
    )


@require_POST
def set_duty(request: HttpRequest) -> HttpResponse:
    """A liaison or supervisor goes on or off duty (the board header, the settings page)."""
    on_duty = request.POST.get("on_duty") == "1"
    user = _user(request)
    services.set_on_duty(user=user, on_duty=on_duty)
    liaison = account_policy.role_of(user) == Role.LIAISON
    if on_duty:
        text = (
            "You are on duty: policies page you."
            if liaison
            else "You are on duty: reports and panics reach you."
        )
    elif liaison:
        text = "You are off duty: nobody pages you."
    else:
        text = "You are off duty: reports and panics reach you only when no other supervisor is on duty."
    messages.success(request, text)
    return _back(request, "notifications:settings")


def _organization(request: HttpRequest) -> tuple[User, Organization]:
    user = _user(request)
    organization = account_policy.organization_of(user)
    if organization is None or not policy.can_manage_notifications(user, organization):
        raise PermissionDenied("Only your organization's admins manage its notifications.")
    return user, organization


def policy_list(request: HttpRequest) -> HttpResponse:
    user, organization = _organization(request)
    policies = selectors.list_policies(for_user=user, organization=organization)
    return render(
        request,
        "notifications/policy_list.html",
        {
            "organization": organization,
            "policies": policies,
            "default_plans": default_agency_plans(organization.pk) if organization.is_agency else [],
            "has_default": any(p.site_id is None and p.is_active for p in policies),
            "channels": CHANNEL_LABELS,
            "levels_form": LevelsForm(
                initial={"levels": sorted(selectors.at_once_levels(organization_id=organization.pk))}
            )
            if organization.is_agency
            else None,
        },
    )


@require_POST
def policy_levels(request: HttpRequest) -> HttpResponse:
    """An agency's admin: at which verification levels its policy pages everyone at once."""
    user, organization = _organization(request)
    if not organization.is_agency:
        raise PermissionDenied("Only an agency pages people by verification level.")
    form = LevelsForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose verification levels from 0 to 4.")
        return redirect("notifications:policies")
    try:
        levels = services.set_at_once_levels(
            by=user, organization=organization, levels=form.cleaned_data["levels"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        chosen = ", ".join(str(level) for level in levels) or "none"
        messages.success(request, f"Levels paged at once: {chosen}. Escalations requested from now on.")
    return redirect("notifications:policies")


def policy_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    """Create or edit a policy: its site (or every site) and its ordered steps."""
    user, organization = _organization(request)
    escalation_policy: EscalationPolicy | None = None
    if policy_id is not None:
        try:
            escalation_policy = selectors.get_policy(policy_id=policy_id, for_user=user)
        except EscalationPolicy.DoesNotExist:
            raise Http404("No such policy.") from None
    sites = policy.policy_sites(user, organization)
    people = policy.policy_people(user, organization)
    initial_steps: list[dict[str, Any]] = []
    if escalation_policy is not None:
        initial_steps = [
            {
                "delay_seconds": step.delay_seconds,
                "target": step.target,
                "person": step.person,
                "channels": step.channels,
                "required_channels": step.required_channels,
            }
            for step in escalation_policy.steps.all()
        ]
    form = PolicyForm(
        request.POST or None,
        sites=sites,
        initial={
            "name": escalation_policy.name if escalation_policy else "",
            "site": escalation_policy.site if escalation_policy else None,
            "is_active": escalation_policy.is_active if escalation_policy else True,
        },
    )
    adding = request.method == "POST" and "add_step" in request.POST
    steps = StepFormSet(
        with_another_step(request.POST, prefix="steps") if adding else request.POST or None,
        initial=initial_steps,
        prefix="steps",
        form_kwargs={"organization": organization, "people": people},
    )
    if request.method == "POST" and not adding and form.is_valid() and steps.is_valid():
        try:
            saved = services.save_escalation_policy(
                by=user,
                organization=organization,
                escalation_policy=escalation_policy,
                name=form.cleaned_data["name"],
                site=form.cleaned_data["site"],
                is_active=form.cleaned_data["is_active"],
                steps=steps.steps(),  # type: ignore[attr-defined]
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"Policy “{saved.name}” saved.")
            return redirect("notifications:policies")
    return render(
        request,
        "notifications/policy_edit.html",
        {"form": form, "steps": steps, "policy": escalation_policy, "organization": organization},
    )


@require_http_methods(["GET", "POST"])
def policy_delete(request: HttpRequest, policy_id: int) -> HttpResponse:
    """GET: the confirmation page; POST: delete the policy."""
    user, organization = _organization(request)
    try:
        escalation_policy = selectors.get_policy(policy_id=policy_id, for_user=user)
    except EscalationPolicy.DoesNotExist:
        raise Http404("No such policy.") from None
    if request.method == "GET":
        if escalation_policy.site_id is not None:
            instead = "that site's escalations follow your default policy (every site), if you have one."
        elif organization.is_agency:
            instead = "sites without a policy of their own follow Watchpost's built-in default."
        else:
            instead = (
                "escalations from sites without a policy of their own notify nobody of yours through a "
                "policy (the agency's own policy still pages the police)."
            )
        return confirm(
            request,
            title=f"Delete the policy “{escalation_policy.name}”",
            question=f"Are you sure you want to delete the escalation policy “{escalation_policy.name}”"
            f" ({escalation_policy.site or 'every site'})?",
            consequences=[
                f"Its steps are removed. From now on {instead}",
                "Escalations already running keep the steps they started with.",
                "This cannot be undone: to have it back, make the policy again.",
            ],
            button="Delete the policy",
            cancel=reverse("notifications:policies"),
        )
    services.delete_escalation_policy(escalation_policy=escalation_policy, by=user)
    messages.success(request, f"Policy “{escalation_policy.name}” deleted.")
    return redirect("notifications:policies")


def endpoint_list(request: HttpRequest) -> HttpResponse:
    user, organization = _organization(request)
    return render(
        request,
        "notifications/endpoint_list.html",
        {
            "organization": organization,
            "endpoints": selectors.list_endpoints(for_user=user, organization=organization),
        },
    )


def endpoint_create(request: HttpRequest) -> HttpResponse:
    user, organization = _organization(request)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.create_webhook_endpoint(
                by=user, organization=organization, **form.cleaned_data
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"Endpoint {endpoint.name} added. Give its secret to the receiver.")
            return redirect("notifications:endpoint", endpoint_id=endpoint.public_id)
    return render(request, "notifications/endpoint_create.html", {"form": form, "organization": organization})


def _endpoint(request: HttpRequest, endpoint_id: Any) -> tuple[User, WebhookEndpoint]:
    user, _ = _organization(request)
    try:
        return user, selectors.get_endpoint(endpoint_id=endpoint_id, for_user=user)
    except WebhookEndpoint.DoesNotExist:
        raise Http404("No such endpoint.") from None


@never_cache
def endpoint_detail(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    """An endpoint: edit it, see its secret, send a test event, read its delivery log."""
    user, endpoint = _endpoint(request, endpoint_id)
    form = EndpointForm(
        request.POST or None,
        initial={
            "name": endpoint.name,
            "url": endpoint.url,
            "events": endpoint.events,
            "format": endpoint.format,
            "is_active": endpoint.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_webhook_endpoint(endpoint=endpoint, by=user, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"Endpoint {endpoint.name} saved.")
            return redirect("notifications:endpoint", endpoint_id=endpoint.public_id)
    return render(
        request,
        "notifications/endpoint_detail.html",
        {"endpoint": endpoint, "form": form, "attempts": selectors.list_endpoint_attempts(endpoint=endpoint)},
    )


@require_POST
def endpoint_test(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    user, endpoint = _endpoint(request, endpoint_id)
    services.send_test_event(endpoint=endpoint, by=user)
    messages.success(request, "Test event queued: its result appears in the delivery log below.")
    return redirect("notifications:endpoint", endpoint_id=endpoint.public_id)


@require_http_methods(["GET", "POST"])
def endpoint_rotate(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    """GET: the confirmation page; POST: a new secret."""
    user, endpoint = _endpoint(request, endpoint_id)
    if request.method == "GET":
        return confirm(
            request,
            title=f"New secret for {endpoint.name}",
            question=f"Are you sure you want to replace the signing secret of {endpoint.name}?",
            consequences=[
                "The old secret stops working at once: the receiver refuses every event signed with the "
                "new one until you give it the new secret.",
                "The new secret is shown on the endpoint's page.",
            ],
            button="Make a new secret",
            cancel=reverse("notifications:endpoint", args=[endpoint.public_id]),
        )
    services.rotate_webhook_secret(endpoint=endpoint, by=user)
    messages.warning(request, "New secret made: the old one no longer verifies. Update the receiver now.")
    return redirect("notifications:endpoint", endpoint_id=endpoint.public_id)


@require_http_methods(["GET", "POST"])
def endpoint_delete(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    """GET: the confirmation page; POST: delete the endpoint."""
    user, endpoint = _endpoint(request, endpoint_id)
    if request.method == "GET":
        return confirm(
            request,
            title=f"Delete the endpoint {endpoint.name}",
            question=f"Are you sure you want to delete the webhook endpoint {endpoint.name} "
            f"({endpoint.url})?",
            consequences=[
                "No event is sent to it any more, including pages from escalation policy steps that call "
                "the webhooks.",
                "Its past deliveries stay in the incidents' notification logs.",
                "This cannot be undone: to have it back, add the endpoint again (with a new secret).",
            ],
            button="Delete the endpoint",
            cancel=reverse("notifications:endpoint", args=[endpoint.public_id]),
        )
    services.delete_webhook_endpoint(endpoint=endpoint, by=user)
    messages.success(request, f"Endpoint {endpoint.name} deleted.")
    return redirect("notifications:endpoints")
