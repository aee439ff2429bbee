"""Patrol pages: the guard's shift on the phone, the supervisors' board, a site's checkpoints, tours,
contacts and compliance, its QR sheet, and daily activity reports."""

import uuid
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from accounts.policy import has_role
from patrols import policy, qr, selectors, services
from patrols.models import ClientContact, DailyReport, LoneWorkerAlert, Scan
from portal.edges import confirm, current_user, flash_errors, found_or_404, parse_int


def _device_time(request: HttpRequest) -> Any:
    value = request.POST.get("device_at", "").strip()
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None or timezone.is_naive(parsed):
        raise ValidationError({"device_at": "The phone's time could not be read."})
    return parsed


def _place(request: HttpRequest) -> dict[str, Any]:
    return {
        "latitude": request.POST.get("latitude") or None,
        "longitude": request.POST.get("longitude") or None,
    }


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- The guard's phone ----------------------------------------------------------------------------


def shift(request: HttpRequest) -> HttpResponse:
    """The guard's shift: start it, scan checkpoints, check in, write notes, end it."""
    user = current_user(request)
    _require(has_role(user, Role.GUARD))
    open_shift = selectors.get_open_shift(guard=user)
    context: dict[str, Any] = {"shift": open_shift, "sites": selectors.list_workable_sites(guard=user)}
    if open_shift is None:
        context["to_read"] = selectors.sites_to_read_for(guard=user)
    if open_shift is not None:
        context.update(
            rounds=selectors.list_shift_rounds(shift=open_shift),
            scans=selectors.list_shift_scans(shift=open_shift, limit=10),
            next_checkin=services.next_checkin_due(open_shift),
            # Rendered with the page, so a tap before the script has run still counts once.
            scan_key=uuid.uuid4(),
            checkin_key=uuid.uuid4(),
        )
    last = policy.visible_reports(user).filter(shift__isnull=False).order_by("-created_at").first()
    context["last_report"] = last
    return render(request, "patrols/shift.html", context)


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require(has_role(user, Role.GUARD))
    site_id = parse_int(request.POST.get("site"))
    site = selectors.list_workable_sites(guard=user).filter(pk=site_id).first() if site_id else None
    try:
        if site is None:
            raise ValidationError("Choose one of your sites.")
        started = services.start_shift(
            guard=user, site=site, by=user, hours=request.POST.get("hours", 8), **_place(request)
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Shift started at {started.site}.")
    return redirect("patrols:shift")


@require_POST
def scan(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require(has_role(user, Role.GUARD))
    method = request.POST.get("method", Scan.Method.TYPED)
    try:
        result = services.record_scan(
            guard=user,
            code=request.POST.get("code", ""),
            idempotency_key=request.POST.get("idempotency_key", ""),
            method=method if method in (Scan.Method.CAMERA, Scan.Method.TYPED) else Scan.Method.TYPED,
            device_at=_device_time(request),
            **_place(request),
        )
    except ValidationError as error:
        flash_errors(request, error)
        return redirect("patrols:shift")
    (messages.success if result.accepted else messages.error)(request, result.message)
    return redirect("patrols:shift")


@require_POST
def check_in(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require(has_role(user, Role.GUARD))
    try:
        checkin = services.check_in(
            guard=user,
            idempotency_key=request.POST.get("idempotency_key", ""),
            device_at=_device_time(request),
            **_place(request),
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        at = timezone.localtime(checkin.received_at, checkin.shift.site.zone)
        messages.success(request, f"Checked in at {at:%H:%M %Z}: you are OK.")
    return redirect("patrols:shift")


@require_POST
def notes(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require(has_role(user, Role.GUARD))
    open_shift = selectors.get_open_shift(guard=user)
    try:
        if open_shift is None:
            raise ValidationError("You are not on a shift.")
        services.save_notes(shift=open_shift, by=user, notes=request.POST.get("notes", ""))
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, "Notes saved for your daily activity report.")
    return redirect("patrols:shift")


@require_POST
def end(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require(has_role(user, Role.GUARD))
    open_shift = selectors.get_open_shift(guard=user)
    try:
        if open_shift is None:
            raise ValidationError("You are not on a shift.")
        notes_text = request.POST.get("notes")
        unwalked = selectors.list_unwalked(shift=open_shift)
        if unwalked and request.POST.get("confirmed") != "yes":
            return _confirm_end(request, unwalked, notes=notes_text)
        services.end_shift(shift=open_shift, by=user, notes=notes_text, **_place(request))
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(
            request, "Shift ended. Your daily activity report is being built for your supervisor."
        )
    return redirect("patrols:shift")


def _confirm_end(request: HttpRequest, unwalked: list, *, notes: str | None) -> HttpResponse:
    """Ending the shift with checkpoints of an open round not scanned asks first, naming them; only
    the confirmation's POST (``confirmed=yes``) ends it."""
    lines = []
    for tour_round, names in unwalked:
        count = len(names)
        lines.append(
            f"{count} checkpoint{'s' if count != 1 else ''} not scanned in this round of "
            f"{tour_round.tour.name}: {', '.join(names)}."
        )
    fields = {"confirmed": "yes", **({"notes": notes} if notes is not None else {})}
    fields.update({name: request.POST[name] for name in ("latitude", "longitude") if request.POST.get(name)})
    return confirm(
        request,
        title="End the shift anyway?",
        question=" ".join([*lines, "End the shift anyway?"]),
        consequences=[
            "The round ends as it stands: the checkpoints not scanned stay unwalked in this shift, "
            "and your supervisor sees the round in your daily activity report.",
        ],
        button="End the shift anyway",
        cancel=reverse("patrols:shift"),
        fields=fields,
    )


# --- Supervisors -------------------------------------------------------------------------------------


def _manager(request: HttpRequest) -> User:
    user = current_user(request)
    _require(policy.can_open_board(user))
    return user


def board(request: HttpRequest) -> HttpResponse:
    """Who is on duty where, open lone-worker alerts, missed and late rounds, reports to review."""
    user = _manager(request)
    context = _board_context(user)
    context["hotspots"] = selectors.list_hotspots(
        for_user=user, sites=selectors.list_managed_sites(for_user=user)
    )
    return render(request, "patrols/board.html", context)


def board_panel(request: HttpRequest) -> HttpResponse:
    """The board's live part (fetched again every few seconds by the page)."""
    user = _manager(request)
    return render(request, "patrols/_board_panel.html", _board_context(user))


def _board_context(user: User) -> dict[str, Any]:
    sites = list(selectors.list_managed_sites(for_user=user))
    on_duty = list(selectors.list_on_duty(for_user=user))
    return {
        "sites": sites,
        "on_duty": on_duty,
        "idle_sites": [site for site in sites if all(s.site_id != site.pk for s in on_duty)],
        "alerts": selectors.list_open_alerts(for_user=user),
        "missed": selectors.list_missed_rounds(for_user=user, limit=20),
        "reports": selectors.list_reports(for_user=user, limit=15),
        "is_supervisor": has_role(user, Role.SUPERVISOR),
        "site_rows": [(site, list(selectors.list_guards(site=site))) for site in sites],
        "now": timezone.now(),
    }


@require_POST
def start_for(request: HttpRequest, site_id: int) -> HttpResponse:
    user = _manager(request)
    site = found_or_404(
        lambda: selectors.get_managed_site(site_id=site_id, for_user=user), "No such site of yours."
    )
    guard_id = parse_int(request.POST.get("guard"))
    guard = selectors.list_guards(site=site).filter(pk=guard_id).first() if guard_id else None
    try:
        if guard is None:
            raise ValidationError({"guard": f"Choose a guard assigned to {site}."})
        services.start_shift(
            guard=guard,
            site=site,
            by=user,
            hours=request.POST.get("hours", 8),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Shift started for {guard} at {site}.")
    return redirect("patrols:board")


@require_POST
def end_for(request: HttpRequest, shift_id: Any) -> HttpResponse:
    user = _manager(request)
    found = found_or_404(lambda: selectors.get_shift(shift_id=shift_id, for_user=user), "No such shift.")
    try:
        services.end_shift(shift=found, by=user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Shift of {found.guard} ended.")
    return redirect("patrols:board")


@require_POST
def acknowledge(request: HttpRequest, alert_id: Any) -> HttpResponse:
    user = current_user(request)
    row: LoneWorkerAlert = found_or_404(
        lambda: selectors.get_alert(alert_id=alert_id, for_user=user), "No such alert."
    )
    _require(policy.can_acknowledge(user, row))
    try:
        services.acknowledge_alert(alert_row=row, by=user)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Acknowledged: {row.shift.guard} is safe. The alert stopped.")
    return redirect("patrols:board")


def joint(request: HttpRequest) -> HttpResponse:
    """The agency's view of the running joint patrols (its liaisons, beside their board); with
    ``?panel=1`` only the live part the page fetches again."""
    user = current_user(request)
    _require(policy.can_follow_joint_patrols(user))
    context: dict[str, Any] = {"patrols": selectors.list_joint_patrols(for_user=user)}
    if request.GET.get("panel"):
        return render(request, "patrols/_joint_panel.html", context)
    partners = selectors.list_partner_sites(for_user=user)
    context.update(partner_sites=partners, hotspots=selectors.list_hotspots(for_user=user, sites=partners))
    return render(request, "patrols/joint.html", context)


@require_POST
def ask_joint(request: HttpRequest) -> HttpResponse:
    """The agency asks a site's provider for a joint patrol there (a rising count, or any reason)."""
    user = current_user(request)
    _require(policy.can_follow_joint_patrols(user))
    site_id = parse_int(request.POST.get("site"))
    found = selectors.list_partner_sites(for_user=user).filter(pk=site_id).first() if site_id else None
    try:
        if found is None:
            raise ValidationError({"site": "Choose a site partnered with your agency."})
        services.ask_for_joint_patrol(site=found, by=user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Asked {found.provider}'s supervisors for a joint patrol at {found.name}.")
    return redirect("patrols:joint")


# --- A site: checkpoints, tours, contacts, compliance, QR sheet -------------------------------------


def _site(request: HttpRequest, site_id: int) -> Any:
    user = current_user(request)
    return found_or_404(
        lambda: selectors.get_managed_site(site_id=site_id, for_user=user), "No such site of yours."
    )


def site(request: HttpRequest, site_id: int) -> HttpResponse:
    found = _site(request, site_id)
    user = current_user(request)
    today = timezone.localdate(timezone.now(), found.zone)
    try:
        week = date.fromisoformat(request.GET.get("week", "")) if request.GET.get("week") else today
    except ValueError:
        week = today
    days = selectors.tour_compliance(site=found, week=week)
    return render(
        request,
        "patrols/site.html",
        {
            "site": found,
            "checkpoints": selectors.list_checkpoints(site=found),
            "tours": selectors.list_tours(site=found),
            "area_checkpoints": selectors.list_area_checkpoints(site=found, for_user=user),
            "contacts": selectors.list_contacts(site=found),
            "can_manage_contacts": policy.can_manage_contacts(user, found),
            "can_request_report": policy.supervises_site(user, found),
            "rules": selectors.get_patrol_settings(site=found),
            "hotspot": next(
                iter(
                    selectors.list_hotspots(
                        for_user=user, sites=selectors.list_managed_sites(for_user=user).filter(pk=found.pk)
                    )
                ),
                None,
            ),
            "days": days,
            "week": selectors.week_of(week),
            "chart": qr.compliance_chart(days),
            "today": today,
        },
    )


@require_POST
def add_checkpoint(request: HttpRequest, site_id: int) -> HttpResponse:
    found = _site(request, site_id)
    post = request.POST
    try:
        added = services.add_checkpoint(
            site=found,
            by=current_user(request),
            name=post.get("name", ""),
            floor=post.get("floor", ""),
            area=post.get("area", ""),
            instructions=post.get("instructions", ""),
            **_place(request),
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Checkpoint {added.name} added: code {added.code}.")
    return redirect("patrols:site", site_id=found.pk)


@require_POST
def update_settings(request: HttpRequest, site_id: int) -> HttpResponse:
    """The site's check-in rules, from the form on the site's page."""
    found = _site(request, site_id)
    post = request.POST
    try:
        services.update_settings(
            site=found,
            by=current_user(request),
            checkin_minutes=post.get("checkin_minutes", ""),
            checkin_grace_minutes=post.get("checkin_grace_minutes", ""),
            ladder_step_minutes=post.get("ladder_step_minutes", ""),
            escalate_to_agency=post.get("escalate_to_agency") == "1",
            skew_threshold_seconds=post.get("skew_threshold_seconds", ""),
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Check-in settings of {found.name} saved.")
    return redirect("patrols:site", site_id=found.pk)


@require_POST
def add_tour(request: HttpRequest, site_id: int) -> HttpResponse:
    found = _site(request, site_id)
    post = request.POST
    ids = [parse_int(value) for value in post.getlist("checkpoints")]
    wanted = [i for i in ids if i]
    user = current_user(request)
    chosen = {c.pk: c for c in selectors.list_checkpoints(site=found).filter(pk__in=wanted)}
    if post.get("joint") == "1":
        area = selectors.list_area_checkpoints(site=found, for_user=user).filter(pk__in=wanted)
        chosen.update({c.pk: c for c in area})
    try:
        if len(chosen) != len(set(wanted)) or None in ids:
            raise ValidationError(
                {"checkpoints": "Choose checkpoints of this site (a joint patrol: or of its area's sites)."}
            )
        interval = post.get("interval_minutes", "").strip()
        tolerance = post.get("tolerance_minutes", "10").strip()
        if (interval and parse_int(interval) is None) or parse_int(tolerance) is None:
            raise ValidationError("Minutes are whole numbers.")
        added = services.create_tour(
            site=found,
            by=user,
            name=post.get("name", ""),
            checkpoints=[chosen[i] for i in ids if i],
            ordered=post.get("ordered") == "1",
            interval_minutes=parse_int(interval) if interval else None,
            times=[t for t in post.get("times", "").replace(";", ",").split(",") if t.strip()],
            tolerance_minutes=parse_int(tolerance) or 0,
            joint=post.get("joint") == "1",
            officers=post.get("officers", ""),
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"Tour {added.name} planned ({added.schedule}).")
    return redirect("patrols:site", site_id=found.pk)


@require_POST
def add_contact(request: HttpRequest, site_id: int) -> HttpResponse:
    found = _site(request, site_id)
    user = current_user(request)
    _require(policy.can_manage_contacts(user, found))
    try:
        added = services.add_contact(
            site=found, by=user, name=request.POST.get("name", ""), email=request.POST.get("email", "")
        )
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"{added} receives this site's daily activity reports.")
    return redirect("patrols:site", site_id=found.pk)


@require_POST
def remove_contact(request: HttpRequest, site_id: int, contact_id: int) -> HttpResponse:
    found = _site(request, site_id)
    user = current_user(request)
    _require(policy.can_manage_contacts(user, found))
    contact = found_or_404(
        lambda: ClientContact.objects.get(pk=contact_id, site=found, is_active=True), "No such contact."
    )
    services.remove_contact(contact=contact, by=user)
    messages.success(request, f"{contact} no longer receives the reports.")
    return redirect("patrols:site", site_id=found.pk)


def qr_sheet(request: HttpRequest, site_id: int) -> HttpResponse:
    """A PDF of the site's checkpoints' QR codes, one per checkpoint with its name and short code."""
    found = _site(request, site_id)
    checkpoints = list(selectors.list_checkpoints(site=found))
    pdf = qr.sheet_pdf(site=found, checkpoints=checkpoints)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="checkpoints-{found.code}.pdf"'
    return response


@require_POST
def request_report(request: HttpRequest, site_id: int) -> HttpResponse:
    found = _site(request, site_id)
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        messages.error(request, "Choose a day like 2026-03-14.")
        return redirect("patrols:site", site_id=found.pk)
    try:
        report = services.request_site_report(site=found, day=day, by=current_user(request))
    except ValidationError as error:
        flash_errors(request, error)
        return redirect("patrols:site", site_id=found.pk)
    return redirect("patrols:daily_report", report_id=report.public_id)


# --- Daily activity reports ------------------------------------------------------------------------


def _report(request: HttpRequest, report_id: Any) -> DailyReport:
    return found_or_404(
        lambda: selectors.get_report(report_id=report_id, for_user=request.user),
        "No such report, or not one you may see.",
    )


def report(request: HttpRequest, report_id: Any) -> HttpResponse:
    found = _report(request, report_id)
    user = current_user(request)
    return render(
        request,
        "patrols/report_detail.html",
        {
            "report": found,
            "document": services.render_html(found, for_pdf=False) if found.content else "",
            "can_review": policy.can_review_report(user, found),
            "is_guard": has_role(user, Role.GUARD),
            "can_open_board": policy.can_open_board(user),
            "contacts": selectors.list_contacts(site=found.site),
            "sends": found.sends.select_related("by", "contact"),
        },
    )


def report_pdf(request: HttpRequest, report_id: Any) -> FileResponse:
    found = _report(request, report_id)
    if not found.pdf:
        raise Http404("The report's PDF is not ready yet.")
    return FileResponse(
        found.pdf.open("rb"),
        content_type="application/pdf",
        filename=f"dar-{found.site.code}-{found.day}.pdf",
    )


@require_POST
def review(request: HttpRequest, report_id: Any) -> HttpResponse:
    found = _report(request, report_id)
    user = current_user(request)
    _require(policy.can_review_report(user, found))
    try:
        services.review_report(report=found, by=user)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, "Reviewed: the report may be sent to the client.")
    return redirect("patrols:daily_report", report_id=found.public_id)


@require_POST
def send(request: HttpRequest, report_id: Any) -> HttpResponse:
    found = _report(request, report_id)
    user = current_user(request)
    _require(policy.can_review_report(user, found))
    ids = [parse_int(value) for value in request.POST.getlist("contacts")]
    contacts = list(selectors.list_contacts(site=found.site).filter(pk__in=[i for i in ids if i]))
    try:
        sends = services.send_report(report=found, by=user, contacts=contacts)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, "Sending to " + ", ".join(s.address for s in sends) + ".")
    return redirect("patrols:daily_report", report_id=found.public_id)
