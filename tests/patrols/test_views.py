"""The patrol pages through HTTP: the guard's shift on the phone, the board, a site's setup, the QR
sheet, the report page; and what each role and tenant is refused."""

import io
import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Role
from audit.models import AuditEvent
from dispatch.selectors import suggest_panic_site
from patrols import services
from patrols.models import Checkpoint, DailyReport, LoneWorkerAlert, PatrolSettings, Scan, Shift
from tests.factories import member

pytestmark = pytest.mark.django_db


def _post(client, name, data=None, **kwargs):
    return client.post(reverse(name, kwargs=kwargs or None), data or {}, follow=True)


def test_a_guard_does_a_whole_shift_from_the_phone(client, patrol, eager, django_capture_on_commit_callbacks):
    p = patrol
    client.force_login(p.w.guard_a)
    page = client.get(reverse("patrols:shift"))
    assert b"Start shift" in page.content
    started = _post(
        client, "patrols:start", {"site": p.w.a1.pk, "hours": "8", "latitude": "51.5", "longitude": "-0.12"}
    )
    assert b"Shift started at A1" in started.content
    shift = Shift.objects.get(guard=p.w.guard_a)
    assert str(shift.start_latitude) == "51.500000"
    key = str(uuid.uuid4())
    scanned = _post(
        client,
        "patrols:scan",
        {"code": p.gate.code, "idempotency_key": key, "device_at": "2020-01-01T00:00:00Z"},
    )
    assert b"North gate scanned" in scanned.content
    assert b"clock is" in scanned.content  # years off: shown, not corrected
    again = _post(client, "patrols:scan", {"code": p.gate.code, "idempotency_key": key})
    assert b"counts once" in again.content
    _post(client, "patrols:scan", {"code": p.dock.code, "idempotency_key": str(uuid.uuid4())})
    foreign = _post(client, "patrols:scan", {"code": p.other.code, "idempotency_key": str(uuid.uuid4())})
    assert b"not a checkpoint of A1" in foreign.content
    checked = _post(client, "patrols:check_in", {"idempotency_key": str(uuid.uuid4())})
    assert b"Checked in at" in checked.content
    with django_capture_on_commit_callbacks(execute=True):
        ended = _post(client, "patrols:end", {"notes": "All quiet."})
    assert b"Shift ended" in ended.content
    report = DailyReport.objects.get(shift=shift)
    assert report.status == DailyReport.Status.READY
    assert Scan.objects.filter(shift=shift, outcome=Scan.Outcome.ACCEPTED).count() == 2
    # The supervisor sees it on the board and opens it.
    client.force_login(p.w.supervisor_a)
    board = client.get(reverse("patrols:board"))
    assert str(report.public_id).encode() in board.content
    page = client.get(reverse("patrols:daily_report", args=[report.public_id]))
    assert b"All quiet." in page.content
    assert b"Completed on time" in page.content


def test_a_scan_without_a_shift_says_to_start_one(client, patrol):
    client.force_login(patrol.w.guard_a)
    response = _post(client, "patrols:scan", {"code": patrol.gate.code, "idempotency_key": "k"})
    assert b"start your shift, then scan" in response.content
    assert not Scan.objects.exists()


def test_the_report_form_defaults_to_the_site_of_the_open_shift(client, world):
    guard = member(Role.GUARD, world.provider_a, sites=(world.a1, world.a2))
    services.start_shift(guard=guard, site=world.a2, by=guard)
    client.force_login(guard)
    form = client.get(reverse("incidents:report")).context["form"]
    assert form.initial["site"] == world.a2.pk
    # The panic bar preselects it too (dispatch asks portal.duty, as the report form does).
    assert suggest_panic_site(guard=guard) == world.a2
    assert client.get(reverse("patrols:shift")).context["panic_site"] == world.a2


def test_the_qr_sheet_has_one_code_per_checkpoint_and_is_refused_elsewhere(client, patrol):
    p = patrol
    client.force_login(p.w.supervisor_a)
    response = client.get(reverse("patrols:qr_sheet", args=[p.w.a1.pk]))
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    for checkpoint in Checkpoint.objects.filter(site=p.w.a1):
        assert checkpoint.name in text
        assert checkpoint.code in text
    assert p.other.code not in text
    # A site the user does not manage: refused (not found), whoever asks.
    assert client.get(reverse("patrols:qr_sheet", args=[p.w.b1.pk])).status_code == 404
    client.force_login(p.w.guard_a)
    assert client.get(reverse("patrols:qr_sheet", args=[p.w.a1.pk])).status_code == 404


def test_the_site_page_adds_checkpoints_and_tours_and_shows_the_compliance_chart(client, patrol):
    p = patrol
    client.force_login(p.w.supervisor_a)
    added = _post(client, "patrols:add_checkpoint", {"name": "Car park", "floor": "B1"}, site_id=p.w.a1.pk)
    assert b"Checkpoint Car park added" in added.content
    car = Checkpoint.objects.get(name="Car park")
    planned = _post(
        client,
        "patrols:add_tour",
        {
            "name": "Night",
            "checkpoints": [car.pk, p.roof.pk],
            "times": "22:00, 02:00",
            "tolerance_minutes": "15",
        },
        site_id=p.w.a1.pk,
    )
    assert b"Tour Night planned (at 02:00, 22:00)" in planned.content
    bad = _post(
        client,
        "patrols:add_tour",
        {"name": "Bad", "checkpoints": [p.other.pk], "interval_minutes": "30"},
        site_id=p.w.a1.pk,
    )
    assert b"Choose checkpoints of this site" in bad.content
    page = client.get(reverse("patrols:site", args=[p.w.a1.pk]))
    assert b'<svg role="img"' in page.content
    assert b"Tour compliance" in page.content


def test_only_org_admins_manage_client_contacts(client, patrol):
    p = patrol
    client.force_login(p.w.supervisor_a)
    assert (
        client.post(
            reverse("patrols:add_contact", args=[p.w.a1.pk]), {"name": "X", "email": "x@y.example"}
        ).status_code
        == 403
    )
    client.force_login(p.w.admin_a)
    added = _post(
        client,
        "patrols:add_contact",
        {"name": "Lee Client", "email": "lee@client.example"},
        site_id=p.w.a1.pk,
    )
    assert b"Lee Client" in added.content
    bad = _post(client, "patrols:add_contact", {"name": "Lee", "email": "not an address"}, site_id=p.w.a1.pk)
    assert b"Enter a valid email address" in bad.content


def test_a_guard_cannot_acknowledge_their_own_alert_over_http(client, patrol):
    p = patrol
    services.start_shift(
        guard=p.w.guard_a, site=p.w.a1, by=p.w.guard_a, now=timezone.now() - timedelta(hours=1)
    )
    services.sweep_checkins()
    alert = LoneWorkerAlert.objects.get()
    client.force_login(p.w.guard_a)
    assert client.post(reverse("patrols:acknowledge", args=[alert.public_id])).status_code == 403
    client.force_login(p.w.supervisor_b)
    assert client.post(reverse("patrols:acknowledge", args=[alert.public_id])).status_code == 404
    client.force_login(p.w.supervisor_a)
    _post(client, "patrols:acknowledge", alert_id=alert.public_id)
    alert.refresh_from_db()
    assert alert.acknowledged_by == p.w.supervisor_a


def test_supervisors_set_the_check_in_rules_on_the_site_page(client, patrol):
    p = patrol
    client.force_login(p.w.supervisor_a)
    page = client.get(reverse("patrols:site", args=[p.w.a1.pk]))
    assert b'name="checkin_minutes"' in page.content
    assert b'value="20"' in page.content  # the fixture's interval
    saved = _post(
        client,
        "patrols:update_settings",
        {
            "checkin_minutes": "45",
            "checkin_grace_minutes": "10",
            "ladder_step_minutes": "3",
            "skew_threshold_seconds": "90",
        },
        site_id=p.w.a1.pk,
    )
    assert b"Check-in settings of" in saved.content
    rules = PatrolSettings.objects.get(site=p.w.a1)
    assert (rules.checkin_minutes, rules.checkin_grace_minutes, rules.ladder_step_minutes) == (45, 10, 3)
    assert rules.skew_threshold_seconds == 90
    assert not rules.escalate_to_agency  # unticked: the agency is no longer the last step
    assert AuditEvent.objects.filter(action="patrols.settings_changed").exists()
    # Bad input: a clear message, nothing changed.
    bad = _post(
        client,
        "patrols:update_settings",
        {
            "checkin_minutes": "2",
            "checkin_grace_minutes": "ten",
            "ladder_step_minutes": "3",
            "skew_threshold_seconds": "90",
            "escalate_to_agency": "1",
        },
        site_id=p.w.a1.pk,
    )
    assert b"A check-in interval is 5 minutes to 12 hours" in bad.content
    assert b"A grace period is 0 to 120 minutes" in bad.content
    rules.refresh_from_db()
    assert (rules.checkin_minutes, rules.checkin_grace_minutes, rules.escalate_to_agency) == (45, 10, False)
    # Empty interval: no check-ins; the agency ticked again.
    _post(
        client,
        "patrols:update_settings",
        {
            "checkin_minutes": "",
            "checkin_grace_minutes": "5",
            "ladder_step_minutes": "5",
            "skew_threshold_seconds": "120",
            "escalate_to_agency": "1",
        },
        site_id=p.w.a1.pk,
    )
    rules.refresh_from_db()
    assert rules.checkin_minutes is None
    assert rules.escalate_to_agency
    # Another provider's site is not found; a guard may not change the rules.
    assert client.post(reverse("patrols:update_settings", args=[p.w.b1.pk]), {}).status_code == 404
    client.force_login(p.w.guard_a)
    assert client.post(reverse("patrols:update_settings", args=[p.w.a1.pk]), {}).status_code in (403, 404)
    rules.refresh_from_db()
    assert rules.checkin_minutes is None


def test_the_shift_page_renders_its_keys_so_a_tap_before_the_script_runs_counts_once(client, patrol):
    """CI caught a guard tapping "I'm OK" before the page's script had filled the key in: "A check-in
    needs its idempotency key." The page now carries the keys itself; the same form sent twice counts
    once."""
    client.force_login(patrol.w.guard_a)
    _post(client, "patrols:start", {"site": patrol.w.a1.pk, "hours": "8"})
    page = client.get(reverse("patrols:shift")).content.decode()

    def key_of(name):
        form = re.search(rf'action="{reverse(name)}".*?</form>', page, re.S)
        found = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', form.group(0))
        assert found, f"the {name} form carries no key until a script fills it in"
        return found.group(1)

    scan_key, checkin_key = key_of("patrols:scan"), key_of("patrols:check_in")
    assert scan_key != checkin_key
    for _ in range(2):
        scanned = _post(client, "patrols:scan", {"code": patrol.gate.code, "idempotency_key": scan_key})
        checked = _post(client, "patrols:check_in", {"idempotency_key": checkin_key})
        assert b"needs its idempotency key" not in scanned.content + checked.content
    shift = Shift.objects.get(guard=patrol.w.guard_a)
    assert Scan.objects.filter(shift=shift).count() == 1
    assert shift.checkins.count() == 1


def test_ending_the_shift_with_a_round_unwalked_asks_first_naming_what_is_left(client, patrol, eager):
    """Found walking the story: "End shift" ended it at once with the tour's round unwalked. It asks,
    naming the checkpoints; nothing ends until the confirmation's own POST."""
    client.force_login(patrol.w.guard_a)
    _post(client, "patrols:start", {"site": patrol.w.a1.pk, "hours": "8"})
    shift = Shift.objects.get(guard=patrol.w.guard_a)
    asked = client.post(reverse("patrols:end"), {"notes": "Quiet night"})
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "2 checkpoints not scanned in this round of Perimeter: North gate, Loading dock." in html
    assert "End the shift anyway?" in html
    assert '<input type="hidden" name="confirmed" value="yes">' in html
    assert '<input type="hidden" name="notes" value="Quiet night">' in html
    shift.refresh_from_db()
    assert shift.ended_at is None
    client.post(reverse("patrols:end"), {"confirmed": "maybe"})  # bad input changes nothing
    shift.refresh_from_db()
    assert shift.ended_at is None
    client.post(reverse("patrols:end"), {"confirmed": "yes", "notes": "Quiet night"})
    shift.refresh_from_db()
    assert shift.ended_at is not None
    assert shift.notes == "Quiet night"
