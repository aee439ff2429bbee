from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import policy, selectors, services
from accounts.forms import (
    AcceptInvitationForm,
    ApiTokenForm,
    DebriefRuleForm,
    InviteForm,
    MemberForm,
    RetentionForm,
    TimeZoneForm,
)
from accounts.models import Invitation, Membership, Organization, Role, User
from portal import links
from portal.edges import confirm, current_user, show_errors

LANDING_TEMPLATES = {
    Role.GUARD: "accounts/home_guard.html",
    Role.SUPERVISOR: "accounts/home_supervisor.html",
    Role.LIAISON: "accounts/home_liaison.html",
    Role.ORG_ADMIN: "accounts/home_org_admin.html",
}


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own page."""
    role = policy.role_of(request.user)
    if role is not None:
        template = LANDING_TEMPLATES[role]
    elif policy.is_platform_admin(request.user):
        template = "accounts/home_platform_admin.html"
    else:
        template = "accounts/home_no_role.html"
    return render(request, template, {"sites": selectors.list_sites(for_user=request.user)})


def _managing(request: HttpRequest) -> tuple[User, Organization]:
    user = request.user
    organization = policy.organization_of(user)
    if organization is None or not policy.can_manage_members(user, organization):
        raise PermissionDenied("Only your organization's admins manage its people.")
    assert isinstance(user, User)
    return user, organization


def _member(request: HttpRequest, membership_id: int) -> tuple[User, Membership]:
    user, organization = _managing(request)
    try:
        membership = selectors.get_member(membership_id=membership_id, for_user=user)
    except Membership.DoesNotExist:
        raise Http404("No such member.") from None
    if membership.organization_id != organization.pk:
        raise Http404("No such member.")
    return user, membership


def people_list(request: HttpRequest) -> HttpResponse:
    user, organization = _managing(request)
    return render(
        request,
        "accounts/people_list.html",
        {
            "organization": organization,
            "members": selectors.list_members(for_user=user).filter(organization=organization),
            "invitations": selectors.list_pending_invitations(for_user=user).filter(
                organization=organization
            ),
        },
    )


def people_invite(request: HttpRequest) -> HttpResponse:
    user, organization = _managing(request)
    form = InviteForm(request.POST or None, by=user, organization=organization)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = services.invite_member(
                invited_by=user,
                organization=organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                sites=form.cleaned_data.get("sites") or (),
                site_url=links.site_url(request),
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("accounts:people")
    return render(request, "accounts/people_invite.html", {"form": form, "organization": organization})


def member_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    user, membership = _member(request, membership_id)
    form = MemberForm(request.POST or None, by=user, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_member(
                membership=membership,
                by=user,
                role=form.cleaned_data["role"],
                sites=form.cleaned_data.get("sites") or (),
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"{membership.user} updated.")
            return redirect("accounts:people")
    return render(request, "accounts/member_edit.html", {"form": form, "member": membership})


@require_http_methods(["GET", "POST"])
def member_set_active(request: HttpRequest, membership_id: int) -> HttpResponse:
    """GET: the confirmation page (what deactivating, or reactivating, does); POST: do it."""
    user, membership = _member(request, membership_id)
    person = membership.user
    if request.method == "GET":
        if person.is_active:
            return confirm(
                request,
                title=f"Deactivate {person}",
                question=f"Are you sure you want to deactivate {person} ({person.email})?",
                consequences=[
                    "They are signed out at their next request and their live screens disconnect.",
                    "They can no longer sign in, and API tokens acting as them stop working.",
                    "What they reported, wrote and did stays, with their name, in the records and the audit "
                    "trail.",
                    "You can reactivate them later from People.",
                ],
                button=f"Deactivate {person}",
                cancel=reverse("accounts:people"),
                fields={"active": "0"},
            )
        return confirm(
            request,
            title=f"Reactivate {person}",
            question=f"Reactivate {person} ({person.email})?",
            consequences=[
                f"They can sign in again with their password, as {membership.get_role_display()}.",
                "API tokens acting as them that have not expired or been revoked work again.",
            ],
            button=f"Reactivate {person}",
            cancel=reverse("accounts:people"),
            fields={"active": "1"},
            danger=False,
        )
    active = request.POST.get("active") == "1"
    try:
        services.set_member_active(membership=membership, by=user, active=active)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        verb = "reactivated" if active else "deactivated"
        messages.success(request, f"{person} {verb}.")
    return redirect("accounts:people")


@require_http_methods(["GET", "POST"])
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """GET: the confirmation page; POST: revoke the invitation."""
    user, _organization = _managing(request)
    invitation = selectors.list_pending_invitations(for_user=user).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation.")
    if request.method == "GET":
        return confirm(
            request,
            title=f"Revoke the invitation for {invitation.email}",
            question=f"Are you sure you want to revoke the invitation for {invitation.email}?",
            consequences=[
                "The link in the email stops working at once: nobody can use it to make an account.",
                "You can invite the same address again later; that sends a new link.",
            ],
            button="Revoke the invitation",
            cancel=reverse("accounts:people"),
        )
    services.revoke_invitation(invitation=invitation, by=user)
    messages.success(request, f"Invitation for {invitation.email} revoked: its link no longer works.")
    return redirect("accounts:people")


@login_not_required
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation: Invitation | None = selectors.get_pending_invitation(token=token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            # No session here: signing in goes through allauth, whose MFA stage and set-up rule apply.
            messages.success(
                request,
                f"Welcome to Watchpost, {user.get_short_name()}. Your account is ready: sign in with "
                f"{user.email} and your new password.",
            )
            return redirect("account_login")
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation})


def _token_keeper(request: HttpRequest) -> tuple[User, Organization]:
    user = request.user
    organization = policy.organization_of(user)
    if organization is None or not policy.can_open_api_token_pages(user):
        raise PermissionDenied("Org admins keep their organization's API tokens; liaisons, their own.")
    assert isinstance(user, User)
    return user, organization


def tokens_list(request: HttpRequest) -> HttpResponse:
    user, organization = _token_keeper(request)
    tokens = selectors.list_api_tokens(for_user=user).filter(user__membership__organization=organization)
    context = {
        "organization": organization,
        "tokens": tokens,
        "for_organization": policy.can_manage_members(user, organization),
    }
    return render(request, "accounts/tokens_list.html", context)


@never_cache
def tokens_issue(request: HttpRequest) -> HttpResponse:
    user, organization = _token_keeper(request)
    members = selectors.list_api_token_owners(for_user=user).filter(organization=organization)
    form = ApiTokenForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.issue_api_token(
                user=form.cleaned_data["member"].user,
                by=user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                days=form.cleaned_data["days"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            # The secret is shown in this one response and never again: it is not stored anywhere.
            return render(request, "accounts/tokens_issued.html", {"token": token, "secret": secret})
    return render(request, "accounts/tokens_issue.html", {"form": form, "organization": organization})


@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """GET: the confirmation page; POST: revoke the token."""
    user, organization = _token_keeper(request)
    token = (
        selectors.list_api_tokens(for_user=user)
        .filter(pk=token_id, user__membership__organization=organization)
        .first()
    )
    if token is None:
        raise Http404("No such token.")
    if request.method == "GET":
        return confirm(
            request,
            title=f"Revoke the token {token.prefix}…",
            question=f"Are you sure you want to revoke the token {token.prefix}… ({token.name}), "
            f"which acts as {token.user}?",
            consequences=[
                "Every request carrying it is refused from now on (401).",
                f"Whatever uses it ({token.name}) stops working until it is given a new token.",
                "This cannot be undone: a revoked token never works again.",
            ],
            button="Revoke the token",
            cancel=reverse("accounts:tokens"),
        )
    services.revoke_api_token(token=token, by=user)
    messages.success(request, f"Token {token.prefix}… ({token.name}) revoked.")
    return redirect("accounts:tokens")


def time_zone_edit(request: HttpRequest) -> HttpResponse:
    """Everyone chooses the zone of their own views (their organization's by default)."""
    user = current_user(request)
    organization = policy.organization_of(user)
    organization_zone = organization.time_zone if organization else settings.TIME_ZONE
    form = TimeZoneForm(
        request.POST or None, organization_zone=organization_zone, initial={"time_zone": user.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_time_zone(user=user, time_zone=form.cleaned_data["time_zone"])
        except ValidationError as error:
            show_errors(form, error)
        else:
            zone = selectors.get_time_zone(for_user=user)
            messages.success(request, f"Your own views now show {zone.key} time.")
            return redirect("accounts:time_zone")
    return render(
        request,
        "accounts/time_zone_edit.html",
        {
            "form": form,
            "zone": selectors.get_time_zone(for_user=user),
            "organization_zone": organization_zone,
            "now": timezone.now(),
        },
    )


def retention_edit(request: HttpRequest) -> HttpResponse:
    """An org admin chooses how long the organization's closed incidents, evidence, messages and
    audit records are kept."""
    user = current_user(request)
    organization = policy.organization_of(user)
    if organization is None or not policy.can_set_retention(user, organization):
        raise PermissionDenied("Only an organization's own org admins choose how long its records are kept.")
    initial = {
        "incidents": organization.retain_incidents_days,
        "evidence": organization.retain_evidence_days,
        "messages": organization.retain_messages_days,
        "audit_records": organization.retain_audit_days,
    }
    form = RetentionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_retention(organization=organization, by=user, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, _retention_errors_to_fields(error))
        else:
            messages.success(request, "Retention saved: the nightly run deletes by the new periods.")
            return redirect("accounts:retention")
    return render(request, "accounts/retention_edit.html", {"form": form, "organization": organization})


def _retention_errors_to_fields(error: ValidationError) -> ValidationError:
    """The service names the model's fields; the form's are shorter."""
    if not hasattr(error, "error_dict"):
        return error
    names = dict(
        zip(services.RETENTION_FIELDS, ("incidents", "evidence", "messages", "audit_records"), strict=True)
    )
    return ValidationError({names.get(name, name): errors for name, errors in error.error_dict.items()})


def debrief_rule_edit(request: HttpRequest) -> HttpResponse:
    """A provider's org admin chooses its debrief review rule (who is the second pair of eyes)."""
    user = current_user(request)
    organization = policy.organization_of(user)
    if organization is None or not policy.can_choose_debrief_rule(user, organization):
        raise PermissionDenied("Only a provider's own org admins choose who reviews its debriefs.")
    form = DebriefRuleForm(
        request.POST or None, initial={"debrief_reviewers": organization.debrief_reviewers}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_debrief_reviewers(
                organization=organization, rule=form.cleaned_data["debrief_reviewers"], by=user
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            label = Organization.DebriefReviewers(form.cleaned_data["debrief_reviewers"]).label
            messages.success(request, f"Debriefs are now approved by: {label.lower()}.")
            return redirect("accounts:debrief_rule")
    return render(
        request,
        "accounts/debrief_rule_edit.html",
        {"form": form, "organization": organization, "rule": organization.get_debrief_reviewers_display()},
    )
