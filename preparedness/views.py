"""Preparedness's pages: plans and acknowledgements, drills, briefings, community events, and the
public registration page. Thin: parse, call one service or selector, render."""

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import policy as account_policy
from accounts.models import User
from audit import services as audit
from incidents import policy as incident_policy
from portal.edges import current_user, flash_errors, show_errors
from portal.requests import origin_of
from preparedness import ical, policy, selectors, services
from preparedness.forms import (
    ActionForm,
    AttachmentForm,
    BriefingForm,
    CommentForm,
    CommunityEventForm,
    DecisionForm,
    DrillForm,
    PeopleForm,
    PlanForm,
    RegistrationForm,
    RsvpForm,
    TextForm,
    VersionForm,
)
from preparedness.models import Decision, PlanAttachment, PlanVersion


def _writable_sites(user: Any) -> Any:
    return account_policy.visible_sites(user).filter(is_active=True)


def _own_people(user: Any) -> Any:
    """The user's own organization's people (a partner's are added where the pair is known)."""
    organization = account_policy.organization_of(user)
    return (
        User.objects.filter(is_active=True, membership__organization=organization)
        .select_related("membership__organization")
        .order_by("full_name")
    )


def index(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if account_policy.membership_of(user) is None:
        raise PermissionDenied("Preparedness is for the members of an organization.")
    plans = list(selectors.list_plans(for_user=user))
    return render(
        request,
        "preparedness/index.html",
        {
            "plans": [
                (plan, selectors.current_version(plan), selectors.latest_version(plan)) for plan in plans
            ],
            "drills": selectors.list_drills(for_user=user)[:20],
            "briefings": selectors.list_briefings(for_user=user)[:20],
            "events": selectors.list_community_events(for_user=user)[:20],
            "actions": selectors.list_actions(for_user=user)[:50],
            "pending": selectors.pending_acknowledgements(user=user) if policy.is_guard(user) else [],
            "can_write": any(policy.can_write_plan(user, site) for site in _writable_sites(user)),
            "can_schedule": any(policy.can_schedule_drill(user, site) for site in _writable_sites(user)),
            "can_plan_together": policy.can_plan_together(user),
        },
    )


# --- Plans ------------------------------------------------------------------------------------------


def plan_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    sites = [site.pk for site in _writable_sites(user) if policy.can_write_plan(user, site)]
    if not sites:
        raise PermissionDenied("Only a provider's supervisors write post orders and plans.")
    form = PlanForm(request.POST or None, sites=_writable_sites(user).filter(pk__in=sites))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.create_plan(
                by=user,
                site=data["site"],
                kind=data["kind"],
                scenario=data["scenario"],
                title=data["title"],
                categories=data["categories"],
                sections=form.sections(),
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"{plan.title}: version 1 kept as a draft.")
            return redirect("preparedness:plan", plan_id=plan.public_id)
    return render(request, "preparedness/plan_create.html", {"form": form})


def plan_detail(request: HttpRequest, plan_id: Any) -> HttpResponse:
    user = current_user(request)
    plan = selectors.get_plan(plan_id=plan_id, for_user=user)
    versions = selectors.list_versions(plan=plan, for_user=user)
    current = selectors.current_version(plan)
    latest = versions[0] if versions else None
    can_write = policy.can_write_plan(user, plan.site)
    audit.record(action="plan.viewed", actor=user, obj=plan)
    return render(
        request,
        "preparedness/plan_detail.html",
        {
            "plan": plan,
            "versions": versions,
            "current": current,
            "latest": latest,
            "can_write": can_write,
            "can_review": policy.can_review_plan(user, plan),
            "can_acknowledge": current is not None and policy.can_acknowledge(user, current),
            "acknowledged": current is not None and current.acknowledgements.filter(user=user).exists(),
            "ack_rows": selectors.acknowledgement_rows(version=current) if current and can_write else [],
            "edit_form": VersionForm(sections=latest.sections) if latest and can_write else None,
            "comment_form": CommentForm(),
            "attachment_form": AttachmentForm(),
        },
    )


def _version(request: HttpRequest, plan_id: Any, version_id: Any) -> PlanVersion:
    plan = selectors.get_plan(plan_id=plan_id, for_user=current_user(request))
    version = plan.versions.filter(public_id=version_id).first()
    if version is None or not policy.can_see_version(current_user(request), version):
        raise Http404("No such version.")
    return version


@require_POST
def version_action(request: HttpRequest, plan_id: Any, version_id: Any, action: str) -> HttpResponse:
    user = current_user(request)
    version = _version(request, plan_id, version_id)
    try:
        if action == "edit":
            form = VersionForm(request.POST)
            form.is_valid()
            services.edit_version(version=version, by=user, sections=form.sections())
            messages.success(request, f"Version {version.number} saved.")
        elif action == "publish":
            services.publish_post_orders(version=version, by=user)
            messages.success(
                request, f"Version {version.number} published: the site's guards acknowledge it."
            )
        elif action == "submit":
            services.submit_for_approval(version=version, by=user)
            messages.success(request, f"Version {version.number} sent to the agency for approval.")
        elif action == "approve":
            services.approve_version(version=version, by=user)
            messages.success(request, f"Version {version.number} approved: it is frozen and in force.")
        elif action == "return":
            services.return_version(version=version, by=user, comment=request.POST.get("comment", ""))
            messages.success(request, f"Version {version.number} sent back to the provider.")
        elif action == "comment":
            services.comment_on_version(version=version, by=user, comment=request.POST.get("comment", ""))
            messages.success(request, "Comment added.")
        elif action == "attach":
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationError("Choose a PDF to attach.")
            services.attach_file(version=version, by=user, upload=upload)
            messages.success(request, "Attachment added.")
        elif action == "acknowledge":
            services.acknowledge_version(version=version, by=user)
            messages.success(request, f"Acknowledged: {version.plan.title}, version {version.number}.")
            if request.POST.get("next") == "acknowledge":
                return redirect("preparedness:acknowledge")
        else:
            raise Http404("No such action.")
    except ValidationError as error:
        flash_errors(request, error)
    return redirect("preparedness:plan", plan_id=version.plan.public_id)


@require_POST
def plan_new_version(request: HttpRequest, plan_id: Any) -> HttpResponse:
    user = current_user(request)
    plan = selectors.get_plan(plan_id=plan_id, for_user=user)
    try:
        version = services.start_new_version(plan=plan, by=user)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Version {version.number} started as a draft.")
    return redirect("preparedness:plan", plan_id=plan.public_id)


def attachment(request: HttpRequest, attachment_id: Any) -> HttpResponse:
    user = current_user(request)
    item = (
        PlanAttachment.objects.select_related("version__plan__site").filter(public_id=attachment_id).first()
    )
    if item is None or not policy.visible_plans(user).filter(pk=item.version.plan_id).exists():
        raise Http404("No such attachment.")
    if not policy.can_see_version(user, item.version):
        raise Http404("No such attachment.")
    audit.record(action="plan.attachment_downloaded", actor=user, obj=item.version, sha256=item.sha256)
    response = HttpResponse(bytes(item.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{item.public_id}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def acknowledge(request: HttpRequest) -> HttpResponse:
    """A guard's page before the rest after signing in: what to read and acknowledge."""
    user = current_user(request)
    if not policy.is_guard(user):
        raise PermissionDenied("Acknowledgements are for guards.")
    return render(
        request, "preparedness/acknowledge.html", {"pending": selectors.pending_acknowledgements(user=user)}
    )


# --- Drills -----------------------------------------------------------------------------------------


def drill_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    sites = _writable_sites(user).filter(
        pk__in=[site.pk for site in _writable_sites(user) if policy.can_schedule_drill(user, site)]
    )
    if not sites.exists():
        raise PermissionDenied("Drills are scheduled by supervisors and liaisons.")
    form = DrillForm(request.POST or None, sites=sites, people=_own_people(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            drill = services.schedule_drill(
                by=user,
                site=data["site"],
                scenario=data["scenario"],
                title=data["title"],
                objectives=data["objectives"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                participants=data["participants"],
                mark_participants=data["mark_participants"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"Drill “{drill.title}” scheduled.")
            return redirect("preparedness:drill", drill_id=drill.public_id)
    return render(request, "preparedness/drill_create.html", {"form": form})


def drill_detail(request: HttpRequest, drill_id: Any) -> HttpResponse:
    user = current_user(request)
    drill = selectors.get_drill(drill_id=drill_id, for_user=user)
    now = timezone.now()
    incidents = selectors.drill_incidents(drill)
    first = incidents.first()
    return render(
        request,
        "preparedness/drill_detail.html",
        {
            "drill": drill,
            "running": drill.starts_at <= now < drill.ends_at and not drill.cancelled_at,
            "incidents": incidents,
            "visible": set(_visible_incident_ids(user, [incident.pk for incident in incidents])),
            "real": selectors.real_incidents_during(drill),
            "participants": drill.participants.select_related("membership__organization"),
            "can_cancel": policy.can_schedule_drill(user, drill.site)
            and not drill.cancelled_at
            and not drill.closed_at,
            "first": first,
            # the debrief is drafted by a worker after the window closes: link it once it exists
            "debrief_drafted": first is not None and first.debriefs.exists(),
            "people_form": PeopleForm(
                people=policy.drill_people_for_site(drill.site)
                .exclude(pk__in=drill.participants.values("pk"))
                .select_related("membership__organization")
                .order_by("full_name")
            ),
        },
    )


def _visible_incident_ids(user: Any, ids: list[int]) -> list[int]:
    return list(incident_policy.visible_incidents(user).filter(pk__in=ids).values_list("pk", flat=True))


@require_POST
def drill_participants(request: HttpRequest, drill_id: Any) -> HttpResponse:
    user = current_user(request)
    drill = selectors.get_drill(drill_id=drill_id, for_user=user)
    form = PeopleForm(request.POST, people=policy.drill_people_for_site(drill.site))
    try:
        chosen = form.cleaned_data["people"] if form.is_valid() else []
        services.add_participants(drill=drill, by=user, people=chosen)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, "Participants added.")
    return redirect("preparedness:drill", drill_id=drill.public_id)


@require_POST
def drill_cancel(request: HttpRequest, drill_id: Any) -> HttpResponse:
    user = current_user(request)
    drill = selectors.get_drill(drill_id=drill_id, for_user=user)
    try:
        services.cancel_drill(drill=drill, by=user)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, "The drill is cancelled: nothing is marked as part of it from now on.")
    return redirect("preparedness:drill", drill_id=drill.public_id)


class _Echo:
    def write(self, value: str) -> str:
        return value


def drill_export(request: HttpRequest, drill_id: Any) -> HttpResponse:
    """The drill's incidents as CSV, each row with CAP's status (Exercise)."""
    user = current_user(request)
    drill = selectors.get_drill(drill_id=drill_id, for_user=user)
    if not policy.can_schedule_drill(user, drill.site):
        raise PermissionDenied("The drill's organizers export it.")
    writer = csv.writer(_Echo())
    rows = [
        writer.writerow(["status", "reference", "category", "severity", "received_at", "incident_status"])
    ]
    for incident in selectors.drill_incidents(drill):
        rows.append(
            writer.writerow(
                [
                    incident.cap_status,
                    incident.reference,
                    incident.category.name if incident.category else "",
                    incident.severity or "",
                    incident.received_at.isoformat(),
                    incident.get_status_display(),
                ]
            )
        )
    audit.record(action="drill.exported", actor=user, obj=drill, rows=len(rows) - 1)
    response = HttpResponse("".join(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="drill-{drill.public_id}.csv"'
    return response


# --- Briefings --------------------------------------------------------------------------------------


def briefing_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    providers, agencies = policy.briefing_partners(user)
    if not (providers.exists() and agencies.exists()):
        raise PermissionDenied("Briefings are scheduled by the staff of partnered organizations.")
    form = BriefingForm(
        request.POST or None, providers=providers, agencies=agencies, people=_own_people(user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            briefing = services.schedule_briefing(
                by=user,
                provider=data["provider"],
                agency=data["agency"],
                title=data["title"],
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                recurrence=data["recurrence"],
                location=data["location"],
                agenda=data["agenda"],
                sites=data["sites"],
                attendees=data["attendees"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"“{briefing.title}” scheduled; the invitations are on their way.")
            return redirect("preparedness:briefing", briefing_id=briefing.public_id)
    return render(request, "preparedness/briefing_create.html", {"form": form})


def briefing_detail(request: HttpRequest, briefing_id: Any) -> HttpResponse:
    user = current_user(request)
    briefing = selectors.get_briefing(briefing_id=briefing_id, for_user=user)
    people = policy.briefing_people(briefing).select_related("membership__organization").order_by("full_name")
    mine = next((a for a in briefing.attendees.all() if a.user_id == user.pk), None)
    return render(
        request,
        "preparedness/briefing_detail.html",
        {
            "briefing": briefing,
            "mine": mine,
            "can_run": policy.can_run_briefing(user, briefing),
            "rsvp_form": RsvpForm(initial={"rsvp": mine.rsvp if mine else None}),
            "agenda_form": TextForm(initial={"text": briefing.agenda}, prefix="agenda"),
            "minutes_form": TextForm(initial={"text": briefing.minutes}, prefix="minutes"),
            "decision_form": DecisionForm(people=people),
            "action_form": ActionForm(people=people),
            "invite_form": PeopleForm(
                people=people.exclude(pk__in=[a.user_id for a in briefing.attendees.all()])
            ),
        },
    )


@require_POST
def briefing_action(request: HttpRequest, briefing_id: Any, action: str) -> HttpResponse:
    user = current_user(request)
    briefing = selectors.get_briefing(briefing_id=briefing_id, for_user=user)
    people = policy.briefing_people(briefing)
    try:
        if action == "rsvp":
            services.answer_invitation(briefing=briefing, by=user, rsvp=request.POST.get("rsvp", ""))
            messages.success(request, "Your answer is saved.")
        elif action == "agenda":
            services.update_agenda(briefing=briefing, by=user, agenda=request.POST.get("agenda-text", ""))
            messages.success(request, "Agenda saved.")
        elif action == "trend":
            services.pull_trend_summary(briefing=briefing, by=user)
            messages.success(request, "The trend summary is added to the agenda.")
        elif action == "invite":
            invite = PeopleForm(request.POST, people=people)
            chosen = invite.cleaned_data["people"] if invite.is_valid() else []
            count = services.invite_attendees(briefing=briefing, by=user, people=chosen)
            messages.success(request, f"{count} more invited; their invitations are on their way.")
        elif action == "minutes":
            services.record_minutes(briefing=briefing, by=user, minutes=request.POST.get("minutes-text", ""))
            messages.success(request, "Minutes saved.")
        elif action == "decision":
            form = DecisionForm(request.POST, people=people)
            if not form.is_valid():
                raise ValidationError(
                    [f"{name}: {' '.join(map(str, errs))}" for name, errs in form.errors.items()]
                )
            services.record_decision(
                briefing=briefing,
                by=user,
                decision=form.cleaned_data["decision"],
                owner=form.cleaned_data["owner"],
                due_date=form.cleaned_data["due_date"],
            )
            messages.success(request, "Decision recorded.")
        else:
            raise Http404("No such action.")
    except ValidationError as error:
        flash_errors(request, error)
    return redirect("preparedness:briefing", briefing_id=briefing.public_id)


def briefing_calendar(request: HttpRequest, briefing_id: Any) -> HttpResponse:
    briefing = selectors.get_briefing(briefing_id=briefing_id, for_user=current_user(request))
    response = HttpResponse(ical.briefing_calendar(briefing), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="briefing-{briefing.public_id}.ics"'
    return response


@require_POST
def decision_action(request: HttpRequest, decision_id: Any, action: str) -> HttpResponse:
    user = current_user(request)
    decision = selectors.list_actions(for_user=user).filter(public_id=decision_id).first() or (
        Decision.objects.filter(public_id=decision_id, briefing__in=policy.visible_briefings(user)).first()
    )
    if decision is None:
        raise Http404("No such decision.")
    if action == "assign" and not policy.can_run_briefing(user, decision.briefing):
        # Asked before the form is read: an owner who may not assign learns nothing from its errors.
        raise PermissionDenied("Only the two organizations' staff assign actions.")
    try:
        if action == "assign":
            form = ActionForm(request.POST, people=policy.briefing_people(decision.briefing))
            if not form.is_valid():
                raise ValidationError(
                    [f"{name}: {' '.join(map(str, errs))}" for name, errs in form.errors.items()]
                )
            services.make_action(
                decision=decision,
                by=user,
                owner=form.cleaned_data["owner"],
                due_date=form.cleaned_data["due_date"],
            )
            messages.success(
                request, "The decision is a corrective action now: it is tracked on the actions page."
            )
        else:
            raise Http404("No such action.")
    except ValidationError as error:
        flash_errors(request, error)
    return redirect("preparedness:briefing", briefing_id=decision.briefing.public_id)


# --- Community events -------------------------------------------------------------------------------


def event_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    providers, agencies = policy.briefing_partners(user)
    if not (providers.exists() and agencies.exists()):
        raise PermissionDenied("Community events are organized by the staff of partnered organizations.")
    form = CommunityEventForm(
        request.POST or None, providers=providers, agencies=agencies, people=_own_people(user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = services.create_community_event(
                by=user,
                provider=data["provider"],
                agency=data["agency"],
                kind=data["kind"],
                title=data["title"],
                description=data["description"],
                site=data["site"],
                address=data["address"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
                hosts=data["hosts"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"“{event.title}” created: share its public page.")
            return redirect("preparedness:event", event_id=event.public_id)
    return render(request, "preparedness/event_create.html", {"form": form})


def event_detail(request: HttpRequest, event_id: Any) -> HttpResponse:
    user = current_user(request)
    event = selectors.get_community_event(event_id=event_id, for_user=user)
    audit.record(action="community_event.viewed", actor=user, obj=event)
    return render(
        request,
        "preparedness/event_detail.html",
        {
            "event": event,
            "registrations": event.registrations.all(),
            "seats_left": selectors.seats_left(event),
            "can_run": policy.can_run_community_event(user, event),
            "public_url": request.build_absolute_uri(f"/community/{event.public_id}/"),
        },
    )


@require_POST
def event_action(request: HttpRequest, event_id: Any, action: str) -> HttpResponse:
    user = current_user(request)
    event = selectors.get_community_event(event_id=event_id, for_user=user)
    try:
        if action == "attendance":
            ids = [int(value) for value in request.POST.getlist("attended") if value.isdigit()]
            count = services.record_attendance(event=event, by=user, attended_ids=ids)
            messages.success(request, f"Attendance saved: {count} came.")
        elif action == "remind":
            count = services.send_reminder(event=event, by=user)
            messages.success(request, f"Reminder sent to {count} resident{'s' if count != 1 else ''}.")
        else:
            raise Http404("No such action.")
    except ValidationError as error:
        flash_errors(request, error)
    return redirect("preparedness:event", event_id=event.public_id)


@login_not_required
def public_event(request: HttpRequest, event_id: Any) -> HttpResponse:
    """A community event's public page: no sign-in; residents register with a name and an email."""
    event = selectors.get_public_event(event_id=event_id)
    form = RegistrationForm(request.POST or None, initial={"token": services.form_token(event)})
    registered = False
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.register_resident(
                    event=event,
                    name=data["name"],
                    email=data["email"],
                    token=data["token"],
                    honeypot=data["website"],
                    client=origin_of(request).ip_address or "",
                )
            except services.Refused as refusal:
                form.add_error(None, refusal)
                status = 429 if "Too many" in " ".join(refusal.messages) else 400
            except ValidationError as error:
                show_errors(form, error)
                status = 400
            else:
                registered = True
                form = RegistrationForm(initial={"token": services.form_token(event)})
        else:
            status = 400
        if not registered:
            # A fresh token for the next try (the one sent may have been too fast or expired).
            data = request.POST.copy()
            data["token"] = services.form_token(event)
            form.data = data
    return render(
        request,
        "preparedness/public_event.html",
        {
            "event": event,
            "form": form,
            "registered": registered,
            "seats_left": selectors.seats_left(event),
            "open": event.starts_at > timezone.now(),
        },
        status=status,
    )
